//! PKCS#12 files written by `openssl pkcs12 -export`, OpenSSL 3 default and `-legacy`.

use super::*;

#[test]
fn openssl3_default_and_legacy_files_open_with_the_right_passphrase() {
    for alg in ["rsa", "p256", "ed25519"] {
        for kind in ["p12", "legacy.p12"] {
            let name = format!("user_{alg}.{kind}");
            let p =
                Pkcs12::from_der(&file(&name), "s3cret").unwrap_or_else(|e| panic!("{name}: {e}"));
            let key = p.key.as_ref().expect("a key");
            let leaf = p.certificate.as_ref().expect("the key's certificate");
            assert_eq!(leaf, &cert(&format!("user_{alg}")), "{name}");
            assert_eq!(p.chain.len(), 2, "{name}");
            // The key is the certificate's, and the chain validates.
            let b = X509Blob::new(X509Alg::for_key(&key.public())[0], p.chain_der());
            assert_eq!(b.certificates.len(), 2, "{name}: the root is left out");
            let v = verify_chain(&b, &trust(alg), Purpose::SshClient, NOW)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(v.key, key.public(), "{name}");
            assert_eq!(
                Pkcs12::from_der(&file(&name), "wrong").unwrap_err(),
                PkiError::Passphrase,
                "{name}"
            );
        }
    }
    // AES-128-CBC contents with an HMAC-SHA-512 MAC, no chain.
    let p = Pkcs12::from_der(&file("user_p384.p12"), "s3cret").unwrap();
    assert!(p.key.is_some() && p.certificate.is_some() && p.chain.is_empty());
    assert_eq!(
        Pkcs12::from_der(&file("user_p384.p12"), "").unwrap_err(),
        PkiError::Passphrase
    );
}

#[test]
fn damaged_files_are_refused_without_panicking() {
    let d = file("user_p256.p12");
    for cut in (0..d.len()).step_by(3) {
        assert!(Pkcs12::from_der(&d[..cut], "s3cret").is_err(), "{cut}");
    }
    let mut g = d.clone();
    for i in (0..d.len()).step_by(5) {
        g[i] ^= 0x5a;
        // The MAC covers the contents: a changed byte is refused (as Passphrase or Malformed).
        assert!(Pkcs12::from_der(&g, "s3cret").is_err(), "{i}");
        g[i] = d[i];
    }
    assert!(Pkcs12::from_der(&vec![0x30; MAX_PKCS12_BYTES + 1], "x").is_err());
}
