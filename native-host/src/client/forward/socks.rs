//! The server side of a SOCKS handshake for `-D`: SOCKS5 (RFC 1928) with the no-auth method
//! and CONNECT only, to IPv4, IPv6 or a domain name; SOCKS4 and 4a (CONNECT) as OpenSSH also
//! takes them. Hand-written: the crates that do this bring a whole proxy server with them, and
//! the part needed is a few bounded reads. Every length is a single byte (at most 255), and
//! SOCKS4's NUL-terminated fields are cut at [`MAX_FIELD`].
//!
//! The reply is sent later, once the server answered the channel open ([`success`],
//! [`failure`]), so a client learns whether the connection really exists.

use std::net::{Ipv4Addr, Ipv6Addr};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The longest SOCKS4 user id or 4a host name taken.
const MAX_FIELD: usize = 255;

/// Which protocol the client spoke, for its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// SOCKS4 or 4a.
    V4,
    /// SOCKS5.
    V5,
}

/// A CONNECT request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The version to answer in.
    pub version: Version,
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("SOCKS: {what}"))
}

/// Reads the client's greeting and request (answering the method selection of SOCKS5); refused
/// requests get their error reply here.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S) -> std::io::Result<Request> {
    match s.read_u8().await? {
        5 => socks5(s).await,
        4 => socks4(s).await,
        _ => Err(bad("unknown version")),
    }
}

async fn socks5<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S) -> std::io::Result<Request> {
    let n = usize::from(s.read_u8().await?);
    let mut methods = [0u8; 255];
    s.read_exact(&mut methods[..n]).await?;
    if !methods[..n].contains(&0) {
        // X'FF': no acceptable method.
        s.write_all(&[5, 0xff]).await?;
        return Err(bad("no acceptable authentication method"));
    }
    s.write_all(&[5, 0]).await?;
    let mut head = [0u8; 4];
    s.read_exact(&mut head).await?;
    let [ver, cmd, _rsv, atyp] = head;
    if ver != 5 {
        return Err(bad("bad request version"));
    }
    let host = match atyp {
        1 => {
            let mut a = [0u8; 4];
            s.read_exact(&mut a).await?;
            Ipv4Addr::from(a).to_string()
        }
        4 => {
            let mut a = [0u8; 16];
            s.read_exact(&mut a).await?;
            Ipv6Addr::from(a).to_string()
        }
        3 => {
            let len = usize::from(s.read_u8().await?);
            let mut name = [0u8; 255];
            s.read_exact(&mut name[..len]).await?;
            host_name(&name[..len])?
        }
        _ => {
            s.write_all(&reply5(8)).await?;
            return Err(bad("address type not supported"));
        }
    };
    let port = s.read_u16().await?;
    if cmd != 1 {
        s.write_all(&reply5(7)).await?;
        return Err(bad("only CONNECT is supported"));
    }
    Ok(Request {
        version: Version::V5,
        host,
        port,
    })
}

async fn socks4<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S) -> std::io::Result<Request> {
    let cmd = s.read_u8().await?;
    let port = s.read_u16().await?;
    let mut ip = [0u8; 4];
    s.read_exact(&mut ip).await?;
    let _user = read_nul_terminated(s).await?;
    // SOCKS4a: 0.0.0.x (x non-zero) means a host name follows.
    let host = if ip[..3] == [0, 0, 0] && ip[3] != 0 {
        host_name(&read_nul_terminated(s).await?)?
    } else {
        Ipv4Addr::from(ip).to_string()
    };
    if cmd != 1 {
        s.write_all(&reply4(false)).await?;
        return Err(bad("only CONNECT is supported"));
    }
    Ok(Request {
        version: Version::V4,
        host,
        port,
    })
}

/// A NUL-terminated field of at most [`MAX_FIELD`] bytes.
async fn read_nul_terminated<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    loop {
        match s.read_u8().await? {
            0 => return Ok(v),
            _ if v.len() == MAX_FIELD => return Err(bad("field too long")),
            b => v.push(b),
        }
    }
}

/// A host name as the client sent it: printable ASCII only (it goes into the channel open and
/// our messages).
fn host_name(b: &[u8]) -> std::io::Result<String> {
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_graphic()) {
        return Err(bad("bad host name"));
    }
    Ok(String::from_utf8_lossy(b).into_owned())
}

/// A SOCKS5 reply with code `rep` and an unspecified bound address.
fn reply5(rep: u8) -> [u8; 10] {
    [5, rep, 0, 1, 0, 0, 0, 0, 0, 0]
}

fn reply4(granted: bool) -> [u8; 8] {
    [0, if granted { 0x5a } else { 0x5b }, 0, 0, 0, 0, 0, 0]
}

/// The reply once the channel is open.
#[must_use]
pub fn success(v: Version) -> Vec<u8> {
    match v {
        Version::V5 => reply5(0).to_vec(),
        Version::V4 => reply4(true).to_vec(),
    }
}

/// The reply when the server refused the channel (an RFC 4254 open failure code).
#[must_use]
pub fn failure(v: Version, reason: u32) -> Vec<u8> {
    use sshgate::channel::open_failure;
    match v {
        Version::V5 => reply5(match reason {
            open_failure::ADMINISTRATIVELY_PROHIBITED => 2,
            open_failure::CONNECT_FAILED => 5,
            _ => 1,
        })
        .to_vec(),
        Version::V4 => reply4(false).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the handshake on `input`; returns the request and what was written back.
    async fn run(input: &[u8]) -> (std::io::Result<Request>, Vec<u8>) {
        let (mut client, mut server) = tokio::io::duplex(4096);
        client.write_all(input).await.unwrap();
        // Our end of input: a truncated request meets EOF instead of waiting.
        client.shutdown().await.unwrap();
        let r = handshake(&mut server).await;
        drop(server);
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        (r, back)
    }

    #[tokio::test]
    async fn socks5_requests() {
        let (r, back) = run(&[5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 80]).await;
        assert_eq!(r.unwrap().host, "127.0.0.1");
        assert_eq!(back, [5, 0]);
        let mut v6 = vec![5, 2, 2, 0, 5, 1, 0, 4];
        v6.extend(Ipv6Addr::LOCALHOST.octets());
        v6.extend([0x1f, 0x90]);
        let r = run(&v6).await.0.unwrap();
        assert_eq!((r.host.as_str(), r.port), ("::1", 8080));
        let mut d = vec![5, 1, 0, 5, 1, 0, 3, 9];
        d.extend(b"localhost");
        d.extend([0, 22]);
        let r = run(&d).await.0.unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.version),
            ("localhost", 22, Version::V5)
        );
    }

    #[tokio::test]
    async fn socks5_refusals() {
        // Username/password only: no acceptable method.
        let (r, back) = run(&[5, 1, 2]).await;
        assert!(r.is_err());
        assert_eq!(back, [5, 0xff]);
        // BIND.
        let (r, back) = run(&[5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80]).await;
        assert!(r.is_err());
        assert_eq!(back[2..], reply5(7));
        // Truncated and empty names.
        assert!(run(&[5, 1, 0, 5, 1, 0, 3, 9, b'a']).await.0.is_err());
        assert!(run(&[5, 1, 0, 5, 1, 0, 3, 0, 0, 80]).await.0.is_err());
        assert!(run(&[6]).await.0.is_err());
    }

    #[tokio::test]
    async fn socks4_and_4a() {
        let r = run(&[4, 1, 0, 80, 10, 0, 0, 1, b'u', 0]).await.0.unwrap();
        assert_eq!(
            (r.host.as_str(), r.port, r.version),
            ("10.0.0.1", 80, Version::V4)
        );
        let mut a = vec![4, 1, 0, 80, 0, 0, 0, 1, 0];
        a.extend(b"example.org\0");
        assert_eq!(run(&a).await.0.unwrap().host, "example.org");
        let mut long = vec![4, 1, 0, 80, 10, 0, 0, 1];
        long.extend([b'u'; 300]);
        assert!(run(&long).await.0.is_err());
    }
}
