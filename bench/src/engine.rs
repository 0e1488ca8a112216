//! The engine's packet path: `PacketSealer::seal` into one reused buffer, `PacketOpener::open` in
//! place, exactly as the transport calls them (one packet per call, sequence number per packet).

use crate::{fixed_key, packet_count, payload};
use sshgate::crypto::EngineRng;
use sshgate::internals::{DirectionKeys, PacketOpener, PacketSealer};
use sshgate::transport::cipher::{CipherAlg, MacAlg};
use zeroize::Zeroizing;

/// Parses a cipher and MAC name (`""` or `"none"` for AEAD ciphers). Panics on unknown names.
pub(crate) fn algs(cipher: &str, mac: &str) -> (CipherAlg, Option<MacAlg>) {
    let c = CipherAlg::from_name(cipher).unwrap_or_else(|| panic!("unknown cipher {cipher}"));
    let m = match mac {
        "" | "none" => None,
        m => Some(MacAlg::from_name(m).unwrap_or_else(|| panic!("unknown MAC {m}"))),
    };
    assert_eq!(c.is_aead(), m.is_none(), "{cipher}: MAC {mac:?}");
    (c, m)
}

/// Seals and opens `total_bytes` of payload in packets of `packet_payload` bytes with the engine.
/// Returns a checksum of the opened payloads. Panics if a packet does not come back intact.
#[must_use]
pub fn seal_open_engine(cipher: &str, mac: &str, total_bytes: usize, packet_payload: usize) -> u64 {
    let (c, m) = algs(cipher, mac);
    let keys = DirectionKeys {
        cipher: c,
        mac: m,
        key: Zeroizing::new(fixed_key(c.key_len(), 1)),
        iv: Zeroizing::new(fixed_key(c.iv_len(), 2)),
        mac_key: Zeroizing::new(fixed_key(m.map_or(0, MacAlg::key_len), 3)),
    };
    let mut sealer = PacketSealer::new(&keys);
    let mut opener = PacketOpener::new(&keys);
    let mut rng = EngineRng::from_seed([9; 32]);
    let data = payload(packet_payload);
    let mut wire = Vec::with_capacity(packet_payload + 256);
    let mut sum = 0u64;
    for seq in 0..packet_count(total_bytes, packet_payload) as u32 {
        wire.clear();
        sealer.seal(seq, &data, &mut rng, &mut wire);
        let opened = match opener.open(seq, &mut wire) {
            Ok(Some(o)) => o,
            other => panic!("{cipher} {mac}: packet {seq} did not open: {other:?}"),
        };
        let p = &wire[opened.payload.clone()];
        assert_eq!(
            p.len(),
            data.len(),
            "{cipher} {mac}: packet {seq}: payload length"
        );
        assert!(
            opened.consumed == wire.len() && p.first() == data.first() && p.last() == data.last(),
            "{cipher} {mac}: packet {seq} came back wrong"
        );
        let mid = p.get(p.len() / 2).copied().unwrap_or(0);
        sum = sum.wrapping_add(u64::from(mid) + opened.consumed as u64);
    }
    sum
}
