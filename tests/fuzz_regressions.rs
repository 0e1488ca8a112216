//! The fuzz targets in a normal `cargo test`: every input kept under `fuzz/regressions/TARGET/`
//! (crashes the campaigns found, fixed since) and every seed (`fuzz/seeds/`, and the seeds as
//! `fuzz/src/seeds.rs` makes them now) runs through the same code cargo-fuzz runs
//! (`fuzz/src/`, included here by path), so a regression fails here without cargo-fuzz or a
//! nightly toolchain. Also checks that the session harness really gets past the key exchange:
//! a target that silently stopped at the handshake would fuzz nothing.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod harness;
// The harness names its modules `crate::...`: here they are re-exported at the crate root.
use harness::{app, fixtures, ops, session, targets, templates};

use harness::session::{Session, Stage};
use sshgate::Role;
use std::path::Path;

/// Runs every file under `fuzz/DIR/TARGET/` through its target; returns how many ran.
fn replay_dir(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let Ok(targets) = std::fs::read_dir(&root) else {
        return 0;
    };
    let mut n = 0;
    for t in targets {
        let t = t.expect("directory entry").path();
        if !t.is_dir() {
            continue; // README.md
        }
        let name = t.file_name().and_then(|n| n.to_str()).expect("target name");
        let mut files: Vec<_> = std::fs::read_dir(&t)
            .expect("target directory")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).expect("input");
            eprintln!("{}", f.display());
            assert!(harness::run(name, &data), "no target {name}");
            n += 1;
        }
    }
    n
}

/// Kept findings (none yet: fuzz/regressions/README.md) and the committed seeds.
#[test]
fn every_kept_input_ends_cleanly() {
    let findings = replay_dir("regressions");
    let seeds = replay_dir("seeds");
    eprintln!("{findings} kept findings, {seeds} seeds");
    assert!(seeds > 0, "fuzz/seeds/ has seeds");
}

#[test]
fn every_target_runs_its_fresh_seeds_and_short_inputs() {
    let seeds = harness::seeds::all();
    for (name, _) in harness::TARGETS {
        assert!(
            seeds.iter().any(|(t, _, _)| t == name),
            "{name} has at least one seed"
        );
        for short in [&[][..], &[0], &[0xff; 3]] {
            harness::run(name, short);
        }
    }
    for (target, name, data) in &seeds {
        eprintln!("{target}/{name}");
        assert!(harness::run(target, data));
    }
}

/// Writes the seeds to `fuzz/seeds/` (run by hand after changing fuzz/src/seeds.rs:
/// `cargo test --release -p sshgate --test fuzz_regressions -- --ignored write_seeds`).
#[test]
#[ignore = "writes fuzz/seeds/; run by hand"]
fn write_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let _ = std::fs::remove_dir_all(&root);
    for (target, name, data) in harness::seeds::all() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("seed directory");
        std::fs::write(dir.join(name), data).expect("seed file");
    }
}

#[test]
fn session_stages_are_reached_and_take_sealed_input() {
    let ignore = {
        let mut w = sshgate::wire::Writer::message(sshgate::msg::IGNORE);
        w.string(b"fuzz");
        harness::ops::op(harness::session::tag::PAYLOAD, w.as_slice())
    };
    for suite in 0..harness::fixtures::SUITES.len() {
        for role in [Role::Server, Role::Client] {
            for stage in [Stage::Kex, Stage::Auth, Stage::Channels] {
                if role == Role::Client && stage == Stage::Auth {
                    continue;
                }
                let mut s = Session::new(role, stage, suite);
                assert!(s.target.is_established() && !s.target.is_closed());
                let open = usize::from(stage == Stage::Channels);
                assert_eq!(s.target.channel_count(), open, "{role:?} {stage:?} {suite}");
                // The peer seals, the target opens: SSH_MSG_IGNORE comes out as an event.
                let before = s.app.handled;
                s.run(&ignore);
                assert_eq!(
                    s.app.handled,
                    before + 1,
                    "{role:?} {stage:?} suite {suite}"
                );
                assert!(!s.target.is_closed());
            }
        }
    }
}

#[test]
fn sealed_payloads_reach_the_target_layers() {
    // A channel open sent as the peer is answered by the application: the target now has two.
    let mut s = Session::new(Role::Server, Stage::Channels, 0);
    let mut w = sshgate::wire::Writer::message(sshgate::msg::CHANNEL_OPEN);
    w.string(b"session").u32(5).u32(4096).u32(1024);
    s.run(&harness::ops::op(
        harness::session::tag::PAYLOAD,
        w.as_slice(),
    ));
    assert_eq!(s.target.channel_count(), 2);
    assert!(!s.target.is_closed());
    // A validly signed publickey request logs a user in (the channel layer answers after).
    let mut s = Session::new(Role::Server, Stage::Auth, 0);
    s.run(&harness::ops::op(harness::session::tag::SIGNED, &[0]));
    s.run(&harness::ops::op(
        harness::session::tag::PAYLOAD,
        w.as_slice(),
    ));
    assert_eq!(
        s.target.channel_count(),
        1,
        "the signed request was accepted"
    );
    // Garbage in the sealed stream is a MAC failure: a clean close.
    let mut s = Session::new(Role::Client, Stage::Channels, 2);
    s.run(&harness::ops::op(harness::session::tag::RAW, &[0; 64]));
    assert!(s.target.is_closed());
}

#[test]
fn recorded_sessions_replay_to_an_open_channel() {
    use harness::targets::wire;
    for (target, name, data) in harness::seeds::all() {
        let mut conn = match target {
            "client_input" => wire::client(),
            "server_input" => wire::server(),
            _ => continue,
        };
        wire::feed(&mut conn, &data);
        assert!(
            !conn.is_closed() && conn.channel_count() >= 1,
            "{target}/{name} replays to an open channel: {:?}",
            conn.close_reason()
        );
    }
}

#[test]
fn session_seeds_get_to_the_channel_layer() {
    let deep = [
        ("client_post_kex", "every-method", Role::Client, Stage::Kex),
        ("client_post_kex", "login-suite3", Role::Client, Stage::Kex),
        (
            "userauth_server",
            "success-then-channel",
            Role::Server,
            Stage::Auth,
        ),
    ];
    let seeds = harness::seeds::all();
    for (target, name, role, stage) in deep {
        let (_, _, data) = seeds
            .iter()
            .find(|(t, n, _)| *t == target && n == name)
            .expect("seed");
        let mut s = Session::new(role, stage, usize::from(data[0]));
        s.run(&data[1..]);
        assert!(
            !s.target.is_closed(),
            "{target}/{name}: {:?}",
            s.target.close_reason()
        );
        assert_eq!(
            s.target.channel_count(),
            1,
            "{target}/{name} opened a session"
        );
    }
}
