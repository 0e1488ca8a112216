//! The baseline: per packet, the crypto the engine must do, straight on the RustCrypto primitives
//! the engine uses, over a packet of the same size (length field, padding length, payload and
//! minimal padding). Both directions: encrypt + MAC, then verify + decrypt.
//!
//! What the baseline leaves out is exactly the framing the ratio measures: copying the payload
//! into the output buffer, drawing random padding, checking lengths and padding on open.
//! It does not skip any crypto: keystream/CBC state runs on across packets as on a connection,
//! HMACs are keyed once and cloned per packet, chacha20-poly1305 re-keys per packet (length key,
//! Poly1305 key from block 0, payload from block 1) and GCM bumps its invocation counter.

use crate::{fixed_key, packet_count, payload};
use aes::{Aes128, Aes192, Aes256};
use aes_gcm::{AeadInOut, Aes128Gcm, Aes256Gcm};
use chacha20::ChaCha20Legacy;
use chacha20::cipher::array::Array;
use chacha20::cipher::{
    BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit, StreamCipher, StreamCipherSeek,
};
use hmac::{Hmac, Mac};
use poly1305::Poly1305;
use subtle::ConstantTimeEq;

/// Seals and opens `total_bytes` of payload in packets of `packet_payload` bytes with the raw
/// primitives. Returns a checksum. Panics on unknown names or a failed verification.
#[must_use]
pub fn seal_open_raw(cipher: &str, mac: &str, total_bytes: usize, packet_payload: usize) -> u64 {
    let n = packet_count(total_bytes, packet_payload);
    let p = packet_payload;
    if let Some(r) = aead(cipher, p, n) {
        assert!(matches!(mac, "" | "none"), "{cipher} takes no MAC");
        return r;
    }
    let m = RawMac::new(mac);
    let etm = m.etm;
    type Cbc<C> = (cbc::Encryptor<C>, cbc::Decryptor<C>);
    match cipher {
        "aes128-ctr" => run_ctr::<ctr::Ctr128BE<Aes128>>(16, 16, &m, packet(16, p, !etm), n),
        "aes192-ctr" => run_ctr::<ctr::Ctr128BE<Aes192>>(24, 16, &m, packet(16, p, !etm), n),
        "aes256-ctr" => run_ctr::<ctr::Ctr128BE<Aes256>>(32, 16, &m, packet(16, p, !etm), n),
        "aes128-cbc" => run_cbc::<Cbc<Aes128>>(16, 16, &m, packet(16, p, !etm), n),
        "aes192-cbc" => run_cbc::<Cbc<Aes192>>(24, 16, &m, packet(16, p, !etm), n),
        "aes256-cbc" => run_cbc::<Cbc<Aes256>>(32, 16, &m, packet(16, p, !etm), n),
        "3des-cbc" => run_cbc::<Cbc<des::TdesEde3>>(24, 8, &m, packet(8, p, !etm), n),
        _ => panic!("unknown cipher {cipher}"),
    }
}

fn aead(cipher: &str, p: usize, n: usize) -> Option<u64> {
    Some(match cipher {
        "chacha20-poly1305@openssh.com" => run_chacha(packet(8, p, false), n),
        "aes128-gcm@openssh.com" => run_gcm::<Aes128Gcm>(16, packet(16, p, false), n),
        "aes256-gcm@openssh.com" => run_gcm::<Aes256Gcm>(32, packet(16, p, false), n),
        _ => return None,
    })
}

/// A plaintext binary packet: `uint32 packet_length, byte padding_length, payload, padding`, with
/// the minimal padding (>= 4) that aligns it to `block` (counting the length field only when it
/// is encrypted with the rest, i.e. not for AEAD and ETM).
fn packet(block: usize, payload_len: usize, length_in_blocks: bool) -> Vec<u8> {
    let head = if length_in_blocks { 5 } else { 1 };
    let mut pad = block - (head + payload_len) % block;
    if pad < 4 {
        pad += block;
    }
    let mut pkt = Vec::with_capacity(5 + payload_len + pad);
    pkt.extend_from_slice(&((1 + payload_len + pad) as u32).to_be_bytes());
    pkt.push(pad as u8);
    pkt.extend_from_slice(&payload(payload_len));
    pkt.resize(pkt.len() + pad, 0);
    pkt
}

fn run_chacha(mut pkt: Vec<u8>, n: usize) -> u64 {
    let key = fixed_key(64, 1);
    let (main, header): ([u8; 32], [u8; 32]) =
        (key[..32].try_into().unwrap(), key[32..].try_into().unwrap());
    let poly = |c: &mut ChaCha20Legacy| {
        let mut pk = [0u8; 32];
        c.apply_keystream(&mut pk);
        c.seek(64u64);
        Poly1305::new(&pk.into())
    };
    let mut sum = 0u64;
    for seq in 0..n as u64 {
        let nonce = seq.to_be_bytes().into();
        // Seal.
        ChaCha20Legacy::new(&header.into(), &nonce).apply_keystream(&mut pkt[..4]);
        let mut c = ChaCha20Legacy::new(&main.into(), &nonce);
        let mac = poly(&mut c);
        c.apply_keystream(&mut pkt[4..]);
        let tag = mac.compute_unpadded(&pkt);
        // Open: length into a copy (the ciphertext is still to be authenticated), tag, payload.
        let mut len: [u8; 4] = pkt[..4].try_into().unwrap();
        ChaCha20Legacy::new(&header.into(), &nonce).apply_keystream(&mut len);
        let mut c = ChaCha20Legacy::new(&main.into(), &nonce);
        let check = poly(&mut c).compute_unpadded(&pkt);
        assert!(
            bool::from(check.as_slice().ct_eq(tag.as_slice())),
            "poly1305"
        );
        c.apply_keystream(&mut pkt[4..]);
        pkt[..4].copy_from_slice(&len);
        sum = sum.wrapping_add(u64::from(tag[0]) + u64::from(pkt[pkt.len() - 1]));
    }
    sum
}

fn run_gcm<A: AeadInOut + KeyInit>(key_len: usize, mut pkt: Vec<u8>, n: usize) -> u64 {
    let aead = A::new_from_slice(&fixed_key(key_len, 1)).unwrap();
    let mut seal_iv: [u8; 12] = fixed_key(12, 2).try_into().unwrap();
    let mut open_iv = seal_iv;
    let bump = |iv: &mut [u8; 12]| {
        let c = u64::from_be_bytes(iv[4..].try_into().unwrap()).wrapping_add(1);
        iv[4..].copy_from_slice(&c.to_be_bytes());
    };
    let mut sum = 0u64;
    for _ in 0..n {
        let (len, body) = pkt.split_at_mut(4);
        let nonce = Array::try_from(&seal_iv[..]).unwrap();
        let tag = aead
            .encrypt_inout_detached(&nonce, len, body.into())
            .unwrap();
        bump(&mut seal_iv);
        let nonce = Array::try_from(&open_iv[..]).unwrap();
        aead.decrypt_inout_detached(&nonce, len, body.into(), &tag)
            .expect("gcm tag");
        bump(&mut open_iv);
        sum = sum.wrapping_add(u64::from(tag[0]) + u64::from(body[body.len() - 1]));
    }
    sum
}

/// Encrypts or decrypts whole packets in place, keeping the mode's state across packets.
trait Crypt {
    fn crypt(&mut self, buf: &mut [u8]);
}

struct Stream<S>(S);
impl<S: StreamCipher> Crypt for Stream<S> {
    fn crypt(&mut self, buf: &mut [u8]) {
        self.0.apply_keystream(buf);
    }
}

struct CbcEnc<E>(E);
impl<E: BlockModeEncrypt> Crypt for CbcEnc<E> {
    fn crypt(&mut self, buf: &mut [u8]) {
        let (blocks, rest) = Array::slice_as_chunks_mut(buf);
        assert!(rest.is_empty(), "unaligned CBC packet");
        self.0.encrypt_blocks(blocks);
    }
}

struct CbcDec<D>(D);
impl<D: BlockModeDecrypt> Crypt for CbcDec<D> {
    fn crypt(&mut self, buf: &mut [u8]) {
        let (blocks, rest) = Array::slice_as_chunks_mut(buf);
        assert!(rest.is_empty(), "unaligned CBC packet");
        self.0.decrypt_blocks(blocks);
    }
}

fn run_ctr<S: KeyIvInit + StreamCipher>(
    kl: usize,
    il: usize,
    m: &RawMac,
    pkt: Vec<u8>,
    n: usize,
) -> u64 {
    let new = || Stream(S::new_from_slices(&fixed_key(kl, 1), &fixed_key(il, 2)).unwrap());
    run_hmac(new(), new(), m, pkt, n)
}

fn run_cbc<M>(kl: usize, il: usize, m: &RawMac, pkt: Vec<u8>, n: usize) -> u64
where
    M: CbcPair,
{
    let (k, iv) = (fixed_key(kl, 1), fixed_key(il, 2));
    let enc = CbcEnc(M::Enc::new_from_slices(&k, &iv).unwrap());
    let dec = CbcDec(M::Dec::new_from_slices(&k, &iv).unwrap());
    run_hmac(enc, dec, m, pkt, n)
}

/// An encryptor/decryptor type pair for one CBC cipher.
trait CbcPair {
    type Enc: KeyIvInit + BlockModeEncrypt;
    type Dec: KeyIvInit + BlockModeDecrypt;
}
impl<E: KeyIvInit + BlockModeEncrypt, D: KeyIvInit + BlockModeDecrypt> CbcPair for (E, D) {
    type Enc = E;
    type Dec = D;
}

fn run_hmac(
    mut enc: impl Crypt,
    mut dec: impl Crypt,
    m: &RawMac,
    mut pkt: Vec<u8>,
    n: usize,
) -> u64 {
    let mut tag_buf = [0u8; 64];
    let tag = &mut tag_buf[..m.tag_len];
    let mut sum = 0u64;
    for seq in 0..n as u32 {
        if m.etm {
            enc.crypt(&mut pkt[4..]);
            m.sign(seq, &pkt, tag);
            assert!(m.verify(seq, &pkt, tag), "hmac");
            dec.crypt(&mut pkt[4..]);
        } else {
            m.sign(seq, &pkt, tag);
            enc.crypt(&mut pkt);
            dec.crypt(&mut pkt);
            assert!(m.verify(seq, &pkt, tag), "hmac");
        }
        sum = sum.wrapping_add(u64::from(tag[0]) + u64::from(pkt[pkt.len() - 1]));
    }
    sum
}

enum Keyed {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
    Sha512(Hmac<sha2::Sha512>),
}

/// An HMAC keyed once; each packet clones the keyed state (`mac(seq || packet)`).
struct RawMac {
    keyed: Keyed,
    tag_len: usize,
    etm: bool,
}

impl RawMac {
    fn new(name: &str) -> Self {
        let etm = name.ends_with("-etm@openssh.com");
        let (keyed, tag_len) = match name.trim_end_matches("-etm@openssh.com") {
            "hmac-sha1" => (Keyed::Sha1(keyed(20)), 20),
            "hmac-sha1-96" => (Keyed::Sha1(keyed(20)), 12),
            "hmac-sha2-256" => (Keyed::Sha256(keyed(32)), 32),
            "hmac-sha2-512" => (Keyed::Sha512(keyed(64)), 64),
            _ => panic!("unknown MAC {name:?}"),
        };
        RawMac {
            keyed,
            tag_len,
            etm,
        }
    }
    fn sign(&self, seq: u32, data: &[u8], tag: &mut [u8]) {
        match &self.keyed {
            Keyed::Sha1(h) => sign_into(h, seq, data, tag),
            Keyed::Sha256(h) => sign_into(h, seq, data, tag),
            Keyed::Sha512(h) => sign_into(h, seq, data, tag),
        }
    }
    fn verify(&self, seq: u32, data: &[u8], tag: &[u8]) -> bool {
        match &self.keyed {
            Keyed::Sha1(h) => run(h, seq, data).verify_truncated_left(tag).is_ok(),
            Keyed::Sha256(h) => run(h, seq, data).verify_truncated_left(tag).is_ok(),
            Keyed::Sha512(h) => run(h, seq, data).verify_truncated_left(tag).is_ok(),
        }
    }
}

fn keyed<M: Mac + KeyInit>(len: usize) -> M {
    <M as KeyInit>::new_from_slice(&fixed_key(len, 3)).unwrap()
}

fn sign_into<M: Mac + Clone>(keyed: &M, seq: u32, data: &[u8], tag: &mut [u8]) {
    let full = run(keyed, seq, data).finalize().into_bytes();
    tag.copy_from_slice(&full[..tag.len()]);
}

fn run<M: Mac + Clone>(keyed: &M, seq: u32, data: &[u8]) -> M {
    let mut h = keyed.clone();
    h.update(&seq.to_be_bytes());
    h.update(data);
    h
}
