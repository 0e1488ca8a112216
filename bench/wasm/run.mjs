// Wasm runner (Node >= 20): the same workloads and tables as the native runner
// (bench/src/bin/transport.rs), timed with performance.now().
// Needs bench/wasm/pkg from `wasm-bindgen --target nodejs` (bench/run.sh builds it).
// Environment: BENCH_MIB (default 64), BENCH_RUNS (3), KEX_RUNS (11), LOGIN_RUNS (21),
// BENCH_ONLY=transport|kex|login, X509_PKI (the login table's certificates), QUICK=1 (4 MiB, 2
// runs, 3 handshakes, 5 logins). Exits 1 if a workload fails, never because of a figure.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const b = require('./pkg/sshgate_bench.js');
b.set_panic_hook();

const quick = process.argv.includes('--quick') || process.env.QUICK === '1';
const num = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined) return dflt;
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n)) {
    console.error(`${name}=${JSON.stringify(v)} is not a number`);
    process.exit(2);
  }
  return n;
};
const mib = num('BENCH_MIB', quick ? 4 : 64);
const runs = Math.max(1, num('BENCH_RUNS', quick ? 2 : 3));
const kexRuns = Math.max(1, num('KEX_RUNS', quick ? 3 : 11));
const only = process.env.BENCH_ONLY ?? '';
const platform = `wasm32 under Node ${process.version}`;
const PAYLOAD = b.packet_payload();
let sink = 0n; // results are consumed, as black_box does natively

/** Milliseconds f took, or null if it threw (a Rust panic traps). */
function time(f) {
  const start = performance.now();
  try {
    const r = f();
    sink ^= typeof r === 'bigint' ? r : BigInt(r ? 1 : 0);
    if (r === false) return null;
  } catch (e) {
    console.error(String(e));
    return null;
  }
  return performance.now() - start;
}

function transport() {
  const total = mib * 1024 * 1024;
  console.log(`#### Bulk seal+open, ${platform}\n`);
  console.log(
    `${PAYLOAD}-byte payloads, each sealed then opened in memory; MB/s = 10^6 payload ` +
      `bytes per second; best of ${runs} runs after a warm-up. raw = the same primitives called ` +
      `directly (see bench/README.md).\n`,
  );
  console.log('| cipher | MAC | MiB | engine MB/s | raw MB/s | engine/raw |');
  console.log('|---|---|---:|---:|---:|---:|');
  let ok = true;
  for (const line of b.transport_cases().split('\n')) {
    const [cipher, mac] = line.split('\t');
    const bytes = b.case_bytes(cipher, total);
    const eng = () => b.seal_open_engine(cipher, mac, bytes, PAYLOAD);
    const raw = () => b.seal_open_raw(cipher, mac, bytes, PAYLOAD);
    const warm = Math.max(Math.floor(bytes / 8), PAYLOAD);
    const best = [Infinity, Infinity];
    let failed =
      time(() => b.seal_open_engine(cipher, mac, warm, PAYLOAD)) === null ||
      time(() => b.seal_open_raw(cipher, mac, warm, PAYLOAD)) === null;
    for (let r = 0; r < runs && !failed; r++) {
      // Interleaved, so drift (thermal, other load) hits both alike.
      [time(eng), time(raw)].forEach((t, i) => {
        if (t === null) failed = true;
        else best[i] = Math.min(best[i], t);
      });
    }
    const macCol = mac === '' ? '(AEAD)' : mac;
    const miB = bytes / 1048576;
    if (failed) {
      ok = false;
      console.log(`| ${cipher} | ${macCol} | ${miB} | FAILED | FAILED | |`);
      continue;
    }
    const [e, r] = best.map((ms) => bytes / 1e6 / (ms / 1e3));
    console.log(`| ${cipher} | ${macCol} | ${miB} | ${e.toFixed(1)} | ${r.toFixed(1)} | ${(e / r).toFixed(2)} |`);
  }
  console.log();
  return ok;
}

function kex() {
  const hk = b.kex_host_key();
  const gexN = b.gex_n();
  console.log(`#### Key exchange, ${platform}\n`);
  console.log(
    `One complete in-memory handshake (client and server, one thread), host key ` +
      `${hk}; median of ${kexRuns} after a warm-up. Group exchange asks ` +
      `GexRange { min: 2048, n, max: 8192 }.\n`,
  );
  console.log('| method | host key | GEX n | ms/handshake (median) | min ms |');
  console.log('|---|---|---:|---:|---:|');
  const methods = b.kex_methods().split('\n');
  const rows = methods.map((m) => [m, b.is_gex(m) ? gexN : null]);
  for (const m of methods.filter((m) => b.is_gex(m))) rows.push([m, 3072]); // the engine's default
  let ok = true;
  for (const [method, n] of rows) {
    const once = () => b.kex_once_gex(method, hk, n ?? gexN);
    const nCol = n === null ? '–' : String(n);
    // The first handshake (host key generation, lazy tables) is not counted.
    let good = time(once) !== null;
    const ms = [];
    while (good && ms.length < kexRuns) {
      const t = time(once);
      good = t !== null;
      if (good) ms.push(t);
    }
    if (!good) {
      ok = false;
      console.log(`| ${method} | ${hk} | ${nCol} | FAILED | |`);
      continue;
    }
    ms.sort((x, y) => x - y);
    const median = (ms[(ms.length - 1) >> 1] + ms[ms.length >> 1]) / 2;
    console.log(`| ${method} | ${hk} | ${nCol} | ${median.toFixed(2)} | ${ms[0].toFixed(2)} |`);
  }
  console.log();
  return ok;
}

/** The login table (bench/src/login.rs): needs X509_PKI, a `tests/x509/make-pki.sh` output. */
function login() {
  const dir = process.env.X509_PKI;
  console.log(`#### Login, ${platform}\n`);
  if (!dir) {
    console.log('(skipped: set X509_PKI to a tests/x509/make-pki.sh output; bench/run.sh does)\n');
    return true;
  }
  const fs = require('node:fs');
  const f = (n) => fs.readFileSync(`${dir}/${n}`, 'utf8');
  const cert = (alg, host, user) =>
    b.LoginBench.certificate(
      alg,
      f(`server_${host}.key`),
      f(`server_${host}.chain.pem`),
      f(`root_${host}.pem`),
      f(`user_${user}.key`),
      f(`user_${user}.chain.pem`),
      f(`root_${user}.pem`),
    );
  const rows = [
    ['ssh-ed25519', 'ssh-ed25519 key', b.LoginBench.plain_ed25519()],
    ['x509v3-rsa2048-sha256 (leaf + intermediate)', 'x509v3-rsa2048-sha256, leaf + intermediate',
      cert('x509v3-rsa2048-sha256', 'rsa', 'rsa')],
    ['x509v3-ssh-ed25519 (leaf + intermediate)', 'x509v3-ssh-ed25519, leaf + intermediate',
      cert('x509v3-ssh-ed25519', 'ed25519', 'ed25519')],
  ];
  const loginRuns = Math.max(1, num('LOGIN_RUNS', quick ? 5 : 21));
  console.log(
    `One complete in-memory login (curve25519-sha256, host key decision, ssh-userauth, ` +
      `publickey query + signed request); median of ${loginRuns} after a warm-up.\n`,
  );
  console.log('| host key | user key | ms/login (median) | min ms | × plain ed25519 |');
  console.log('|---|---|---:|---:|---:|');
  let ok = true;
  let base = null;
  let certRatio = null;
  rows.forEach(([host, user, l], i) => {
    let good = time(() => l.run()) !== null;
    const ms = [];
    while (good && ms.length < loginRuns) {
      const t = time(() => l.run());
      good = t !== null;
      if (good) ms.push(t);
    }
    if (!good) {
      ok = false;
      console.log(`| ${host} | ${user} | FAILED | | |`);
      return;
    }
    ms.sort((x, y) => x - y);
    const median = (ms[(ms.length - 1) >> 1] + ms[ms.length >> 1]) / 2;
    base ??= median;
    if (i === 1) certRatio = median / base;
    console.log(`| ${host} | ${user} | ${median.toFixed(2)} | ${ms[0].toFixed(2)} | ${(median / base).toFixed(2)} |`);
  });
  if (certRatio !== null) {
    console.log(
      `\nCertificate login (x509v3-rsa2048-sha256 host certificate, two-level RSA user chain) / ` +
        `plain ed25519 login: ${certRatio.toFixed(2)}× (goal ≤ 1.5×)`,
    );
  }
  console.log();
  return ok;
}

let ok = true;
if (only !== 'kex' && only !== 'login') ok = transport() && ok;
if (only !== 'transport' && only !== 'login') ok = kex() && ok;
if (only === '' || only === 'login') ok = login() && ok;
if (sink === -1n) console.log(''); // keep `sink` observable
if (!ok) {
  console.error('some workloads failed (rows marked FAILED)');
  process.exit(1);
}
