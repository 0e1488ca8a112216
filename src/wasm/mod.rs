//! The wasm-bindgen layer: the sans-IO [`Connection`] as a JavaScript class, `Engine`, with
//! JS-friendly arguments (byte arrays, milliseconds from `performance.now()`, plain objects for
//! events). No protocol logic lives here; the npm package's JavaScript (`js/`) drives it with a
//! WebSocket, timers and `crypto.getRandomValues`.

mod direct_tcpip;
mod engine;
mod events;
mod keys;
mod openssh_certs;
mod options;
mod security_key;
mod x509;

pub use engine::Engine;
pub use keys::{check_known_hosts, known_hosts_entry, private_key_info};
pub use openssh_certs::{
    check_known_hosts_certificate, known_hosts_has_cert_authority, open_ssh_certificate_info,
};
pub use security_key::{security_key_from_spki, security_key_info};
pub use x509::CertificateCredential;
