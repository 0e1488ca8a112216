//! `native-host/examples/sshgate-serve.service`: systemd itself (`systemd-analyze verify`)
//! accepts it without a warning (an unknown or misspelt key is only a warning there, so any
//! output fails), and the hardening it promises is in its `[Service]` section.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::process::Command;
use support::{TempDir, require_tool, sshgate_bin};

const SYSTEMD_ANALYZE: &str = "/usr/bin/systemd-analyze";

fn unit_text() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sshgate-serve.service"
    );
    fs::read_to_string(path).expect("read the unit")
}

/// `[Service]` keys and their values (repeated keys joined with a space, comments skipped).
fn service_section(text: &str) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let mut in_service = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
        } else if in_service && !line.is_empty() && !line.starts_with('#') {
            let (k, v) = line.split_once('=').expect("key=value");
            keys.entry(k.trim().to_string())
                .and_modify(|old: &mut String| {
                    old.push(' ');
                    old.push_str(v.trim());
                })
                .or_insert_with(|| v.trim().to_string());
        }
    }
    keys
}

#[test]
fn systemd_analyze_verify_accepts_the_unit() {
    require_tool(SYSTEMD_ANALYZE, "apt-get install systemd");
    let dir = TempDir::new("systemd-unit");
    // verify checks that ExecStart's program exists: point it at the binary under test.
    let text = unit_text().replace(
        "/usr/local/bin/sshgate-host",
        &sshgate_bin().display().to_string(),
    );
    let path = dir.join("sshgate-serve.service");
    fs::write(&path, text).expect("write unit");
    let out = Command::new(SYSTEMD_ANALYZE)
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("run systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "systemd-analyze verify failed:\n{said}"
    );
    let about_ours: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("sshgate-serve.service"))
        .collect();
    assert!(about_ours.is_empty(), "systemd-analyze warns:\n{said}");
}

#[test]
fn the_unit_is_hardened() {
    let keys = service_section(&unit_text());
    let want = [
        ("NoNewPrivileges", "yes"),
        (
            "CapabilityBoundingSet",
            "CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID CAP_CHOWN",
        ),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ReadWritePaths", "/var/lib/sshgate"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("SystemCallFilter", "@system-service"),
        ("SystemCallArchitectures", "native"),
        ("RestrictSUIDSGID", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("KillMode", "mixed"),
    ];
    for (key, value) in want {
        assert_eq!(
            keys.get(key).map(String::as_str),
            Some(value),
            "[Service] {key}"
        );
    }
    let exec = keys.get("ExecStart").expect("ExecStart");
    assert!(
        exec.ends_with(" serve --config /etc/sshgate/device.toml"),
        "{exec}"
    );
    // Root with a bounding set, or a dynamic user: never an ambient set wider than the port.
    assert!(!keys.contains_key("AmbientCapabilities"), "{keys:?}");
}
