//! A timing report, not an assertion: run with
//! `cargo test --release --lib kex::tests::timing -- --ignored --nocapture`.

use super::*;
use std::time::Instant;

#[test]
#[ignore = "timing report; run by hand in release"]
fn timing_report() {
    for &alg in KexAlg::ALL {
        let group = gex_group(alg, 2048);
        let rounds = 50;
        let (mut c, mut s) = (rng(1), rng(2));
        let start = Instant::now();
        for _ in 0..rounds {
            exchange(alg, group.as_ref(), &mut c, &mut s);
        }
        let per = start.elapsed() / rounds;
        println!(
            "{:40} {:>8.2} ms per exchange (both sides)",
            alg.name(),
            per.as_secs_f64() * 1e3
        );
    }
    for n in [3072, 4096, 6144, 8192] {
        let group = gex_group(KexAlg::DhGexSha256, n);
        let start = Instant::now();
        exchange(
            KexAlg::DhGexSha256,
            group.as_ref(),
            &mut rng(1),
            &mut rng(2),
        );
        println!(
            "{:40} {:>8.2} ms",
            format!("gex-sha256 {n}-bit"),
            start.elapsed().as_secs_f64() * 1e3
        );
    }
}
