//! RFC 8308 extension negotiation: SSH_MSG_EXT_INFO.

use super::Transport;
use crate::event::Event;
use crate::msg::EXT_INFO;
use crate::wire::{Reader, Writer};
use crate::{Error, Role};

/// More extensions than this in one message is not a real peer (OpenSSH sends four or five).
const MAX_EXTENSIONS: u32 = 32;

impl Transport {
    /// The server's EXT_INFO: which signature algorithms it accepts for user authentication
    /// (`x509v3-*` only with trustpoints for user certificates: asyncssh, for one, picks its
    /// certificate algorithm from this list; the security key ones always, since user
    /// authentication verifies them), and that it answers `ping@openssh.com`.
    pub(super) fn ext_info_payload(&self) -> Vec<u8> {
        let sig_algs: Vec<&str> = self
            .cfg
            .algorithms
            .host_key
            .iter()
            .filter(|a| self.accepts_user_alg(**a))
            .map(|a| a.name())
            // FIDO security keys: user keys only, never host keys (as sshd lists them).
            .chain([
                crate::keys::sk_ecdsa::SK_ECDSA_P256,
                crate::keys::sk_ecdsa::WEBAUTHN_SK_ECDSA_P256,
            ])
            .collect();
        let sig_algs = self.with_openssh_cert_algs(sig_algs);
        let mut w = Writer::message(EXT_INFO);
        w.u32(2);
        w.string(b"server-sig-algs").name_list(&sig_algs);
        w.string(b"ping@openssh.com").string(b"0");
        w.into_vec()
    }

    /// With OpenSSH user certificates, `server-sig-algs` also names each certificate algorithm
    /// whose signature algorithm it lists (clients that look for them find them; OpenSSH's
    /// own client reads the plain names).
    fn with_openssh_cert_algs(&self, mut algs: Vec<&'static str>) -> Vec<&'static str> {
        if let super::RoleConfig::Server {
            openssh_user_certificates: true,
            ..
        } = &self.role_cfg
        {
            let certs = crate::userauth::openssh_cert::names_for(&algs);
            algs.extend(certs);
        }
        algs
    }

    pub(super) fn on_ext_info(&mut self, payload: &[u8]) -> Result<(), Error> {
        let mut r = Reader::new(&payload[1..]);
        let n = r.u32("nr-extensions")?;
        if n > MAX_EXTENSIONS {
            return Err(Error::protocol(format!("EXT_INFO with {n} extensions")));
        }
        let mut exts = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let name = String::from_utf8_lossy(r.string("extension-name")?).into_owned();
            let value = r.string("extension-value")?.to_vec();
            if name == "server-sig-algs" && self.role == Role::Client {
                // The value is the name-list's content: the string itself is the list.
                let names = core::str::from_utf8(&value)
                    .ok()
                    .filter(|s| s.bytes().all(|b| (0x21..=0x7e).contains(&b)))
                    .ok_or_else(|| Error::protocol("server-sig-algs is not a list of names"))?;
                self.server_sig_algs = Some(
                    names
                        .split(',')
                        .filter(|n| !n.is_empty())
                        .take(64)
                        .map(str::to_string)
                        .collect(),
                );
            }
            exts.push((name, value));
        }
        r.finish()?;
        self.events.push_back(Event::ExtInfo(exts));
        Ok(())
    }
}
