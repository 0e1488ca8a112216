//! The shipped RFC 3526 primes, group choice (server) and group checks (client).

use super::*;
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};

/// Fermat test `base^(n-1) == 1 (mod n)` for an odd `n`.
fn fermat(n: &BoxedUint, base: u8) -> bool {
    let params = BoxedMontyParams::new_vartime(Odd::new(n.clone()).unwrap());
    let precision = n.bits_precision();
    let b = BoxedMontyForm::new(
        BoxedUint::from_be_slice(&[base], precision).unwrap(),
        &params,
    );
    let exponent = n.wrapping_sub(BoxedUint::one_with_precision(precision));
    let r = b.pow(&exponent).retrieve();
    r == BoxedUint::one_with_precision(precision)
}

#[test]
fn shipped_primes_have_their_size_their_rfc3526_words_and_are_safe_primes() {
    let prefix = hex("FFFFFFFF FFFFFFFF C90FDAA2 2168C234");
    let suffix = hex("FFFFFFFF FFFFFFFF");
    let sizes: Vec<u32> = crate::kex::groups::shipped()
        .iter()
        .map(|(bits, _)| *bits)
        .collect();
    assert_eq!(sizes, [2048, 3072, 4096, 6144, 8192]);
    for (bits, group) in crate::kex::groups::shipped() {
        assert_eq!(group.bits(), *bits);
        assert_eq!(group.p.len() * 8, *bits as usize);
        assert_eq!(group.g, [2]);
        assert!(group.p.starts_with(&prefix), "{bits}");
        assert!(group.p.ends_with(&suffix), "{bits}");
        // Any miscopied digit would make these fail (with overwhelming probability):
        // p is a probable prime and so is q = (p-1)/2.
        let p = BoxedUint::from_be_slice_vartime(&group.p);
        let q = p.shr_vartime(1).unwrap();
        assert!(
            fermat(&p, 2) && fermat(&p, 3),
            "{bits}: p fails the Fermat test"
        );
        assert!(fermat(&q, 2), "{bits}: (p-1)/2 fails the Fermat test");
    }
    // A few known words in the middle (RFC 3526 §3 and §5).
    assert!(
        crate::kex::groups::group14()
            .p
            .ends_with(&hex("8AACAA68 FFFFFFFF FFFFFFFF"))
    );
    assert!(
        crate::kex::groups::group16()
            .p
            .ends_with(&hex("34063199 FFFFFFFF FFFFFFFF"))
    );
    assert_eq!(crate::kex::groups::group14().bits(), 2048);
    assert_eq!(crate::kex::groups::group16().bits(), 4096);
}

#[test]
fn choose_picks_the_largest_fitting_size_not_above_n_else_the_smallest_above() {
    let bits = |min, n, max| DhGroup::choose(min, n, max).map(DhGroup::bits);
    assert_eq!(bits(2048, 2048, 8192), Ok(2048));
    assert_eq!(bits(2048, 3072, 8192), Ok(3072));
    assert_eq!(bits(1024, 3000, 8192), Ok(2048));
    assert_eq!(bits(2048, 7000, 8192), Ok(6144));
    assert_eq!(bits(2048, 8192, 8192), Ok(8192));
    assert_eq!(bits(2048, 8192, 16384), Ok(8192));
    assert_eq!(bits(1024, 1536, 4096), Ok(2048));
    assert_eq!(bits(2500, 2500, 3500), Ok(3072));
    assert_eq!(bits(4096, 5000, 5000), Ok(4096));
    assert_eq!(bits(1024, 1024, 2048), Ok(2048));
}

#[test]
fn choose_refuses_bad_ranges() {
    for (min, n, max) in [
        (4096, 4096, 2048), // min > max
        (2048, 1024, 8192), // n < min
        (2048, 9000, 8192), // n > max
        (1024, 1024, 1536), // max < 2048
        (1024, 2047, 2047),
        (3073, 4000, 4095), // between shipped sizes
        (8193, 9000, 10000),
        (0, 0, 0),
    ] {
        let r = DhGroup::choose(min, n, max);
        assert!(
            matches!(r, Err(KexError::BadGroup(_))),
            "({min}, {n}, {max}) gave {r:?}"
        );
    }
}

#[test]
fn from_server_checks_size_parity_and_generator() {
    let g14 = crate::kex::groups::group14();
    let ok = DhGroup::from_server(&g14.p, &g14.g, 2048, 8192).unwrap();
    assert_eq!(&ok, g14);
    // Leading zeros (as a sloppy encoder might leave) are stripped.
    let padded = [&[0, 0][..], &g14.p].concat();
    assert_eq!(
        &DhGroup::from_server(&padded, &[0, 2], 2048, 2048).unwrap(),
        g14
    );
    // Primality is the server's business: an odd 2040-bit number passes when 2040 bits are asked for.
    let p_2040 = &g14.p[1..];
    assert_eq!(
        DhGroup::from_server(p_2040, &[2], 2040, 8192)
            .unwrap()
            .bits(),
        2040
    );

    let p_minus_1 = [&g14.p[..255], &[0xfe]].concat();
    let too_big = vec![0xff; 1025];
    let cases: [(&[u8], &[u8], u32, u32); 12] = [
        (&g14.p, &[2], 3072, 8192),         // smaller than the client's min
        (&g14.p, &[2], 1024, 1536),         // larger than the client's max
        (p_2040, &[2], 2048, 8192),         // 2040 bits, below min
        (&p_minus_1, &[2], 2048, 8192),     // even
        (&g14.p, &[1], 2048, 8192),         // g = 1
        (&g14.p, &[0], 2048, 8192),         // g = 0
        (&g14.p, &[], 2048, 8192),          // g empty
        (&g14.p, &p_minus_1, 2048, 8192),   // g = p-1
        (&g14.p, &g14.p, 2048, 8192),       // g = p
        (&g14.p, &[0xff; 256], 2048, 8192), // g > p
        (&[], &[2], 0, 8192),               // p empty
        (&too_big, &[2], 0, u32::MAX),      // above MAX_GROUP_BITS, whatever the range
    ];
    for (i, (p, g, min, max)) in cases.into_iter().enumerate() {
        let r = DhGroup::from_server(p, g, min, max);
        assert!(matches!(r, Err(KexError::BadGroup(_))), "case {i}: {r:?}");
    }
}
