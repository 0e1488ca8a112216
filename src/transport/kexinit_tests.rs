use super::*;

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn init(kex: &[&str], hk: &[&str], c: &[&str], m: &[&str]) -> KexInit {
    KexInit {
        kex: names(kex),
        host_key: names(hk),
        cipher_c2s: names(c),
        cipher_s2c: names(c),
        mac_c2s: names(m),
        mac_s2c: names(m),
        comp_c2s: names(&["none"]),
        comp_s2c: names(&["none"]),
        first_kex_packet_follows: false,
    }
}

#[test]
fn round_trips_and_rejects_trailing_bytes() {
    let k = init(
        &["curve25519-sha256", EXT_INFO_C],
        &["ssh-ed25519"],
        &["aes128-ctr"],
        &["hmac-sha2-256"],
    );
    let enc = k.encode([9; 16]);
    assert_eq!(KexInit::decode(&enc).unwrap(), k);
    let mut longer = enc.clone();
    longer.push(0);
    assert!(KexInit::decode(&longer).is_err());
    for cut in 0..enc.len() {
        assert!(
            KexInit::decode(&enc[..cut]).is_err(),
            "prefix {cut} accepted"
        );
    }
}

#[test]
fn client_preference_wins_and_aead_skips_mac() {
    let c = init(
        &["curve25519-sha256", "ecdh-sha2-nistp256", EXT_INFO_C],
        &["ssh-ed25519", "rsa-sha2-512"],
        &["aes256-gcm@openssh.com", "aes128-ctr"],
        &["hmac-sha2-512"],
    );
    let s = init(
        &["ecdh-sha2-nistp256", "curve25519-sha256", EXT_INFO_S],
        &["rsa-sha2-512", "ssh-ed25519"],
        &["aes128-ctr", "aes256-gcm@openssh.com"],
        &["hmac-sha2-256"],
    );
    let n = negotiate(&c, &s).unwrap();
    assert_eq!(n.kex, KexAlg::Curve25519Sha256);
    assert_eq!(n.host_key, HostKeyAlg::SshEd25519);
    assert_eq!(n.cipher_c2s, CipherAlg::Aes256Gcm);
    // no common MAC, but the AEAD cipher does not need one
    assert_eq!(n.mac_c2s, None);
    assert!(!guess_was_right(&c, &s));
}

#[test]
fn no_common_algorithm_names_both_lists() {
    let c = init(
        &["curve25519-sha256"],
        &["ssh-ed25519"],
        &["aes128-ctr"],
        &["hmac-sha2-256"],
    );
    let s = init(
        &["diffie-hellman-group14-sha256"],
        &["ssh-ed25519"],
        &["aes128-ctr"],
        &["hmac-sha2-256"],
    );
    let e = negotiate(&c, &s).unwrap_err();
    assert!(
        e.description.contains("curve25519-sha256") && e.description.contains("group14"),
        "{e}"
    );
    let s2 = init(
        &["curve25519-sha256"],
        &["ssh-ed25519"],
        &["aes128-ctr"],
        &["hmac-sha1"],
    );
    assert!(negotiate(&c, &s2).is_err());
    // pseudo-algorithms never match each other
    let c3 = init(
        &[EXT_INFO_C, KEX_STRICT_C],
        &["ssh-ed25519"],
        &["aes128-ctr"],
        &["hmac-sha2-256"],
    );
    let s3 = init(
        &[EXT_INFO_S, KEX_STRICT_S],
        &["ssh-ed25519"],
        &["aes128-ctr"],
        &["hmac-sha2-256"],
    );
    assert!(negotiate(&c3, &s3).is_err());
}

#[test]
fn compression_other_than_none_is_refused() {
    let c = init(
        &["curve25519-sha256"],
        &["ssh-ed25519"],
        &["aes128-ctr"],
        &["hmac-sha2-256"],
    );
    let mut s = c.clone();
    s.comp_s2c = names(&["zlib"]);
    assert!(negotiate(&c, &s).is_err());
}

/// IOS's MAC names (`hmac-sha1-160`) are for users only: a peer's KEXINIT naming one matches
/// nothing, even when both lists carry it.
#[test]
fn mac_aliases_do_not_negotiate() {
    let both = init(
        &["curve25519-sha256"],
        &["ssh-ed25519"],
        &["aes128-cbc"],
        &["hmac-sha1-160"],
    );
    assert!(negotiate(&both, &both).is_err());
    let wire = init(
        &["curve25519-sha256"],
        &["ssh-ed25519"],
        &["aes128-cbc"],
        &["hmac-md5"],
    );
    assert_eq!(
        negotiate(&wire, &wire).unwrap().mac_c2s,
        Some(crate::transport::cipher::MacAlg::HmacMd5)
    );
}
