//! `direct-tcpip` channels (RFC 4254 §7.2) for JavaScript: the client asks the server to
//! connect to `host:port` and carries that TCP connection's bytes in a channel. The npm
//! package's `conn.forwardOut` and its jump host chain (a second `Engine` driven over such a
//! channel's bytes) use it; data, EOF, window and close are the same calls as a session's.

use super::engine::{Engine, js_error};
use crate::channel::ChannelKind;
use wasm_bindgen::prelude::*;

/// The longest host name RFC 1035 allows (an IP literal is shorter): a longer one is the
/// caller's mistake, refused before anything is sent.
const MAX_HOST: usize = 255;

#[wasm_bindgen]
impl Engine {
    /// Opens a `direct-tcpip` channel to `host:port` (as the server resolves and reaches it);
    /// `originator`/`originatorPort` say where the connection comes from (RFC 4254 §7.2; e.g.
    /// `127.0.0.1`, 0 for none). Returns its id; `opened` or `openFailed` follows.
    #[wasm_bindgen(js_name = openDirectTcpip)]
    pub fn open_direct_tcpip(
        &mut self,
        host: &str,
        port: u32,
        originator: &str,
        originator_port: u32,
    ) -> Result<u32, JsValue> {
        if host.is_empty() || host.len() > MAX_HOST {
            return Err(
                JsError::new("direct-tcpip: a host name of 1 to 255 bytes is needed").into(),
            );
        }
        if port == 0 || port > 65535 || originator_port > 65535 {
            return Err(JsError::new("direct-tcpip: ports are 1 to 65535").into());
        }
        let kind = ChannelKind::DirectTcpip {
            host: host.to_string(),
            port,
            originator: originator.to_string(),
            originator_port,
        };
        self.conn
            .open_channel(kind)
            .map(|c| c.0)
            .map_err(|e| js_error(&e))
    }
}
