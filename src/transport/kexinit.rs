//! SSH_MSG_KEXINIT and algorithm negotiation (RFC 4253 §7.1).

use crate::Error;
use crate::kex::KexAlg;
use crate::keys::HostKeyAlg;
use crate::msg::{KEXINIT, reason};
use crate::transport::cipher::{CipherAlg, MacAlg};
use crate::wire::{Reader, Writer};

/// Pseudo-algorithms advertised in the kex list (never negotiated as methods).
pub const EXT_INFO_C: &str = "ext-info-c";
/// RFC 8308: the server's marker.
pub const EXT_INFO_S: &str = "ext-info-s";
/// Strict key exchange (OpenSSH PROTOCOL §1.10, the Terrapin countermeasure), client side.
pub const KEX_STRICT_C: &str = "kex-strict-c-v00@openssh.com";
/// Strict key exchange, server side.
pub const KEX_STRICT_S: &str = "kex-strict-s-v00@openssh.com";

/// Name-lists longer than this are refused (OpenSSH sends a few hundred bytes per list).
const MAX_NAMES: usize = 128;

/// A decoded KEXINIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KexInit {
    /// Key exchange methods (including pseudo-algorithms).
    pub kex: Vec<String>,
    /// Host key algorithms.
    pub host_key: Vec<String>,
    /// Ciphers client to server.
    pub cipher_c2s: Vec<String>,
    /// Ciphers server to client.
    pub cipher_s2c: Vec<String>,
    /// MACs client to server.
    pub mac_c2s: Vec<String>,
    /// MACs server to client.
    pub mac_s2c: Vec<String>,
    /// Compression client to server.
    pub comp_c2s: Vec<String>,
    /// Compression server to client.
    pub comp_s2c: Vec<String>,
    /// The sender guessed the method and its first kex packet follows.
    pub first_kex_packet_follows: bool,
}

impl KexInit {
    /// Encodes the message with `cookie`.
    #[must_use]
    pub fn encode(&self, cookie: [u8; 16]) -> Vec<u8> {
        let mut w = Writer::message(KEXINIT);
        w.raw(&cookie);
        for l in [
            &self.kex,
            &self.host_key,
            &self.cipher_c2s,
            &self.cipher_s2c,
            &self.mac_c2s,
            &self.mac_s2c,
            &self.comp_c2s,
            &self.comp_s2c,
        ] {
            w.name_list(l);
        }
        w.name_list::<&str>(&[]).name_list::<&str>(&[]);
        w.bool(self.first_kex_packet_follows).u32(0);
        w.into_vec()
    }

    /// Decodes a whole KEXINIT payload (message number included).
    pub fn decode(payload: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        r.u8("message number")?;
        r.bytes(16, "cookie")?;
        let mut lists: Vec<Vec<String>> = Vec::with_capacity(10);
        for what in [
            "kex_algorithms",
            "server_host_key_algorithms",
            "encryption_algorithms_client_to_server",
            "encryption_algorithms_server_to_client",
            "mac_algorithms_client_to_server",
            "mac_algorithms_server_to_client",
            "compression_algorithms_client_to_server",
            "compression_algorithms_server_to_client",
            "languages_client_to_server",
            "languages_server_to_client",
        ] {
            let names = r.name_list(what)?;
            if names.len() > MAX_NAMES {
                return Err(Error::protocol(format!(
                    "KEXINIT {what} has {} names",
                    names.len()
                )));
            }
            lists.push(names.into_iter().map(str::to_string).collect());
        }
        let first_kex_packet_follows = r.bool("first_kex_packet_follows")?;
        r.u32("reserved")?;
        // RFC 4253 §7.1 ends the message with the reserved uint32; anything after is malformed.
        r.finish()?;
        let mut it = lists.into_iter();
        let mut next = || it.next().unwrap_or_default();
        Ok(KexInit {
            kex: next(),
            host_key: next(),
            cipher_c2s: next(),
            cipher_s2c: next(),
            mac_c2s: next(),
            mac_s2c: next(),
            comp_c2s: next(),
            comp_s2c: next(),
            first_kex_packet_follows,
        })
    }

    /// Whether `name` appears in the kex list (used for the pseudo-algorithms).
    #[must_use]
    pub fn has_kex(&self, name: &str) -> bool {
        self.kex.iter().any(|k| k == name)
    }
}

/// The algorithms both sides agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// Key exchange method.
    pub kex: KexAlg,
    /// Host key algorithm.
    pub host_key: HostKeyAlg,
    /// Cipher client to server.
    pub cipher_c2s: CipherAlg,
    /// Cipher server to client.
    pub cipher_s2c: CipherAlg,
    /// MAC client to server (`None` with an AEAD cipher).
    pub mac_c2s: Option<MacAlg>,
    /// MAC server to client (`None` with an AEAD cipher).
    pub mac_s2c: Option<MacAlg>,
}

/// RFC 4253 §7.1: "The chosen algorithm MUST be the first algorithm on the client's name-list
/// that is also on the server's name-list."
fn choose<'a>(client: &'a [String], server: &[String]) -> Option<&'a str> {
    client
        .iter()
        .find(|c| server.contains(c))
        .map(String::as_str)
}

fn no_match(what: &str, client: &[String], server: &[String]) -> Error {
    Error::policy(
        reason::KEY_EXCHANGE_FAILED,
        format!(
            "no matching {what}: client offered [{}], server offered [{}]",
            client.join(","),
            server.join(",")
        ),
    )
}

fn pick<T>(
    what: &str,
    client: &[String],
    server: &[String],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, Error> {
    choose(client, server)
        .and_then(parse)
        .ok_or_else(|| no_match(what, client, server))
}

fn pick_mac(
    dir: &str,
    cipher: CipherAlg,
    client: &[String],
    server: &[String],
) -> Result<Option<MacAlg>, Error> {
    // An AEAD cipher authenticates by itself; the MAC lists are not consulted (OpenSSH PROTOCOL §1.6).
    if cipher.is_aead() {
        return Ok(None);
    }
    pick(
        &format!("MAC {dir}"),
        client,
        server,
        MacAlg::from_wire_name,
    )
    .map(Some)
}

/// Negotiates from the client's and server's KEXINITs.
pub fn negotiate(client: &KexInit, server: &KexInit) -> Result<Negotiated, Error> {
    let kex = pick(
        "key exchange method",
        &client.kex,
        &server.kex,
        KexAlg::from_name,
    )?;
    let host_key = pick(
        "host key algorithm",
        &client.host_key,
        &server.host_key,
        HostKeyAlg::from_name,
    )?;
    let cipher_c2s = pick(
        "cipher client to server",
        &client.cipher_c2s,
        &server.cipher_c2s,
        CipherAlg::from_name,
    )?;
    let cipher_s2c = pick(
        "cipher server to client",
        &client.cipher_s2c,
        &server.cipher_s2c,
        CipherAlg::from_name,
    )?;
    let mac_c2s = pick_mac(
        "client to server",
        cipher_c2s,
        &client.mac_c2s,
        &server.mac_c2s,
    )?;
    let mac_s2c = pick_mac(
        "server to client",
        cipher_s2c,
        &client.mac_s2c,
        &server.mac_s2c,
    )?;
    for (dir, c, s) in [
        ("client to server", &client.comp_c2s, &server.comp_c2s),
        ("server to client", &client.comp_s2c, &server.comp_s2c),
    ] {
        if choose(c, s) != Some("none") {
            return Err(no_match(
                &format!("compression {dir} (only \"none\" is supported)"),
                c,
                s,
            ));
        }
    }
    Ok(Negotiated {
        kex,
        host_key,
        cipher_c2s,
        cipher_s2c,
        mac_c2s,
        mac_s2c,
    })
}

/// RFC 4253 §7.1: a guessed first kex packet is right only if both sides' first kex method and
/// first host key algorithm are the same.
#[must_use]
pub fn guess_was_right(client: &KexInit, server: &KexInit) -> bool {
    client.kex.first() == server.kex.first() && client.host_key.first() == server.host_key.first()
}

#[cfg(test)]
#[path = "kexinit_tests.rs"]
mod tests;
