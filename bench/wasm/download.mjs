// Bulk download, measured in one run: the `sshgate` package (wasm engine in Node) through
// `sshgate-host bridge` to OpenSSH sshd, against the `ssh2` npm client straight to the same sshd,
// both with the same cipher, both reading `head -c N /dev/zero` from an exec channel.
// Prints a markdown table and the ratio (goal >= 1.0). Run by bench/web.sh (root: it sets up the
// sshgate-test account and a private sshd, as the Node tests do).
// Environment: DOWNLOAD_MIB (default 256); CIPHERS (comma list, default
// chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes128-ctr+hmac-sha2-256-etm@openssh.com:
// `cipher+mac` names the MAC too); RUNS (default 3) measured downloads per side, interleaved,
// best kept (the machine is shared: one run moves by +-30 %); PKG (default ../../pkg, another
// build of the package to measure, e.g. an older one); SSHGATE_HOST.
// Besides wall-clock MB/s it reports each client's own CPU time (process.cpuUsage: user +
// system of this Node process, all threads) per GB, which other load on the machine moves less.
import { mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { viaSsh2 as viaSsh2Download, splitCipher, cpuMs } from './ssh2-download.mjs';
import { createRequire } from 'node:module';
import { startSshd, startBridge, testAccount } from '../../js/test/harness.mjs';

const ssh2Binding = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js').bindingAvailable ? 'yes' : 'no';
const mib = Number(process.env.DOWNLOAD_MIB || 256);
const ciphers = (
  process.env.CIPHERS || 'chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes128-ctr+hmac-sha2-256-etm@openssh.com'
).split(',');
const runs = Number(process.env.RUNS || 3);
const pkgDir = process.env.PKG ? path.resolve(process.env.PKG) : new URL('../../pkg', import.meta.url).pathname;
const { connect } = await import(pathToFileURL(path.join(pkgDir, 'index.js')).href);
const bytes = mib * 1024 * 1024;
const command = `head -c ${bytes} /dev/zero`;

const account = testAccount();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-bench-'));
const keyFile = path.join(dir, 'id_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
const privateKey = readFileSync(keyFile, 'utf8');
const sshd = await startSshd(readFileSync(`${keyFile}.pub`, 'utf8').trim());
const bridge = await startBridge({ sshd: `127.0.0.1:${sshd.port}` });

async function viaWasm(name) {
  const { cipher, mac } = splitCipher(name);
  const conn = await connect({
    websocket: new WebSocket(bridge.url('sshd')),
    username: account.user,
    auth: [{ type: 'publickey', privateKey }],
    hostKey: (info) => info.publicKey === sshd.hostKey,
    algorithms: { cipher: [cipher], kex: ['curve25519-sha256'], ...(mac ? { mac: [mac] } : {}) },
  });
  const s = conn.openSession();
  await s.opened;
  let got = 0;
  s.onData((d) => (got += d.length));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  conn.engine.requestExec(s.id, command);
  conn.pump();
  await s.exited;
  const ms = performance.now() - t0;
  const cpu = cpuMs(c0);
  const longest = conn.longestCall;
  await conn.close();
  if (got !== bytes) throw new Error(`wasm: got ${got} of ${bytes} bytes`);
  return { ms, cpu, longest };
}

const viaSsh2 = (name) => viaSsh2Download({ name, port: sshd.port, user: account.user, privateKey, command, bytes });

const mbs = (ms) => bytes / 1e6 / (ms / 1e3);
const cpuPerGB = (cpu) => cpu / 1e3 / (bytes / 1e9);
/**
 * The fastest of `list` (wall clock), the least CPU (they need not be the same run) and the
 * longest engine call of any run.
 */
const best = (list) => ({
  ms: Math.min(...list.map((r) => r.ms)),
  cpu: Math.min(...list.map((r) => r.cpu)),
  longest: list.map((r) => r.longest).reduce((a, b) => (b && (!a || b.ms > a.ms) ? b : a), null),
  all: list.map((r) => mbs(r.ms).toFixed(0)).join('/'),
});
let ok = true;
const rows = [];
try {
  for (const cipher of ciphers) {
    // One warm-up download each (JIT, page cache), then RUNS measured ones each, interleaved.
    await viaWasm(cipher);
    await viaSsh2(cipher);
    const w = [];
    const n = [];
    for (let i = 0; i < runs; i++) {
      w.push(await viaWasm(cipher));
      n.push(await viaSsh2(cipher));
    }
    rows.push({ cipher, wasm: best(w), ssh2: best(n) });
  }
} catch (e) {
  console.error(e);
  ok = false;
} finally {
  bridge.stop();
  sshd.stop();
}
console.log(`#### Bulk download, Node ${process.version}: sshgate (wasm) → bridge → sshd vs ssh2 → sshd\n`);
console.log(
  `${mib} MiB of \`head -c\` from an exec channel, kex curve25519-sha256, one warm-up each, then best of ${runs} interleaved runs each (every run's MB/s in brackets); ssh2's native crypto binding: ${ssh2Binding}. Client CPU: the Node process's user + system seconds per GB (least of the runs).\n`,
);
console.log('| cipher | sshgate wasm MB/s | ssh2 MB/s | wasm/ssh2 | client CPU s/GB, wasm / ssh2 | longest engine call |');
console.log('|---|---:|---:|---:|---:|---|');
for (const r of rows) {
  const wasm = mbs(r.wasm.ms);
  const native = mbs(r.ssh2.ms);
  console.log(
    `| ${r.cipher} | ${wasm.toFixed(1)} (${r.wasm.all}) | ${native.toFixed(1)} (${r.ssh2.all}) | ${(wasm / native).toFixed(2)} | ${cpuPerGB(r.wasm.cpu).toFixed(2)} / ${cpuPerGB(r.ssh2.cpu).toFixed(2)} | ${r.wasm.longest.name} ${r.wasm.longest.ms.toFixed(1)} ms |`,
  );
}
console.log();
if (!ok) process.exit(1);
