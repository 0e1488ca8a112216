//! PEM key files made by `ssh-keygen -m PEM|PKCS8`, `openssl genpkey`, `openssl pkcs8 -topk8`,
//! `openssl ec|rsa -traditional` (the commands are in `data/make.sh`, beside the files):
//! parsing, the public half `ssh-keygen -y` printed, signatures, passphrases, fingerprints.

use super::*;

/// The passphrase of every encrypted fixture.
pub(super) const PASS: &str = "pem pass";

/// One fixture: file name, text, whether it is encrypted, and its format.
pub(super) struct Fixture {
    pub(super) name: &'static str,
    pub(super) text: &'static str,
    pub(super) encrypted: bool,
    pub(super) format: KeyFormat,
}

macro_rules! fixture {
    ($name:literal, $enc:expr, $format:ident) => {
        Fixture {
            name: $name,
            text: include_str!(concat!("data/", $name)),
            encrypted: $enc,
            format: KeyFormat::$format,
        }
    };
}

/// Every private key fixture, with the command that made it.
pub(super) const PRIVATE: &[Fixture] = &[
    // ssh-keygen -t rsa -b 2048 -m PEM -N ''
    fixture!("rsa2048.pkcs1", false, Pkcs1),
    // ssh-keygen -t rsa -b 2048 -m PEM -N 'pem pass' (DEK-Info: AES-128-CBC)
    fixture!("rsa2048-enc.pkcs1", true, Pkcs1),
    // openssl rsa -in rsa2048.pkcs1 -traditional -aes256 (DEK-Info: AES-256-CBC)
    fixture!("rsa2048-aes256.pkcs1", true, Pkcs1),
    // openssl genrsa -traditional 1024
    fixture!("rsa1024.pkcs1", false, Pkcs1),
    // ssh-keygen -t ecdsa -b 256 -m PEM -N ''
    fixture!("p256.sec1", false, Sec1),
    // ssh-keygen -t ecdsa -b 384 -m PEM -N 'pem pass'
    fixture!("p384-enc.sec1", true, Sec1),
    // openssl ecparam -name secp521r1 -genkey (an EC PARAMETERS block first)
    fixture!("p521.sec1", false, Sec1),
    // openssl ec -in p256.sec1 -des3 (DEK-Info: DES-EDE3-CBC)
    fixture!("p256-des3.sec1", true, Sec1),
    // openssl genpkey -algorithm ed25519
    fixture!("ed25519.pkcs8", false, Pkcs8),
    // openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048
    fixture!("rsa2048.pkcs8", false, Pkcs8),
    // openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256
    fixture!("p256.pkcs8", false, Pkcs8),
    // openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384
    fixture!("p384.pkcs8", false, Pkcs8),
    // ssh-keygen -t ecdsa -b 521 -m PKCS8 -N ''
    fixture!("p521.pkcs8", false, Pkcs8),
    // openssl pkcs8 -topk8 -v2 aes-256-cbc (PBKDF2-HMAC-SHA256)
    fixture!("ed25519-enc.pkcs8", true, EncryptedPkcs8),
    // openssl pkcs8 -topk8 -v2 aes-256-cbc (PBKDF2-HMAC-SHA256)
    fixture!("rsa2048-enc.pkcs8", true, EncryptedPkcs8),
    // openssl pkcs8 -topk8 -v2 aes-128-cbc -v2prf hmacWithSHA1
    fixture!("p256-sha1-enc.pkcs8", true, EncryptedPkcs8),
    // ssh-keygen -t ecdsa -b 384 -m PKCS8 -N 'pem pass' (PBKDF2-HMAC-SHA256, AES-128-CBC)
    fixture!("p384-enc.pkcs8", true, EncryptedPkcs8),
];

/// `name type base64` lines: the public half `ssh-keygen -y` printed for each fixture.
const PUBLIC_LINES: &str = include_str!("data/public-lines");
/// `name SHA256:... MD5:...` lines: `ssh-keygen -l -E sha256|md5` of each public half.
const FINGERPRINTS: &str = include_str!("data/fingerprints");

/// The public key `ssh-keygen` gave for fixture `name`.
pub(super) fn expected_public(name: &str) -> PublicKey {
    let line = PUBLIC_LINES
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} not in public-lines"));
    PublicKey::from_openssh_line(line).unwrap()
}

pub(super) fn parse(f: &Fixture) -> PrivateKey {
    let pass = f.encrypted.then_some(PASS);
    let (key, comment) =
        PrivateKey::from_text(f.text, pass).unwrap_or_else(|e| panic!("{}: {e}", f.name));
    assert_eq!(comment, "", "{}: PEM files have no comment", f.name);
    key
}

#[test]
fn every_fixture_parses_to_the_key_ssh_keygen_printed_and_signs() {
    let mut r = rng(60);
    for f in PRIVATE {
        assert_eq!(KeyFormat::detect(f.text), Some(f.format), "{}", f.name);
        let key = parse(f);
        let public = key.public();
        assert_eq!(public, expected_public(f.name), "{}", f.name);
        let min_bits = if f.name == "rsa1024.pkcs1" {
            1024
        } else {
            2048
        };
        let algs: Vec<_> = HostKeyAlg::ALL
            .iter()
            .copied()
            .filter(|&a| public.supports(a))
            .collect();
        assert!(!algs.is_empty());
        for alg in algs {
            let sig = key.sign(alg, b"pem data", &mut r).unwrap();
            public
                .verify_with_min_rsa_bits(alg, b"pem data", &sig, min_bits)
                .unwrap_or_else(|e| panic!("{} {alg:?}: {e}", f.name));
            assert_eq!(
                public.verify_with_min_rsa_bits(alg, b"pem datA", &sig, min_bits),
                Err(KeyError::BadSignature)
            );
            if min_bits < 2048 {
                // The existing policy: small RSA keys parse and sign, but do not verify.
                assert_eq!(
                    public.verify(alg, b"pem data", &sig),
                    Err(KeyError::TooSmall(1024))
                );
            }
        }
    }
}

#[test]
fn encrypted_fixtures_need_the_right_passphrase() {
    for f in PRIVATE.iter().filter(|f| f.encrypted) {
        for wrong in [None, Some(""), Some("pem pasS"), Some("wrong")] {
            assert_eq!(
                PrivateKey::from_text(f.text, wrong).map(|_| ()),
                Err(KeyError::Passphrase),
                "{} with {wrong:?}",
                f.name
            );
        }
    }
    // A passphrase given for a plain file is ignored.
    for f in PRIVATE.iter().filter(|f| !f.encrypted) {
        let (key, _) = PrivateKey::from_text(f.text, Some("unused")).unwrap();
        assert_eq!(key.public(), expected_public(f.name));
    }
}

#[test]
fn fingerprints_match_ssh_keygen() {
    let mut seen = 0;
    for line in FINGERPRINTS.lines() {
        let mut parts = line.split(' ');
        let (name, sha, md5) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let public = expected_public(name);
        assert_eq!(public.fingerprint_sha256(), sha, "{name}");
        assert_eq!(
            format!("MD5:{}", public.fingerprint_md5()),
            md5,
            "{name} (IOS key-hash is this without colons)"
        );
        if let Some(f) = PRIVATE.iter().find(|f| f.name == name) {
            assert_eq!(
                parse(f).public().fingerprint_md5(),
                public.fingerprint_md5()
            );
        }
        seen += 1;
    }
    assert_eq!(seen, PRIVATE.len());
}

#[test]
fn public_key_files_parse_to_the_same_keys() {
    for (text, of) in [
        // openssl pkey -pubout
        (include_str!("data/rsa2048.spki"), "rsa2048.pkcs8"),
        (include_str!("data/p384.spki"), "p384.pkcs8"),
        (include_str!("data/ed25519.spki"), "ed25519.pkcs8"),
        // openssl rsa -RSAPublicKey_out
        (include_str!("data/rsa2048.pkcs1pub"), "rsa2048.pkcs8"),
        // ssh-keygen -e (RFC 4716)
        (include_str!("data/p256.rfc4716"), "p256.sec1"),
    ] {
        let (key, comment) = PublicKey::from_text(text).unwrap_or_else(|e| panic!("{of}: {e}"));
        assert_eq!(key, expected_public(of), "{of}");
        if text.starts_with("---- ") {
            assert!(
                comment.starts_with("256-bit ECDSA, converted by"),
                "{comment}"
            );
        }
    }
    // And an OpenSSH .pub line, comments and blank lines before it.
    let line = format!(
        "# a comment\n\n{} me@x\n",
        expected_public("p256.sec1").to_openssh_line("")
    );
    let (key, comment) = PublicKey::from_text(&line).unwrap();
    assert_eq!(
        (key, comment.as_str()),
        (expected_public("p256.sec1"), "me@x")
    );
}

#[test]
fn refusals_say_why() {
    let scrypt = include_str!("data/p256-scrypt.pkcs8");
    match PrivateKey::from_text(scrypt, Some(PASS)) {
        Err(KeyError::Unsupported(why)) => assert!(why.contains("scrypt"), "{why}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // Unsupported beats asking for a passphrase that could not help.
    assert!(matches!(
        PrivateKey::from_text(scrypt, None),
        Err(KeyError::Unsupported(_))
    ));
    let spki = include_str!("data/rsa2048.spki");
    assert_eq!(
        PrivateKey::from_text(spki, None).map(|_| ()),
        Err(KeyError::Malformed(
            "this is a public key, not a private key"
        ))
    );
    let line = expected_public("p256.sec1").to_openssh_line("c");
    assert_eq!(
        PrivateKey::from_text(&line, None).map(|_| ()),
        Err(KeyError::Malformed(
            "this is a public key, not a private key"
        ))
    );
    assert!(matches!(
        PrivateKey::from_text("PuTTY-User-Key-File-3: ssh-ed25519\n", None),
        Err(KeyError::Unsupported(_))
    ));
    assert!(matches!(
        PrivateKey::from_text(
            "-----BEGIN DSA PRIVATE KEY-----\nAA==\n-----END DSA PRIVATE KEY-----",
            None
        ),
        Err(KeyError::Malformed(_))
    ));
    assert_eq!(
        PrivateKey::from_text("hello", None).map(|_| ()),
        Err(KeyError::Malformed(
            "no private key (no BEGIN ... PRIVATE KEY line)"
        ))
    );
    assert!(PublicKey::from_text(PRIVATE[0].text).is_err());
    assert!(PrivateKey::from_text(&"A".repeat(300 * 1024), None).is_err());
    // An unknown key algorithm is named: id-ecPublicKey (1.2.840.10045.2.1) made .2.2.
    let f = PRIVATE.iter().find(|f| f.name == "p256.pkcs8").unwrap();
    let mut der = pem_body(f.text);
    let oid = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let at = der.windows(oid.len()).position(|w| w == oid).unwrap();
    der[at + oid.len() - 1] = 0x02;
    match PrivateKey::from_text(&pem_armor("PRIVATE KEY", &[], &der), None) {
        Err(KeyError::Unsupported(why)) => assert!(why.contains("1.2.840.10045.2.2"), "{why}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

/// The decoded body of the last PEM block of `text`.
pub(super) fn pem_body(text: &str) -> Vec<u8> {
    use base64ct::{Base64, Encoding};
    let start = text.rfind("-----BEGIN").unwrap();
    let b64: String = text[start..]
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':') && !l.is_empty())
        .collect();
    Base64::decode_vec(&b64).unwrap()
}

/// The PEM headers (`Name: value` lines) of the last block of `text`.
pub(super) fn pem_headers(text: &str) -> Vec<&str> {
    let start = text.rfind("-----BEGIN").unwrap();
    text[start..].lines().filter(|l| l.contains(':')).collect()
}

/// A PEM block around `der`, in 64-column lines.
pub(super) fn pem_armor(label: &str, headers: &[&str], der: &[u8]) -> String {
    use base64ct::{Base64, Encoding};
    let b64 = Base64::encode_string(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for h in headers {
        s.push_str(h);
        s.push('\n');
    }
    if !headers.is_empty() {
        s.push('\n');
    }
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(core::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

#[test]
fn openssh_files_still_come_through_from_text() {
    let (key, comment) = PrivateKey::from_text(fixtures::ED25519_FILE, None).unwrap();
    assert_eq!(
        key.public(),
        PublicKey::from_openssh_line(fixtures::ED25519_PUB).unwrap()
    );
    assert_eq!(comment, "fixed@sshgate");
    assert_eq!(
        KeyFormat::detect(fixtures::ED25519_FILE),
        Some(KeyFormat::OpenSsh)
    );
    assert_eq!(
        PrivateKey::from_text(fixtures::ED25519_ENC_FILE, None).map(|_| ()),
        Err(KeyError::Passphrase)
    );
    let (key, _) = PrivateKey::from_text(
        fixtures::ED25519_ENC_FILE,
        Some(fixtures::ED25519_ENC_PASSPHRASE),
    )
    .unwrap();
    assert_eq!(
        key.public(),
        PublicKey::from_openssh_line(fixtures::ED25519_ENC_PUB).unwrap()
    );
}
