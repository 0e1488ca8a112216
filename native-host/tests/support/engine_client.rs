//! A small blocking SSH client on the sshgate engine, for tests (and the `login_flood` example)
//! that must behave in ways a real client will not: stay connected after a failed password,
//! stop reading while the server has output for it, flood pings. Anything a real client does,
//! the tests do with OpenSSH's `ssh`.

use sshgate::userauth::AuthEvent;
use sshgate::{ClientConfig, Connection, Event, Instant};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The engine's clock for every client of this process.
fn now() -> Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    Instant::from_duration(ORIGIN.get_or_init(std::time::Instant::now).elapsed())
}

/// One connection.
pub struct EngineClient {
    pub stream: TcpStream,
    pub conn: Connection,
    out: Vec<u8>,
}

/// How a password attempt ended.
#[derive(Debug, PartialEq, Eq)]
pub enum PasswordOutcome {
    Accepted,
    Refused,
    /// The server closed the connection (e.g. too many failures); its reason.
    Closed(String),
}

impl EngineClient {
    /// Connects to 127.0.0.1:`port`; nothing is exchanged yet.
    pub fn connect(port: u16) -> std::io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        Ok(Self::over(stream))
    }

    /// A client over an open socket.
    pub fn over(stream: TcpStream) -> Self {
        let _ = stream.set_nodelay(true);
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("OS random numbers");
        let conn = Connection::client(Arc::new(ClientConfig::default()), now(), seed);
        EngineClient {
            stream,
            conn,
            out: Vec::new(),
        }
    }

    /// Sends what the engine queued.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.clear();
        while self.conn.poll_transmit(&mut self.out) {}
        if !self.out.is_empty() {
            self.stream.write_all(&self.out)?;
        }
        Ok(())
    }

    /// Runs the connection until `stop` returns true for an event (each event is passed to it
    /// after the host key has been trusted), the connection closes, or `limit` passes.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut stop: impl FnMut(&mut Connection, &Event) -> bool,
    ) -> Result<(), String> {
        let end = std::time::Instant::now() + limit;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            self.flush().map_err(|e| format!("write: {e}"))?;
            while let Some(ev) = self.conn.poll_event() {
                if let Event::HostKey(_) = ev {
                    self.conn.answer_host_key(true).map_err(|e| e.to_string())?;
                }
                if stop(&mut self.conn, &ev) {
                    self.flush().map_err(|e| format!("write: {e}"))?;
                    return Ok(());
                }
                if let Event::Closed(e) = &ev {
                    return Err(format!("closed: {}", e.description));
                }
                self.flush().map_err(|e| format!("write: {e}"))?;
            }
            if self.conn.is_closed() {
                return Err("closed".into());
            }
            let left = end.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(format!("nothing after {limit:?}"));
            }
            let _ = self
                .stream
                .set_read_timeout(Some(left.min(Duration::from_millis(100))));
            match self.stream.read(&mut buf) {
                Ok(0) => return Err("the server closed the socket".into()),
                Ok(n) => {
                    if let Err(e) = self.conn.handle_input(&buf[..n], now()) {
                        return Err(format!("engine: {}", e.description));
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    self.conn.handle_timeout(now());
                }
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    /// Key exchange done and the `ssh-userauth` service accepted.
    pub fn handshake(&mut self, limit: Duration) -> Result<(), String> {
        self.run_until(limit, |conn, ev| match ev {
            Event::KexComplete { initial: true, .. } => {
                conn.request_service("ssh-userauth");
                false
            }
            Event::ServiceAccepted(_) => true,
            _ => false,
        })
    }

    /// One password attempt.
    pub fn password(&mut self, user: &str, password: &str, limit: Duration) -> PasswordOutcome {
        if let Err(e) = self.conn.auth_password(user, password) {
            return PasswordOutcome::Closed(e.description);
        }
        let mut outcome = None;
        let r = self.run_until(limit, |_, ev| match ev {
            Event::Auth(AuthEvent::Success) => {
                outcome = Some(PasswordOutcome::Accepted);
                true
            }
            Event::Auth(AuthEvent::Failure { .. }) => {
                outcome = Some(PasswordOutcome::Refused);
                true
            }
            _ => false,
        });
        match (outcome, r) {
            (Some(o), _) => o,
            (None, Err(e)) => PasswordOutcome::Closed(e),
            (None, Ok(())) => unreachable!("stopped without an outcome"),
        }
    }
}
