//! PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5208, RFC 5958), as PKCS#12 key bags carry
//! them, to the engine's [`PrivateKey`]: the key files' own PKCS#8 reader (`src/keys/pkcs.rs`),
//! with its refusals in this module's error type.

use super::PkiError;
use crate::keys::{KeyError, PrivateKey};

/// Decodes a PKCS#8 `PrivateKeyInfo` (unencrypted DER) into the engine's [`PrivateKey`].
pub fn pkcs8_private_key(der: &[u8]) -> Result<PrivateKey, PkiError> {
    crate::keys::private_from_pkcs8_der(der).map_err(|e| match e {
        KeyError::Unsupported(what) => PkiError::UnsupportedAlgorithm { oid: what },
        _ => PkiError::malformed("PKCS#8 private key"),
    })
}
