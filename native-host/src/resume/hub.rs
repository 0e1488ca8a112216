//! The sessions of one listener by id, and the limits on parked ones. A session registers when
//! it starts and leaves when it ends; a reconnecting WebSocket is handed to its task through
//! the one-place channel kept here (a second resume meanwhile finds it full: 4409).

use super::ResumeSettings;
use super::frame::{SID_LEN, Sid};
use crate::web::limits::source_key;
use axum::extract::ws::WebSocket;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// A reconnect handed to a session: the new socket and the client's RESUME numbers.
pub struct Attach {
    pub ws: Box<WebSocket>,
    /// Server bytes the client has received.
    pub ack: u64,
    /// Client bytes the client has sent.
    pub pos: u64,
    pub peer: SocketAddr,
}

/// Why a resume was not handed over (the close code says it to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotHanded {
    Unknown,
    Busy,
}

#[derive(Default)]
struct State {
    sessions: HashMap<Sid, mpsc::Sender<Attach>>,
    parked_total: usize,
    parked_by_source: HashMap<IpAddr, usize>,
}

/// The registry.
pub struct Hub {
    pub settings: ResumeSettings,
    state: Mutex<State>,
}

impl Hub {
    #[must_use]
    pub fn new(settings: ResumeSettings) -> Arc<Self> {
        Arc::new(Hub {
            settings,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new session: a fresh id from the OS CSPRNG and the channel its reconnects arrive on.
    pub fn register(&self) -> anyhow::Result<(Sid, mpsc::Receiver<Attach>)> {
        let (tx, rx) = mpsc::channel(1);
        let mut st = self.lock();
        loop {
            let mut id = [0u8; SID_LEN];
            getrandom::fill(&mut id).map_err(|e| anyhow::anyhow!("session id: {e}"))?;
            let sid = Sid(id);
            if let std::collections::hash_map::Entry::Vacant(v) = st.sessions.entry(sid) {
                v.insert(tx);
                return Ok((sid, rx));
            }
        }
    }

    /// Hands a reconnect to session `sid`.
    pub fn hand_over(&self, sid: &Sid, a: Attach) -> Result<(), (NotHanded, Attach)> {
        let st = self.lock();
        let Some(tx) = st.sessions.get(sid) else {
            return Err((NotHanded::Unknown, a));
        };
        tx.try_send(a).map_err(|e| match e {
            mpsc::error::TrySendError::Full(a) => (NotHanded::Busy, a),
            mpsc::error::TrySendError::Closed(a) => (NotHanded::Unknown, a),
        })
    }

    /// Session `sid` ended: its id is unknown from now on.
    pub fn remove(&self, sid: &Sid) {
        self.lock().sessions.remove(sid);
    }

    /// Takes a parking place for a session whose client was at `ip`; false past a limit.
    pub fn park(&self, ip: IpAddr) -> bool {
        let key = source_key(ip);
        let mut st = self.lock();
        let mine = st.parked_by_source.get(&key).copied().unwrap_or(0);
        if st.parked_total >= self.settings.max_parked
            || mine >= self.settings.max_parked_per_source
        {
            return false;
        }
        st.parked_total += 1;
        *st.parked_by_source.entry(key).or_insert(0) += 1;
        true
    }

    /// Gives back the place [`Hub::park`] took for `ip`.
    pub fn unpark(&self, ip: IpAddr) {
        let key = source_key(ip);
        let mut st = self.lock();
        st.parked_total = st.parked_total.saturating_sub(1);
        if let Some(n) = st.parked_by_source.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                st.parked_by_source.remove(&key);
            }
        }
    }

    /// Sessions parked now.
    #[must_use]
    pub fn parked(&self) -> usize {
        self.lock().parked_total
    }

    /// Sessions known now (attached or parked).
    #[cfg(test)]
    #[must_use]
    pub fn sessions(&self) -> usize {
        self.lock().sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn hub(total: usize, per: usize) -> Arc<Hub> {
        Hub::new(ResumeSettings {
            grace: Duration::from_secs(1),
            buffer: 1 << 16,
            max_parked: total,
            max_parked_per_source: per,
            ping: Duration::from_secs(30),
        })
    }

    #[test]
    fn parking_limits() {
        let h = hub(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        let b2: IpAddr = "2001:db8::2".parse().unwrap();
        assert!(h.park(a) && h.park(a));
        assert!(!h.park(a), "per source");
        assert!(h.park(b));
        assert!(!h.park(b2), "total");
        h.unpark(a);
        assert!(h.park(b2), "a place came free; b's /64 has one of two");
        assert!(!h.park(b2), "the /64 counts b and b2 together");
        assert_eq!(h.parked(), 3);
    }

    #[test]
    fn ids_are_distinct_and_unknown_ones_refused() {
        let h = hub(1, 1);
        let (s1, _r1) = h.register().unwrap();
        let (s2, _r2) = h.register().unwrap();
        assert_ne!(s1, s2);
        assert_eq!(h.sessions(), 2);
        h.remove(&s1);
        assert_eq!(h.sessions(), 1);
    }
}
