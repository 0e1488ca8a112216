// AES-CTR keystream from WebCrypto for the engine. The engine runs AES in bitsliced wasm
// (~175 MB/s); WebCrypto runs it in hardware (AES-NI, ARMv8 AES) and, in browsers and Node, off
// this thread. The keystream does not depend on the data, so it is made ahead, a MiB per call,
// from the key the engine hands out when it takes an AES-CTR key into use (`keystreamKeys`), and
// handed back with `supplyKeystream`. The engine uses what it has and computes the rest itself,
// so a late or failing WebCrypto costs speed only (src/transport/cipher/keystream.rs).
// The engine can take AES-GCM keystream too (one call a packet nonce), but measured in Node that
// did not keep up: WebCrypto's per-call latency with the thread busy decrypting left 87-97 % of
// packets to the engine, for no gain (bench/README.md), so only CTR is asked for.

/** Bytes per WebCrypto call. */
const CHUNK = 1 << 20;
/** Keystream kept ready ahead of what the engine has used, per direction. */
const AHEAD = 4 << 20;
/** WebCrypto calls in flight per direction (they run in parallel off this thread). */
const IN_FLIGHT = 3;
/** After falling behind (the engine ran its own AES past us), restart this far ahead of it. */
const LEAD = 1 << 20;
let zeros = null;

/** The modes the engine is asked to hand keys out for (the others it does alone). */
export const KEYSTREAM_MODES = ['ctr'];

/** Whether this JavaScript has WebCrypto's AES-CTR (browsers in secure contexts, Node >= 19). */
export function keystreamAvailable() {
  return !!(globalThis.crypto && globalThis.crypto.subtle);
}

/** `block` (16 bytes, a big-endian counter) advanced by `n`. */
export function counterAt(block, n) {
  const out = new Uint8Array(block);
  let carry = n;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const sum = out[i] + (carry % 256);
    out[i] = sum & 255;
    carry = Math.floor(carry / 256) + (sum >> 8);
  }
  return out;
}

export class KeystreamFeeder {
  constructor(engine) {
    this.engine = engine;
    /** Per direction (inbound, outbound): the current key's state. */
    this.dirs = [null, null];
    /** Keystream bytes the engine took from us, per direction (tests and benchmarks read it). */
    this.supplied = { inbound: 0, outbound: 0 };
    this.closed = false;
  }

  /** A `keystreamKeys` event: imports the key (then wipes the copy) and starts generating. */
  keys(ev) {
    if (ev.mode !== 'ctr') return;
    // next: where the next generation starts; due: the next position to hand in (results are
    // handed in in order, whatever order WebCrypto finishes them in); ready: finished, not due.
    const d = { epoch: ev.epoch, inbound: ev.inbound, iv: ev.iv, key: null, next: 0, due: 0, ready: new Map(), busy: 0, dead: false };
    this.dirs[ev.inbound ? 0 : 1] = d;
    crypto.subtle.importKey('raw', ev.key, 'AES-CTR', false, ['encrypt']).then(
      (k) => {
        d.key = k;
        this.topUp();
      },
      () => (d.dead = true),
    );
    ev.key.fill(0);
  }

  /** Starts generations for each direction that is not AHEAD bytes ahead of the engine. */
  topUp() {
    if (this.closed) return;
    for (const d of this.dirs) {
      if (!d || !d.key || d.dead) continue;
      const p = this.engine.keystreamProgress(d.inbound);
      if (!p || p[0] !== d.epoch) continue; // the key was replaced; its event will come
      const used = p[1];
      if (d.next < used) {
        // Behind: what is in flight is too late. Aim past where the engine will be, on a block
        // boundary.
        d.next = used - (used % 16) + LEAD;
        d.due = d.next;
        d.ready.clear();
      }
      while (d.busy < IN_FLIGHT && d.next - used < AHEAD) {
        this.generate(d, d.next);
        d.next += CHUNK;
      }
    }
  }

  generate(d, at) {
    d.busy++;
    zeros ||= new Uint8Array(CHUNK);
    const params = { name: 'AES-CTR', counter: counterAt(d.iv, at / 16), length: 128 };
    crypto.subtle.encrypt(params, d.key, zeros).then(
      (ks) => {
        d.busy--;
        if (this.closed || d.dead) return;
        if (at >= d.due) d.ready.set(at, new Uint8Array(ks));
        while (d.ready.has(d.due)) {
          const bytes = d.ready.get(d.due);
          d.ready.delete(d.due);
          if (this.engine.supplyKeystream(d.epoch, d.inbound, d.due, bytes)) this.supplied[d.inbound ? 'inbound' : 'outbound'] += bytes.length;
          d.due += CHUNK;
        }
        this.topUp();
      },
      () => (d.dead = true),
    );
  }

  close() {
    this.closed = true;
    this.dirs = [null, null];
  }
}
