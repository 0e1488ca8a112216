// The bulk primitives' raw speed in wasm, beside the JavaScript world's in the same Node:
// sshgate's (the bench crate built for wasm32 with SIMD128, as the npm package is, calling
// sshgate-bulk-crypto exactly as the engine does), libsodium.js (npm `libsodium-wrappers`, its
// wasm build) and @noble/ciphers (pure JS). For AES, Node's WebCrypto (OpenSSL with AES-NI)
// shows the ceiling a browser's native AES offers. Messages of 32 KiB (an SSH packet's payload),
// MB/s, best of RUNS. libsodium-wrappers exposes only the AEADs of ChaCha20-Poly1305, so its
// column has that row alone. The AEAD rows are encrypt + MAC of each message (what a sender does).
// Needs the bench package built with SIMD128 (bench/web.sh builds it into bench/wasm/pkg-simd).
// Environment: PRIM_MIB (default 64), RUNS (default 3), BENCH_PKG (default ./pkg-simd).
import { createRequire } from 'node:module';
import { webcrypto } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { gcm, ctr } from '@noble/ciphers/aes.js';

const require = createRequire(import.meta.url);
const ours = require(process.env.BENCH_PKG || './pkg-simd/sshgate_bench.js');
await sodium.ready;

const MSG = 32 * 1024;
const total = Number(process.env.PRIM_MIB || 64) * 1024 * 1024;
const runs = Number(process.env.RUNS || 3);
const n = Math.ceil(total / MSG);
const key = new Uint8Array(32).map((_, i) => i * 7);
const nonce12 = new Uint8Array(12).fill(3);
const msg = new Uint8Array(MSG).map((_, i) => i % 251);
const out = new Uint8Array(MSG);
let sink = 0;

/** Best MB/s of `runs` runs of `f` (sync or async), after one warm-up. */
async function mbs(f) {
  await f();
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await f();
    best = Math.min(best, performance.now() - t0);
  }
  return (n * MSG) / 1e6 / (best / 1e3);
}

const loop = (body) => () => {
  for (let i = 0; i < n; i++) sink ^= body(i);
};
const oursRun = (name) => () => {
  sink ^= Number(ours.primitive(name, n * MSG, MSG) & 0xffn);
};

const subtleKey = await webcrypto.subtle.importKey('raw', key.subarray(0, 16), 'AES-GCM', false, ['encrypt']);
const hmacKey = await webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
const subtleCtrKey = await webcrypto.subtle.importKey('raw', key.subarray(0, 16), 'AES-CTR', false, ['encrypt']);

const rows = [
  {
    name: 'ChaCha20-Poly1305 (encrypt + MAC)',
    ours: oursRun('chacha20-poly1305'),
    sodium: loop((i) => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(msg, null, null, nonce12, key)[i & 15]),
    noble: loop((i) => chacha20poly1305(key, nonce12).encrypt(msg)[i & 15]),
  },
  {
    name: 'ChaCha20',
    ours: oursRun('chacha20'),
    noble: loop((i) => chacha20(key, nonce12, msg, out)[i & 15]),
  },
  {
    name: 'Poly1305',
    ours: oursRun('poly1305'),
    noble: loop(() => poly1305(msg, key)[0]),
  },
  {
    name: 'AES-128-GCM (encrypt + tag)',
    ours: oursRun('aes128-gcm'),
    noble: loop((i) => gcm(key.subarray(0, 16), nonce12).encrypt(msg)[i & 15]),
    webcrypto: async () => {
      for (let i = 0; i < n; i++) sink ^= new Uint8Array(await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce12 }, subtleKey, msg))[0];
    },
  },
  {
    name: 'AES-128-CTR',
    ours: oursRun('aes128-ctr'),
    noble: loop((i) => ctr(key.subarray(0, 16), new Uint8Array(16)).encrypt(msg)[i & 15]),
    webcrypto: async () => {
      for (let i = 0; i < n; i++)
        sink ^= new Uint8Array(await webcrypto.subtle.encrypt({ name: 'AES-CTR', counter: new Uint8Array(16), length: 64 }, subtleCtrKey, msg))[0];
    },
  },
  {
    name: 'HMAC-SHA-256',
    ours: oursRun('hmac-sha2-256'),
    webcrypto: async () => {
      for (let i = 0; i < n; i++) sink ^= new Uint8Array(await webcrypto.subtle.sign('HMAC', hmacKey, msg))[0];
    },
  },
];

const fmt = (v) => (v === undefined ? '–' : v.toFixed(0));
console.log(`#### Bulk primitives in Node ${process.version}: MB/s over ${n * MSG / 1048576} MiB in 32 KiB messages, best of ${runs}\n`);
console.log('| primitive | sshgate wasm (SIMD128) | libsodium.js | @noble/ciphers | Node WebCrypto (native) | sshgate / libsodium.js |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const v = {};
  for (const k of ['ours', 'sodium', 'noble', 'webcrypto']) if (r[k]) v[k] = await mbs(r[k]);
  const ratio = v.sodium ? `${(v.ours / v.sodium).toFixed(2)}x` : '–';
  console.log(`| ${r.name} | ${fmt(v.ours)} | ${fmt(v.sodium)} | ${fmt(v.noble)} | ${fmt(v.webcrypto)} | ${ratio} |`);
}
console.log(`\n<!-- ${sink} -->`);
