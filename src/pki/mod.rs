//! X.509v3 certificates for SSH (RFC 6187): key blobs, chain validation against trust anchors
//! and a caller-supplied time, revocation (CRLs, stapled OCSP), identity mapping, and loading
//! (PEM, DER, PKCS#12).
//!
//! Sans-IO like the rest of the engine: no clock (every check takes `now` as seconds since the
//! Unix epoch from the caller), no files, no network (CRLs and anchors are handed in as bytes).
//!
//! Shape: [`X509Alg`] names the algorithms; [`X509Blob`] is the RFC 6187 §2.1 key blob;
//! [`Certificate`] one parsed certificate; [`TrustAnchors`] the application's CAs;
//! [`verify_chain`] builds and checks a path under a [`Policy`] and returns the leaf's key as a
//! [`crate::keys::PublicKey`] plus its [`Identity`]; [`Identity::username`] maps it to a login
//! name as IOS `authorization username subjectname ...` does. [`CertifiedKey`] is our own key
//! with its chain (a host or user identity); [`CertificateCheck`] is what the engine found of a
//! peer's chain during key exchange or user authentication.

mod alg;
mod blob;
mod cert;
mod certified;
mod checks;
mod constraints;
mod crl;
mod dw;
mod error;
mod identity;
mod names;
mod ocsp;
mod oid;
mod pem;
mod pkcs12;
mod pkcs8;
mod policy;
mod revocation;
mod sig;
mod spki;
mod verify;

#[cfg(test)]
mod tests;

pub use alg::X509Alg;
pub use blob::{BlobLimits, X509Blob};
pub use cert::{Certificate, MAX_CERT_BYTES};
pub use certified::{CertificateCheck, CertifiedKey};
pub(crate) use certified::{check_chain, leaf_key};
pub use crl::{Crl, MAX_CRL_BYTES};
pub use error::{CertName, PkiError};
pub use identity::{Identity, UsernameField};
pub use names::DnPattern;
pub use ocsp::MAX_OCSP_BYTES;
pub use pem::{MAX_PEM_BLOCKS, MAX_PEM_BYTES, pem_blocks, to_pem};
pub use pkcs8::pkcs8_private_key;
pub use pkcs12::{MAX_PKCS12_BYTES, Pkcs12};
pub use policy::{EkuPolicy, Policy, Purpose, Revocation, Trustpoint, load_certificates};
pub use revocation::RevocationStatus;
pub use verify::{Validated, algorithms_for, verify_certificates, verify_chain};
