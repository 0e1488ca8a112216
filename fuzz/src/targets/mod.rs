//! The targets, by what they feed: the wire from a peer (`wire`), sessions past the first key
//! exchange (`post_kex`), X.509 (`pki`), the files and lines a driver reads (`files`), and the
//! file-transfer protocols (`transfer`).

pub mod files;
pub mod pki;
pub mod post_kex;
pub mod transfer;
pub mod wire;
