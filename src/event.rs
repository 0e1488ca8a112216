//! What an engine tells its driver.

use crate::Error;
use crate::keys::{HostKeyAlg, PublicKey};
use crate::pki::CertificateCheck;
use crate::transport::kexinit::Negotiated;

/// Something the application may want to know or must decide.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// The peer's identification line (e.g. `SSH-2.0-OpenSSH_9.2p1`), and any lines a server sent
    /// before it.
    PeerVersion {
        /// The identification line without CR LF.
        version: String,
        /// Lines before it (servers only; often a pre-login notice).
        prelude: Vec<String>,
    },
    /// Client only: the server proved it holds this host key. Nothing more is sent or processed
    /// until [`crate::Connection::answer_host_key`] says whether it is trusted.
    HostKey(HostKeyInfo),
    /// A key exchange finished; the new keys are in use in both directions.
    KexComplete {
        /// The algorithms in use now.
        algorithms: Negotiated,
        /// True for the first exchange, false for a re-key.
        initial: bool,
    },
    /// Client only: the server accepted the requested service.
    ServiceAccepted(String),
    /// Server only: a client started a service (`ssh-userauth`).
    ServiceStarted(String),
    /// RFC 8308 extensions from the peer (name, raw value).
    ExtInfo(Vec<(String, Vec<u8>)>),
    /// The peer sent SSH_MSG_IGNORE with this many bytes.
    Ignore(usize),
    /// The peer sent SSH_MSG_DEBUG.
    Debug {
        /// Whether the sender asked for it to be shown.
        always_display: bool,
        /// The text.
        message: String,
    },
    /// The peer answered our `ping@openssh.com` with this data.
    Pong(Vec<u8>),
    /// User authentication: a result, a banner, or a question to answer.
    Auth(crate::userauth::AuthEvent),
    /// The connection protocol: channels and global requests.
    Channel(crate::channel::ChannelEvent),
    /// An AES key of a mode `keystream_offload` names was taken into use; the driver may compute
    /// its keystream elsewhere and hand it in ([`crate::Connection::supply_keystream`]).
    KeystreamKeys(crate::transport::keystream_offload::KeystreamKeys),
    /// The connection ended; nothing more will happen. Holds the reason.
    Closed(Error),
}

/// A host key offered by a server during the first key exchange.
#[derive(Debug, Clone)]
pub struct HostKeyInfo {
    /// The negotiated host key algorithm.
    pub algorithm: HostKeyAlg,
    /// The key (for `x509v3-*`, the key of the server's own certificate).
    pub key: PublicKey,
    /// `SHA256:...` as OpenSSH prints it.
    pub fingerprint: String,
    /// For an `x509v3-*` host key: what checking the server's certificate chain against
    /// [`crate::ClientConfig::host_trust`] (purpose `secureShellServer`, the wall clock, the
    /// host name) found. `key` is then the leaf certificate's key, which made the signature
    /// either way; trusting a valid chain needs no known_hosts entry, while a refused one can
    /// still be trusted by its key (or refused with `refusal()` as the reason).
    pub certificate: Option<Box<CertificateCheck>>,
    /// For a `*-cert-v01@openssh.com` host key: the server's OpenSSH certificate (`key` is the
    /// certified key, which made the signature). Nothing about it is checked yet: pass it to
    /// [`crate::keys::known_hosts::check_host_certificate`] with the known_hosts text and the
    /// time; if no `@cert-authority` line vouches for it, `key` can still be trusted as a
    /// plain key (as OpenSSH falls back to it).
    pub openssh_certificate: Option<Box<crate::keys::openssh_cert::OpenSshCert>>,
}
