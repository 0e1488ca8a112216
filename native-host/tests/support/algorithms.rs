//! The algorithm matrix: every algorithm the engine implements per [`Category`], and what a side
//! must report as negotiated ([`Expect`]) when one of them is selected.

/// Every key exchange the engine implements, in its preference order.
pub const OUR_KEX: &[&str] = &[
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group14-sha1",
];
/// Every host key (signature) algorithm the engine implements.
pub const OUR_HOSTKEY: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
];
/// Every cipher the engine implements.
pub const OUR_CIPHERS: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "3des-cbc",
];
/// Every MAC the engine implements.
pub const OUR_MACS: &[&str] = &[
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
    "hmac-sha1-96",
];
/// Ours that OpenSSH 9.2 does not have (it gained ML-KEM in 9.9). Everything else of ours must be
/// in the installed OpenSSH, or the test fails rather than silently testing less.
pub const OPENSSH_MAY_LACK: &[&str] = &["mlkem768x25519-sha256"];

/// The non-AEAD cipher used when testing MACs.
pub const MAC_TEST_CIPHER: &str = "aes128-ctr";

pub fn is_aead(cipher: &str) -> bool {
    matches!(
        cipher,
        "chacha20-poly1305@openssh.com" | "aes128-gcm@openssh.com" | "aes256-gcm@openssh.com"
    )
}

/// The four negotiated categories, with their OpenSSH option name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Kex,
    HostKey,
    Cipher,
    Mac,
}

impl Category {
    pub fn ours(self) -> &'static [&'static str] {
        match self {
            Category::Kex => OUR_KEX,
            Category::HostKey => OUR_HOSTKEY,
            Category::Cipher => OUR_CIPHERS,
            Category::Mac => OUR_MACS,
        }
    }
    /// `ssh -Q` query name.
    pub(super) fn query(self) -> &'static str {
        match self {
            Category::Kex => "kex",
            Category::HostKey => "HostKeyAlgorithms",
            Category::Cipher => "cipher",
            Category::Mac => "mac",
        }
    }
    /// ssh / sshd config keyword.
    pub fn option(self) -> &'static str {
        match self {
            Category::Kex => "KexAlgorithms",
            Category::HostKey => "HostKeyAlgorithms",
            Category::Cipher => "Ciphers",
            Category::Mac => "MACs",
        }
    }
    /// For file and directory names.
    pub fn label(self) -> &'static str {
        match self {
            Category::Kex => "kex",
            Category::HostKey => "hostkey",
            Category::Cipher => "cipher",
            Category::Mac => "mac",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Category::Kex => "kex",
            Category::HostKey => "host key",
            Category::Cipher => "cipher",
            Category::Mac => "MAC",
        }
    }
    /// Client options selecting `alg` in this category (MACs are tested under a non-AEAD cipher).
    pub fn client_options(self, alg: &str) -> Vec<String> {
        let mut v = vec!["-o".to_string(), format!("{}={alg}", self.option())];
        if self == Category::Mac {
            v.extend(["-o".to_string(), format!("Ciphers={MAC_TEST_CIPHER}")]);
        }
        v
    }
    /// What must be seen negotiated when `alg` is selected in this category.
    /// `peer_is_openssh`: OpenSSH prints `MAC: <implicit>` for AEAD ciphers (verified); our own
    /// text for that case is not part of the contract, so it is not checked.
    pub fn expect(self, alg: &str, peer_is_openssh: bool) -> Expect {
        let mut e = Expect::default();
        match self {
            Category::Kex => e.kex = Some(alg.to_string()),
            Category::HostKey => e.hostkey = Some(alg.to_string()),
            Category::Cipher => {
                e.cipher = Some(alg.to_string());
                if is_aead(alg) && peer_is_openssh {
                    e.mac = Some("<implicit>".to_string());
                }
            }
            Category::Mac => {
                e.cipher = Some(MAC_TEST_CIPHER.to_string());
                e.mac = Some(alg.to_string());
            }
        }
        e
    }
}

/// What a side must report as negotiated. `None` = not checked.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub kex: Option<String>,
    pub hostkey: Option<String>,
    pub cipher: Option<String>,
    /// Checked in both directions (only where a cipher line exists).
    pub mac: Option<String>,
}
