//! Per-channel outboxes: what the application wants sent on a channel, in order — data, a
//! request (`exit-status`), EOF, CLOSE — released to the engine as the peer's window allows.
//! A request or EOF queued behind data waits for that data, so nothing overtakes output.

use sshgate::Connection;
use sshgate::channel::{ChannelId, ChannelRequest};
use std::collections::{HashMap, VecDeque};
use tokio::sync::OwnedSemaphorePermit;

/// One thing to send.
#[derive(Debug)]
pub enum Item {
    /// Bytes (`ext: Some(1)` for stderr), sent from `offset` on; the permit goes when all are.
    Data {
        /// Extended data type, `None` for ordinary data.
        ext: Option<u32>,
        /// The bytes.
        bytes: Vec<u8>,
        /// How many are sent already.
        offset: usize,
        /// The reader's permit, released when the bytes are all in the engine.
        _permit: Option<OwnedSemaphorePermit>,
    },
    /// A channel request without want-reply.
    Request(ChannelRequest),
    /// SSH_MSG_CHANNEL_EOF.
    Eof,
    /// SSH_MSG_CHANNEL_CLOSE.
    Close,
}

impl Item {
    /// Data without a permit.
    #[must_use]
    pub fn data(ext: Option<u32>, bytes: Vec<u8>) -> Self {
        Item::Data {
            ext,
            bytes,
            offset: 0,
            _permit: None,
        }
    }
}

/// The outboxes of one connection's channels.
#[derive(Debug, Default)]
pub struct Outboxes {
    queues: HashMap<ChannelId, VecDeque<Item>>,
}

impl Outboxes {
    /// Queues `item` on `channel` and sends what the window allows.
    pub fn push(&mut self, conn: &mut Connection, channel: ChannelId, item: Item) {
        self.queues.entry(channel).or_default().push_back(item);
        self.flush(conn, channel);
    }

    /// Sends what the window allows (call on `Writable`).
    pub fn flush(&mut self, conn: &mut Connection, channel: ChannelId) {
        let Some(q) = self.queues.get_mut(&channel) else {
            return;
        };
        while let Some(front) = q.front_mut() {
            let done = match front {
                Item::Data {
                    ext, bytes, offset, ..
                } => {
                    let rest = &bytes[*offset..];
                    let sent = match ext {
                        None => conn.send_data(channel, rest),
                        Some(code) => conn.send_extended_data(channel, *code, rest),
                    };
                    match sent {
                        Ok(n) => {
                            *offset += n;
                            *offset == bytes.len()
                        }
                        // The channel is closing or gone: nothing more will go out on it.
                        Err(_) => {
                            q.clear();
                            break;
                        }
                    }
                }
                Item::Request(r) => {
                    let _ = conn.channel_request(channel, r, false);
                    true
                }
                Item::Eof => {
                    let _ = conn.send_eof(channel);
                    true
                }
                Item::Close => {
                    let _ = conn.close_channel(channel);
                    true
                }
            };
            if !done {
                break;
            }
            if let Some(Item::Data { bytes, .. }) = q.pop_front() {
                super::pool::give(bytes);
            }
        }
        if q.is_empty() {
            self.queues.remove(&channel);
        }
    }

    /// Bytes of data queued on `channel` and not yet taken by the engine.
    #[must_use]
    pub fn queued(&self, channel: ChannelId) -> usize {
        self.queues.get(&channel).map_or(0, |q| {
            q.iter()
                .map(|item| match item {
                    Item::Data { bytes, offset, .. } => bytes.len() - offset,
                    _ => 0,
                })
                .sum()
        })
    }

    /// Drops `channel`'s outbox (it closed).
    pub fn forget(&mut self, channel: ChannelId) {
        self.queues.remove(&channel);
    }
}
