//! The targets, by what they feed: the wire from a peer (`wire`), sessions past the first key
//! exchange (`post_kex`), X.509 (`pki`), and the files and lines a driver reads (`files`).

pub mod files;
pub mod pki;
pub mod post_kex;
pub mod wire;
