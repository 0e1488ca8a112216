//! The client's half of a key exchange: its ephemeral key and, from the server's reply, `K`.

use super::{DhGroup, Family, KexAlg, KexError, SharedSecret, dh, ecdh, mlkem};
use crate::crypto::EngineRng;

/// The client's ephemeral key for one exchange.
pub struct ClientEphemeral {
    pub(super) public: Vec<u8>,
    pub(super) secret: ClientSecret,
}

pub(super) enum ClientSecret {
    Dh(dh::DhSecret),
    X25519(ecdh::X25519Secret),
    Nist(ecdh::NistSecret),
    MlKem(Box<mlkem::HybridSecret>),
}

impl ClientEphemeral {
    /// Generates the client's ephemeral key; `group` is required for group exchange (and ignored
    /// by the fixed-group methods, which always use their RFC 3526 group).
    pub fn generate(
        alg: KexAlg,
        group: Option<&DhGroup>,
        rng: &mut EngineRng,
    ) -> Result<Self, KexError> {
        let (public, secret) = match alg.family() {
            Family::DhFixed | Family::DhGex => {
                let (public, s) = dh::DhSecret::generate(alg.dh_group(group)?, alg.hash(), rng)?;
                (public, ClientSecret::Dh(s))
            }
            Family::X25519 => {
                let (public, s) = ecdh::X25519Secret::generate(rng);
                (public.to_vec(), ClientSecret::X25519(s))
            }
            Family::Nist(curve) => {
                let (public, s) = ecdh::NistSecret::generate(curve, rng);
                (public, ClientSecret::Nist(s))
            }
            Family::MlKemHybrid => {
                let (public, s) = mlkem::HybridSecret::generate(rng);
                (public, ClientSecret::MlKem(Box::new(s)))
            }
        };
        Ok(ClientEphemeral { public, secret })
    }

    /// The public value to send (`e`, `Q_C` or `C_INIT`), raw: magnitude bytes for mpint methods.
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// Computes `K` from the server's public value (`f`, `Q_S` or `S_REPLY`).
    pub fn finish(self, server_public: &[u8]) -> Result<SharedSecret, KexError> {
        match self.secret {
            ClientSecret::Dh(s) => s.agree(server_public).map(SharedSecret::mpint),
            ClientSecret::X25519(s) => s.agree(server_public).map(SharedSecret::mpint),
            ClientSecret::Nist(s) => s.agree(server_public).map(SharedSecret::mpint),
            ClientSecret::MlKem(s) => s.decapsulate(server_public).map(SharedSecret::string),
        }
    }
}
