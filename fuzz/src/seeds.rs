//! The seed inputs of every target, made from real sessions and the fixtures: a recorded
//! handshake and session for each role's byte-stream target (it replays byte for byte, the
//! seeds being fixed: the replay tests check that it gets to an open channel), and for the
//! session targets operation lists that walk every method and message once. `tests/
//! fuzz_regressions.rs` runs them all and writes them to `fuzz/seeds/` when asked (README.md).

use crate::app::App;
use crate::fixtures::{
    self, INT_ED25519, INT_P256, INT_P256_CRL, PASSWORD, ROOT_P256, SERVER_P256, SERVER_P256_OCSP,
    SERVER_REVOKED, SERVER_REVOKED_OCSP, USER_ED25519, USER_P256,
};
use crate::ops::op;
use crate::session::tag;
use crate::targets::wire;
use crate::templates;
use sshgate::crypto::EngineRng;
use sshgate::kex::KexAlg;
use sshgate::keys::HostKeyAlg;
use sshgate::msg::*;
use sshgate::pki::{X509Alg, X509Blob, to_pem};
use sshgate::transport::kexinit::KexInit;
use sshgate::wire::Writer;
use sshgate::{Connection, Instant};

/// One seed: target, file name, bytes.
pub type Seed = (&'static str, String, Vec<u8>);

/// Runs `target` against `peer` (both answering events with the fixed policy) until neither
/// has more to say, and returns every byte the peer sent: a whole session as the target saw it.
fn record(mut target: Connection, mut peer: Connection) -> Vec<u8> {
    let (mut app, mut peer_app) = (App::new(), App::new());
    peer.set_wall_clock(fixtures::NOW);
    let mut sent = Vec::new();
    for _ in 0..1000 {
        let mut moved = false;
        let mut buf = Vec::new();
        if target.poll_transmit(&mut buf) {
            moved = true;
            let _ = peer.handle_input(&buf, Instant::ZERO);
        }
        let mut buf = Vec::new();
        if peer.poll_transmit(&mut buf) {
            moved = true;
            sent.extend_from_slice(&buf);
            let _ = target.handle_input(&buf, Instant::ZERO);
        }
        peer_app.settle(&mut peer);
        app.settle(&mut target);
        if !moved {
            break;
        }
    }
    sent
}

fn recorded() -> Vec<Seed> {
    let mut v = Vec::new();
    let server = |cfg| Connection::server(cfg, Instant::ZERO, [2; 32]);
    let client = |cfg| Connection::client(cfg, Instant::ZERO, [2; 32]);
    v.push((
        "client_input",
        "session-wide".into(),
        record(wire::client(), server(fixtures::wide_server_config())),
    ));
    v.push((
        "server_input",
        "session-wide".into(),
        record(wire::server(), client(fixtures::wide_client_config())),
    ));
    for s in 0..fixtures::SUITES.len() {
        v.push((
            "client_input",
            format!("session-suite{s}"),
            record(wire::client(), server(fixtures::server_config(s))),
        ));
        v.push((
            "server_input",
            format!("session-suite{s}"),
            record(wire::server(), client(fixtures::client_config(s))),
        ));
    }
    v
}

/// Builds a session input: suite byte, then operations.
struct Ops(Vec<u8>);

impl Ops {
    fn new(suite: u8) -> Self {
        Ops(vec![suite])
    }
    fn payload(mut self, p: &[u8]) -> Self {
        self.0.extend(op(tag::PAYLOAD, p));
        self
    }
    fn msg(self, m: u8, f: impl FnOnce(&mut Writer)) -> Self {
        let mut w = Writer::message(m);
        f(&mut w);
        self.payload(w.as_slice())
    }
    /// A template head (found by its bytes) and the rest.
    fn head(mut self, head: &[u8], rest: impl FnOnce(&mut Writer)) -> Self {
        let mut w = Writer::new();
        rest(&mut w);
        let mut body = vec![templates::index_of(head)];
        body.extend_from_slice(w.as_slice());
        self.0.extend(op(tag::TEMPLATE, &body));
        self
    }
    fn time(mut self, secs: u8) -> Self {
        self.0.extend(op(tag::TIME, &[secs]));
        self
    }
    fn signed(mut self, pick: u8, rest: &[u8]) -> Self {
        let mut body = vec![pick];
        body.extend_from_slice(rest);
        self.0.extend(op(tag::SIGNED, &body));
        self
    }
    fn raw(mut self, bytes: &[u8]) -> Self {
        self.0.extend(op(tag::RAW, bytes));
        self
    }
}

fn userauth_head(method: &str) -> Vec<u8> {
    let mut w = Writer::message(USERAUTH_REQUEST);
    w.string(b"fuzz")
        .string(b"ssh-connection")
        .string(method.as_bytes());
    w.into_vec()
}

fn named(m: u8, name: &str) -> Vec<u8> {
    let mut w = Writer::message(m);
    w.string(name.as_bytes());
    w.into_vec()
}

fn channel_request_head(name: &str) -> Vec<u8> {
    let mut w = Writer::message(CHANNEL_REQUEST);
    w.u32(0).string(name.as_bytes());
    w.into_vec()
}

fn rekey_kexinit() -> Vec<u8> {
    let names = |l: &[&str]| l.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    KexInit {
        kex: names(&[KexAlg::Curve25519Sha256.name()]),
        host_key: names(&[HostKeyAlg::SshEd25519.name()]),
        cipher_c2s: names(&["chacha20-poly1305@openssh.com"]),
        cipher_s2c: names(&["chacha20-poly1305@openssh.com"]),
        mac_c2s: names(&["hmac-sha2-256-etm@openssh.com"]),
        mac_s2c: names(&["hmac-sha2-256-etm@openssh.com"]),
        comp_c2s: names(&["none"]),
        comp_s2c: names(&["none"]),
        first_kex_packet_follows: false,
    }
    .encode([1; 16])
}

/// What a client sends a server after the key exchange, one method and message at a time.
fn server_sessions() -> Vec<Seed> {
    let user_blob = fixtures::user_key().public().to_blob();
    let cert = &fixtures::user_certificates()[1];
    let cert_alg = cert.algorithms()[0];
    let open_session = |o: Ops, sender: u32| {
        o.msg(CHANNEL_OPEN, |w| {
            w.string(b"session").u32(sender).u32(1 << 20).u32(32768);
        })
    };
    let mut v = Vec::new();
    let password = |o: Ops| {
        o.head(&userauth_head("password"), |w| {
            w.bool(false).string(PASSWORD.as_bytes());
        })
    };
    let login = |suite| {
        password(Ops::new(suite).msg(SERVICE_REQUEST, |w| {
            w.string(b"ssh-userauth");
        }))
    };
    for s in 0..4u8 {
        v.push(("server_post_kex", format!("login-suite{s}"), login(s).0));
    }
    let early = Ops::new(0)
        .msg(IGNORE, |w| {
            w.string(b"x");
        })
        .msg(DEBUG, |w| {
            w.bool(true).string(b"debug text\x1b[31m").string(b"");
        })
        .msg(PING, |w| {
            w.string(b"ping");
        })
        .msg(EXT_INFO, |w| {
            w.u32(1).string(b"ping@openssh.com").string(b"0");
        })
        .payload(&named(CHANNEL_OPEN, "session"))
        .msg(SERVICE_REQUEST, |w| {
            w.string(b"ssh-connection");
        });
    v.push(("server_post_kex", "early-messages".into(), early.0));
    let rekey = Ops::new(0)
        .payload(&rekey_kexinit())
        .msg(KEX_INIT_30, |w| {
            w.string(&[9; 32]);
        })
        .msg(NEWKEYS, |_| {});
    v.push(("server_post_kex", "rekey".into(), rekey.0));
    let raw = Ops::new(1).raw(&[0x20; 64]);
    v.push(("server_post_kex", "garbage-packet".into(), raw.0));

    // User authentication: every method, right and wrong, with the failure delay's clock.
    let ua = |name: &str, o: Ops| ("userauth_server", name.to_string(), o.0);
    v.push(ua(
        "none-then-password",
        Ops::new(0)
            .head(&userauth_head("none"), |_| {})
            .head(&userauth_head("password"), |w| {
                w.bool(false).string(b"wrong");
            })
            .time(2)
            .head(&userauth_head("password"), |w| {
                w.bool(false).string(PASSWORD.as_bytes());
            }),
    ));
    v.push(ua(
        "password-change",
        Ops::new(1)
            .head(&userauth_head("password"), |w| {
                w.bool(false).string(b"expired");
            })
            .head(&userauth_head("password"), |w| {
                w.bool(true).string(b"expired").string(b"new");
            }),
    ));
    v.push(ua(
        "publickey",
        Ops::new(2)
            .head(&userauth_head("publickey"), |w| {
                w.bool(false).string(b"ssh-ed25519").string(&user_blob);
            })
            .signed(0, &[]),
    ));
    v.push(ua("signed-blob", Ops::new(0).signed(3, &user_blob)));
    v.push(ua(
        "certificate",
        Ops::new(3)
            .head(&userauth_head("publickey"), |w| {
                w.bool(false)
                    .string(cert_alg.name().as_bytes())
                    .string(&cert.blob(cert_alg));
            })
            .signed(2, &[]),
    ));
    v.push(ua("certificate-ed25519", Ops::new(1).signed(1, &[])));
    v.push(ua(
        "keyboard-interactive",
        Ops::new(0)
            .head(&userauth_head("keyboard-interactive"), |w| {
                w.string(b"").string(b"");
            })
            .msg(USERAUTH_61, |w| {
                w.u32(2).string(PASSWORD.as_bytes()).string(b"123456");
            }),
    ));
    v.push(ua(
        "partial-then-failures",
        Ops::new(0)
            .head(&userauth_head("password"), |w| {
                w.bool(false).string(b"partial");
            })
            .head(&userauth_head("hostbased"), |w| {
                w.string(b"ssh-ed25519")
                    .string(&user_blob)
                    .string(b"host")
                    .string(b"u");
            })
            .head(&userauth_head("gssapi-with-mic"), |w| {
                w.u32(0);
            })
            .time(200),
    ));
    v.push(ua(
        "success-then-channel",
        open_session(password(Ops::new(0)), 0).head(&channel_request_head("shell"), |w| {
            w.bool(true);
        }),
    ));

    // Channels on an authenticated server with session 0 open.
    let ch = |name: &str, o: Ops| ("channels_server", name.to_string(), o.0);
    v.push(ch(
        "data-window",
        Ops::new(0)
            .msg(CHANNEL_DATA, |w| {
                w.u32(0).string(&[b'a'; 1000]);
            })
            .msg(CHANNEL_WINDOW_ADJUST, |w| {
                w.u32(0).u32(1 << 16);
            })
            .msg(CHANNEL_EXTENDED_DATA, |w| {
                w.u32(0).u32(1).string(b"err");
            })
            .head(&channel_request_head("window-change"), |w| {
                w.bool(false).u32(80).u32(24).u32(0).u32(0);
            })
            .head(&channel_request_head("signal"), |w| {
                w.bool(false).string(b"INT");
            })
            .head(&channel_request_head("break"), |w| {
                w.bool(true).u32(500);
            })
            .msg(CHANNEL_EOF, |w| {
                w.u32(0);
            })
            .msg(CHANNEL_CLOSE, |w| {
                w.u32(0);
            }),
    ));
    v.push(ch(
        "second-session-exec",
        open_session(Ops::new(1), 7)
            .head(&channel_request_head("pty-req"), |w| {
                w.bool(true)
                    .string(b"vt100")
                    .u32(80)
                    .u32(24)
                    .u32(0)
                    .u32(0)
                    .string(&[1, 0, 0, 0, 3, 0]);
            })
            .payload(&{
                let mut w = Writer::message(CHANNEL_REQUEST);
                w.u32(1)
                    .string(b"exec")
                    .bool(true)
                    .string(b"show running-config");
                w.into_vec()
            })
            .msg(CHANNEL_CLOSE, |w| {
                w.u32(1);
            }),
    ));
    v.push(ch(
        "opens-and-globals",
        Ops::new(2)
            .msg(CHANNEL_OPEN, |w| {
                w.string(b"direct-tcpip")
                    .u32(3)
                    .u32(4096)
                    .u32(1024)
                    .string(b"10.0.0.1")
                    .u32(22)
                    .string(b"127.0.0.1")
                    .u32(5555);
            })
            .msg(CHANNEL_OPEN, |w| {
                w.string(b"x11")
                    .u32(4)
                    .u32(4096)
                    .u32(1024)
                    .string(b"127.0.0.1")
                    .u32(6000);
            })
            .msg(GLOBAL_REQUEST, |w| {
                w.string(b"tcpip-forward")
                    .bool(true)
                    .string(b"localhost")
                    .u32(0);
            })
            .msg(GLOBAL_REQUEST, |w| {
                w.string(b"cancel-tcpip-forward")
                    .bool(true)
                    .string(b"localhost")
                    .u32(4242);
            })
            .msg(GLOBAL_REQUEST, |w| {
                w.string(b"no-more-sessions@openssh.com").bool(false);
            })
            .msg(CHANNEL_OPEN, |w| {
                w.string(b"session").u32(5).u32(4096).u32(1024);
            }),
    ));
    v.push(ch(
        "rekey",
        Ops::new(0)
            .payload(&rekey_kexinit())
            .msg(KEX_INIT_30, |w| {
                w.string(&[9; 32]);
            })
            .msg(NEWKEYS, |_| {})
            .time(255),
    ));
    v
}

/// What a server sends a client after the key exchange.
fn client_sessions() -> Vec<Seed> {
    let mut v = Vec::new();
    let failure = |methods: &str| {
        let mut w = Writer::message(USERAUTH_FAILURE);
        w.string(methods.as_bytes()).bool(false);
        w.into_vec()
    };
    let accept = |s| {
        Ops::new(s).msg(SERVICE_ACCEPT, |w| {
            w.string(b"ssh-userauth");
        })
    };
    let confirm = |o: Ops| {
        o.msg(CHANNEL_OPEN_CONFIRMATION, |w| {
            w.u32(0).u32(0).u32(1 << 20).u32(32768);
        })
    };
    for s in 0..4u8 {
        v.push((
            "client_post_kex",
            format!("login-suite{s}"),
            confirm(
                accept(s)
                    .payload(&failure("password"))
                    .payload(&[USERAUTH_SUCCESS]),
            )
            .msg(CHANNEL_SUCCESS, |w| {
                w.u32(0);
            })
            .msg(CHANNEL_DATA, |w| {
                w.u32(0).string(b"router1# ");
            })
            .0,
        ));
    }
    let sig_algs = "x509v3-ssh-ed25519,x509v3-ecdsa-sha2-nistp256,ssh-ed25519";
    v.push((
        "client_post_kex",
        "every-method".into(),
        accept(0)
            .msg(EXT_INFO, |w| {
                w.u32(1)
                    .string(b"server-sig-algs")
                    .string(sig_algs.as_bytes());
            })
            .msg(USERAUTH_BANNER, |w| {
                w.string(b"Authorized use only\r\n\x1b[2J").string(b"");
            })
            .payload(&failure("publickey,keyboard-interactive,password"))
            .payload(&failure("publickey,keyboard-interactive,password"))
            .payload(&failure("publickey,keyboard-interactive,password"))
            .msg(USERAUTH_60, |w| {
                w.string(b"ssh-ed25519")
                    .string(&fixtures::user_key().public().to_blob());
            })
            .payload(&failure("keyboard-interactive,password"))
            .msg(USERAUTH_60, |w| {
                w.string(b"login")
                    .string(b"answer")
                    .string(b"")
                    .u32(2)
                    .string(b"Password: ")
                    .bool(false)
                    .string(b"Code: ")
                    .bool(true);
            })
            .payload(&failure("password"))
            .msg(USERAUTH_60, |w| {
                w.string(b"Password expired").string(b"");
            })
            .payload(&[USERAUTH_SUCCESS])
            .0,
    ));
    let ch = |name: &str, o: Ops| ("channels_client", name.to_string(), o.0);
    v.push(ch(
        "output-and-exit",
        Ops::new(0)
            .msg(CHANNEL_DATA, |w| {
                w.u32(0).string(&[b'x'; 1000]);
            })
            .msg(CHANNEL_EXTENDED_DATA, |w| {
                w.u32(0).u32(1).string(b"% error");
            })
            .msg(CHANNEL_WINDOW_ADJUST, |w| {
                w.u32(0).u32(4096);
            })
            .head(&channel_request_head("xon-xoff"), |w| {
                w.bool(false).bool(true);
            })
            .head(&channel_request_head("exit-status"), |w| {
                w.bool(false).u32(3);
            })
            .head(&channel_request_head("exit-signal"), |w| {
                w.bool(false)
                    .string(b"TERM")
                    .bool(false)
                    .string(b"killed")
                    .string(b"");
            })
            .msg(CHANNEL_EOF, |w| {
                w.u32(0);
            })
            .msg(CHANNEL_CLOSE, |w| {
                w.u32(0);
            }),
    ));
    v.push(ch(
        "forwarded-and-globals",
        Ops::new(1)
            .msg(CHANNEL_OPEN, |w| {
                w.string(b"forwarded-tcpip")
                    .u32(9)
                    .u32(4096)
                    .u32(1024)
                    .string(b"localhost")
                    .u32(4242)
                    .string(b"192.0.2.7")
                    .u32(40000);
            })
            .msg(CHANNEL_OPEN, |w| {
                w.string(b"x11")
                    .u32(10)
                    .u32(4096)
                    .u32(1024)
                    .string(b"127.0.0.1")
                    .u32(6010);
            })
            .msg(GLOBAL_REQUEST, |w| {
                w.string(b"hostkeys-00@openssh.com")
                    .bool(false)
                    .string(&fixtures::host_key().public().to_blob());
            })
            .msg(GLOBAL_REQUEST, |w| {
                w.string(b"keepalive@openssh.com").bool(true);
            })
            .msg(CHANNEL_CLOSE, |w| {
                w.u32(1);
            })
            .msg(CHANNEL_OPEN_FAILURE, |w| {
                w.u32(3).u32(2).string(b"no").string(b"");
            })
            .payload(&[REQUEST_SUCCESS]),
    ));
    v.push(ch("rekey", Ops::new(0).payload(&rekey_kexinit())));
    v
}

fn pki_seeds() -> Vec<Seed> {
    let mut v = Vec::new();
    let chain = |mode: u8, certs: &[&[u8]]| {
        let mut d = vec![mode];
        for c in certs {
            d.extend(op(0, c));
        }
        d
    };
    v.push((
        "x509_chain",
        "user-p256".into(),
        chain(0, &[USER_P256, INT_P256]),
    ));
    v.push((
        "x509_chain",
        "user-ed25519".into(),
        chain(0, &[USER_ED25519, INT_ED25519]),
    ));
    v.push((
        "x509_chain",
        "server-p256".into(),
        chain(1, &[SERVER_P256, INT_P256]),
    ));
    v.push((
        "x509_chain",
        "leaf-alone".into(),
        chain(3, &[SERVER_REVOKED]),
    ));
    v.push(("x509_chain", "root".into(), chain(0, &[ROOT_P256])));
    let blob = X509Blob::new(
        X509Alg::EcdsaNistp256,
        vec![USER_P256.to_vec(), INT_P256.to_vec()],
    )
    .encode();
    let alg_index = fixtures::x509_algs()
        .iter()
        .position(|a| *a == X509Alg::EcdsaNistp256)
        .expect("listed");
    let mut b = vec![u8::try_from(alg_index << 2).expect("small")];
    b.extend(blob);
    v.push(("x509_chain", "blob".into(), b));
    let mut pem = vec![0];
    pem.extend(to_pem("CERTIFICATE", USER_P256).into_bytes());
    pem.extend(to_pem("CERTIFICATE", INT_P256).into_bytes());
    v.push(("x509_chain", "pem".into(), pem));

    let with = |mode: u8, bytes: &[u8]| {
        let mut d = vec![mode];
        d.extend_from_slice(bytes);
        d
    };
    v.push(("revocation", "crl-der".into(), with(0, INT_P256_CRL)));
    v.push((
        "revocation",
        "crl-pem".into(),
        with(5, to_pem("X509 CRL", INT_P256_CRL).as_bytes()),
    ));
    v.push(("revocation", "ocsp-good".into(), with(2, SERVER_P256_OCSP)));
    v.push((
        "revocation",
        "ocsp-revoked".into(),
        with(3, SERVER_REVOKED_OCSP),
    ));
    v.push(("revocation", "ocsp-soft".into(), with(6, SERVER_P256_OCSP)));
    v
}

macro_rules! key_data {
    ($($name:literal),* $(,)?) => {
        [$(($name, &include_bytes!(concat!("../../src/keys/tests/data/", $name))[..])),*]
    };
}

fn file_seeds() -> Vec<Seed> {
    let mut v = Vec::new();
    let files = key_data!(
        "ed25519-enc.pkcs8",
        "ed25519.pkcs8",
        "ed25519.spki",
        "p256-des3.sec1",
        "p256-scrypt.pkcs8",
        "p256-sha1-enc.pkcs8",
        "p256.rfc4716",
        "p256.sec1",
        "p384-enc.sec1",
        "p384.spki",
        "p521.sec1",
        "rsa1024.pkcs1",
        "rsa2048-aes256.pkcs1",
        "rsa2048.pkcs1pub",
    );
    for (name, bytes) in files {
        // Encrypted fixtures get their passphrase (index 1), the others none.
        let pass = u8::from(name.contains("-enc") || name.contains("des3") || name.contains("aes"));
        let mut d = vec![pass];
        d.extend_from_slice(bytes);
        v.push(("key_files", name.to_string(), d));
    }
    let mut rng = EngineRng::from_seed([4; 32]);
    let key = fixtures::user_key();
    let mut d = vec![1];
    d.extend(key.to_openssh("user@host", &mut rng).into_bytes());
    v.push(("key_files", "openssh".into(), d));
    let mut d = vec![1];
    d.extend(
        key.to_openssh_with_passphrase("user@host", "pem pass", 2, &mut rng)
            .expect("encrypts")
            .into_bytes(),
    );
    v.push(("key_files", "openssh-enc".into(), d));
    let mut d = vec![0];
    d.extend(key.public().to_openssh_line("user@host").into_bytes());
    v.push(("key_files", "public-line".into(), d));
    let mut d = vec![2];
    d.extend_from_slice(include_bytes!("../../tests/wasm/x509/user_rsa.p12"));
    v.push(("key_files", "pkcs12".into(), d));

    let lines = key_data!("known_hosts", "known_hosts.hashed", "public-lines");
    for (name, bytes) in lines {
        v.push(("key_lines", name.to_string(), bytes.to_vec()));
    }
    let k = key.public().to_openssh_line("user@host");
    let authorized = format!(
        "{k}\n\
         restrict,pty,command=\"show version\",from=\"192.0.2.0/24,!192.0.2.9,2001:db8::/32\",\
         expiry-time=\"20991231\",environment=\"A=b\",permitopen=\"h:22\" {k}\n\
         no-port-forwarding,no-X11-Forwarding,principals=\"a,b\",tunnel=\"0\" {k}\n\
         @revoked * {k}\n\
         @cert-authority *.example.com {k}\n\
         [router1]:2222,192.0.2.1 {k}\n\
         router1.example.com,!bad.example.com {k}\n"
    );
    v.push((
        "key_lines",
        "authorized_keys".into(),
        authorized.into_bytes(),
    ));
    v
}

fn decoder_seeds() -> Vec<Seed> {
    let mut v = vec![
        ("decoders", "kexinit".into(), rekey_kexinit()),
        (
            "decoders",
            "ed25519-blob".into(),
            fixtures::user_key().public().to_blob(),
        ),
    ];
    let p256 = fixtures::user_certificates()[1].clone();
    v.push((
        "decoders",
        "p256-blob".into(),
        p256.key().public().to_blob(),
    ));
    v.push((
        "decoders",
        "x509-blob".into(),
        p256.blob(p256.algorithms()[0]),
    ));
    let mut w = Writer::new();
    w.name_list(&["a", "b,c"]).mpint(&[0x80, 1]).string(b"s");
    v.push(("decoders", "wire".into(), w.into_vec()));
    v
}

/// Every seed of every target.
#[must_use]
pub fn all() -> Vec<Seed> {
    let mut v = recorded();
    v.extend(server_sessions());
    v.extend(client_sessions());
    v.extend(pki_seeds());
    v.extend(file_seeds());
    v.extend(decoder_seeds());
    v.extend(transfer_seeds());
    v
}

/// SFTP packets as OpenSSH's client and server send them, and SCP records and exec lines.
fn transfer_seeds() -> Vec<Seed> {
    use sshgate::sftp::{Attrs, Request, Response};
    let mut stream = Vec::new();
    Request::Init {
        version: 3,
        extensions: vec![],
    }
    .encode(&mut stream);
    Request::Open {
        id: 1,
        path: b"/upload.bin",
        pflags: 0x1a,
        attrs: Attrs::default(),
    }
    .encode(&mut stream);
    Request::Write {
        id: 2,
        handle: b"h1",
        offset: 0,
        data: b"contents",
    }
    .encode(&mut stream);
    Request::Close {
        id: 3,
        handle: b"h1",
    }
    .encode(&mut stream);
    let mut replies = Vec::new();
    Response::Version {
        version: 3,
        extensions: vec![(&b"posix-rename@openssh.com"[..], &b"1"[..])],
    }
    .encode(&mut replies);
    Response::Status {
        id: 3,
        code: 0,
        message: "Success",
        language: "",
    }
    .encode(&mut replies);
    vec![
        ("transfer", "sftp-upload".into(), stream),
        ("transfer", "sftp-replies".into(), replies),
        (
            "transfer",
            "scp-records".into(),
            b"T1700000000 0 1700000000 0\nD0755 0 dir\nC0644 5 a.txt\nhello\0E\n\x01scp: warn\n"
                .to_vec(),
        ),
        (
            "transfer",
            "scp-command".into(),
            b"scp -r -p -t -- '/dir with space/'".to_vec(),
        ),
    ]
}
