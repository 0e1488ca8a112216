//! Identity files for public key authentication: read one (OpenSSH format, or PEM: PKCS#1,
//! SEC1, PKCS#8, encrypted or not), and tell a usable key from one that needs a passphrase, is
//! missing, or cannot be used.

use sshgate::keys::{KeyError, PrivateKey};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Private key files bigger than this are not keys (RSA-16384 in OpenSSH format is ~13 KiB).
const MAX_KEY_FILE: u64 = 64 * 1024;

/// What reading an identity file gave.
pub enum Loaded {
    /// A key ready to sign.
    Key(Arc<PrivateKey>),
    /// An encrypted key: ask for the passphrase and call [`unlock`] with this text.
    NeedsPassphrase(Zeroizing<String>),
    /// The file does not exist.
    Missing,
    /// It exists but is no key we can use (the text says why).
    Unusable(String),
}

/// Reads the identity at `path`.
#[must_use]
pub fn load(path: &Path) -> Loaded {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return Loaded::Unusable(e.to_string()),
    };
    if meta.len() > MAX_KEY_FILE {
        return Loaded::Unusable("file too large for a private key".into());
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => Zeroizing::new(t),
        Err(e) => return Loaded::Unusable(e.to_string()),
    };
    match parse(&text, None) {
        Ok(key) => Loaded::Key(key),
        Err(KeyError::Passphrase) => Loaded::NeedsPassphrase(text),
        Err(e) => Loaded::Unusable(e.to_string()),
    }
}

/// Decrypts an encrypted identity's text with `passphrase`.
pub fn unlock(text: &str, passphrase: &str) -> Result<Arc<PrivateKey>, KeyError> {
    parse(text, Some(passphrase))
}

fn parse(text: &str, passphrase: Option<&str>) -> Result<Arc<PrivateKey>, KeyError> {
    PrivateKey::from_text(text, passphrase).map(|(k, _)| Arc::new(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sshgate::crypto::EngineRng;
    use sshgate::keys::KeyKind;

    #[test]
    fn plain_encrypted_missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = EngineRng::from_seed([7; 32]);
        let key = PrivateKey::generate(KeyKind::Ed25519, &mut rng).unwrap();
        let plain = dir.path().join("id_plain");
        std::fs::write(&plain, key.to_openssh("t", &mut rng)).unwrap();
        let locked = dir.path().join("id_locked");
        let text = key
            .to_openssh_with_passphrase("t", "open sesame", 4, &mut rng)
            .unwrap();
        std::fs::write(&locked, text).unwrap();
        let junk = dir.path().join("id_junk");
        std::fs::write(&junk, "not a key\n").unwrap();

        assert!(matches!(load(&plain), Loaded::Key(k) if k.public() == key.public()));
        let Loaded::NeedsPassphrase(t) = load(&locked) else {
            panic!("an encrypted key must ask for its passphrase")
        };
        assert_eq!(unlock(&t, "wrong").err(), Some(KeyError::Passphrase));
        assert_eq!(unlock(&t, "open sesame").unwrap().public(), key.public());
        assert!(matches!(load(&dir.path().join("none")), Loaded::Missing));
        assert!(matches!(load(&junk), Loaded::Unusable(_)));
    }
}
