use super::*;
use sshgate::kex::KexAlg;
use sshgate::transport::cipher::MacAlg;

const EXAMPLE: &str = include_str!("../../examples/device.toml");

const MINIMAL: &str = r#"
[server]
host_keys = ["k/ssh_host_ed25519_key"]
"#;

#[test]
fn example_parses() {
    let f = DeviceFile::parse(EXAMPLE).unwrap();
    assert_eq!(f.server.listen, ["127.0.0.1:2222"]);
    assert_eq!(f.server.hostname, "router1");
    assert_eq!((f.server.timeout_seconds, f.server.retries), (120, 3));
    assert!(f.server.banner.as_deref().unwrap().contains("Authorized"));
    let keys = f.host_keys().unwrap();
    assert_eq!(
        keys,
        [
            (
                PathBuf::from("native-host/examples/keys/ssh_host_ed25519_key"),
                KeyKind::Ed25519
            ),
            (
                PathBuf::from("native-host/examples/keys/ssh_host_ecdsa_key"),
                KeyKind::EcdsaP256
            ),
            (
                PathBuf::from("native-host/examples/keys/ssh_host_rsa_key"),
                KeyKind::Rsa(3072)
            ),
        ]
    );
    let specs = f.algorithm_specs();
    assert_eq!(
        specs.host_key,
        Some(ListSpec::Replace(
            [
                "x509v3-ecdsa-sha2-nistp256",
                "x509v3-rsa2048-sha256",
                "x509v3-ssh-ed25519",
                "ssh-ed25519",
                "ecdsa-sha2-nistp256",
                "rsa-sha2-512",
                "rsa-sha2-256"
            ]
            .map(String::from)
            .to_vec()
        ))
    );
    assert_eq!(f.rekey.seconds, Some(3600));
}

#[test]
fn example_converts() {
    use sshgate::kex::KexAlg;
    use sshgate::transport::cipher::{CipherAlg, MacAlg};
    let c = DeviceFile::parse(EXAMPLE).unwrap().common().unwrap();
    assert_eq!(c.algorithms.kex[1], KexAlg::Curve25519Sha256);
    assert_eq!(c.algorithms.cipher[0], CipherAlg::ChaCha20Poly1305);
    assert_eq!(c.algorithms.mac.len(), 4);
    assert!(!c.algorithms.mac.contains(&MacAlg::HmacSha1));
    assert_eq!(c.rekey.time, Duration::from_secs(3600));
    assert_eq!(c.rekey.bytes, 1 << 30);
    // Absent lists are the engine's defaults.
    let c = DeviceFile::parse(MINIMAL).unwrap().common().unwrap();
    assert_eq!(c.algorithms, sshgate::Algorithms::default());
}

#[test]
fn bad_algorithm_name_is_named() {
    let text = format!("{MINIMAL}\n[algorithms]\ncipher = [\"aes128-ctr\", \"rot13-cbc\"]\n");
    let e = DeviceFile::parse(&text).unwrap().common().unwrap_err();
    assert_eq!(
        e.to_string(),
        "[algorithms] cipher: unknown cipher \"rot13-cbc\""
    );
    let text = format!("{MINIMAL}\n[algorithms]\nkex = [\"diffie-hellman-group18-sha512\"]\n");
    let e = DeviceFile::parse(&text).unwrap().common().unwrap_err();
    assert!(
        e.to_string().contains("\"diffie-hellman-group18-sha512\""),
        "{e}"
    );
    // Legacy names are fine when listed, old devices' ones and IOS's MAC names included.
    let text =
        format!("{MINIMAL}\n[algorithms]\ncipher = [\"3des-cbc\"]\nmac = [\"hmac-sha1-96\"]\n");
    DeviceFile::parse(&text).unwrap().common().unwrap();
    let text = format!(
        "{MINIMAL}\n[algorithms]\nkex = [\"diffie-hellman-group1-sha1\"]\n\
         mac = [\"hmac-md5-128\", \"hmac-sha1-160\", \"hmac-md5-96\"]\n"
    );
    let a = DeviceFile::parse(&text)
        .unwrap()
        .common()
        .unwrap()
        .algorithms;
    assert_eq!(a.kex, [KexAlg::DhGroup1Sha1]);
    assert_eq!(
        a.mac,
        [MacAlg::HmacMd5, MacAlg::HmacSha1, MacAlg::HmacMd5_96]
    );
}

#[test]
fn defaults_and_checks() {
    let f = DeviceFile::parse(MINIMAL).unwrap();
    assert_eq!(f.server.listen, ["127.0.0.1:2222"]);
    assert_eq!((f.server.timeout_seconds, f.server.retries), (120, 3));
    assert!(f.server.banner.is_none());
    assert!(f.algorithm_specs() == crate::algs::AlgorithmSpecs::default());

    let bad = |extra: &str| {
        DeviceFile::parse(&format!("{MINIMAL}{extra}"))
            .unwrap_err()
            .to_string()
    };
    assert!(bad("[rekey]\nseconds = 0\n").contains("seconds"));
    assert!(bad("[rekey]\nminutes = 5\n").contains("minutes"));
    assert!(bad("[algorithms]\nciphers = [\"aes128-ctr\"]\n").contains("ciphers"));
    let e = DeviceFile::parse("[server]\nhost_keys = []\n").unwrap_err();
    assert!(e.to_string().contains("host_keys"));
    let e =
        DeviceFile::parse("[server]\nhost_keys = [\"a\"]\ntimeout_seconds = 121\n").unwrap_err();
    assert!(e.to_string().contains("timeout_seconds"));
    assert_eq!(f.server.max_sessions, 10, "OpenSSH's MaxSessions default");
    let e = DeviceFile::parse("[server]\nhost_keys = [\"a\"]\nmax_sessions = 0\n").unwrap_err();
    assert!(e.to_string().contains("max_sessions"));
    assert_eq!(f.server.max_forwards, 32);
    let e = DeviceFile::parse("[server]\nhost_keys = [\"a\"]\nmax_forwards = 0\n").unwrap_err();
    assert!(e.to_string().contains("max_forwards"));
}

#[test]
fn host_key_forms() {
    let text = r#"
[server]
host_keys = [
    "a/ssh_host_rsa_key",
    { path = "b/hostkey", type = "ecdsa", bits = 384 },
    { path = "c/ssh_host_ed25519_key" },
]
"#;
    let keys = DeviceFile::parse(text).unwrap().host_keys().unwrap();
    let kinds: Vec<KeyKind> = keys.into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds,
        [KeyKind::Rsa(3072), KeyKind::EcdsaP384, KeyKind::Ed25519]
    );

    let e = DeviceFile::parse("[server]\nhost_keys = [\"mykey\"]\n")
        .unwrap()
        .host_keys()
        .unwrap_err();
    assert!(e.to_string().contains("mykey"), "{e}");
}
