// The bulk download in a real browser: the built page (www/dist) in Debian's Chromium
// (playwright-core) downloads `head -c N /dev/zero` through `sshgate-host bridge` from OpenSSH
// sshd, with the engine in the page's Web Worker (the default for a URL) and on the page's main
// thread (`worker: false`); the `ssh2` npm client in Node reads the same bytes straight from the
// same sshd in the same run, interleaved, for the ratio. A last row is the ceiling: the same
// number of raw bytes (no SSH) from a TCP source through the same bridge into a plain WebSocket
// in the page. Prints a markdown table.
// Run by bench/web.sh (root: the sshgate-test account and a private sshd, as the Node tests).
// Environment: SSHGATE_HOST, DOWNLOAD_MIB (default 256), CIPHERS (as download.mjs), RUNS (3).
import { mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startSshd, startBridge, testAccount } from '../../js/test/harness.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../www/test/chromium.mjs';
import { viaSsh2, splitCipher } from './ssh2-download.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mib = Number(process.env.DOWNLOAD_MIB || 256);
const ciphers = (
  process.env.CIPHERS || 'chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes128-ctr+hmac-sha2-256-etm@openssh.com'
).split(',');
const runs = Number(process.env.RUNS || 3);
const bytes = mib * 1024 * 1024;
const command = `head -c ${bytes} /dev/zero`;

const account = testAccount();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-bench-'));
const keyFile = path.join(dir, 'id_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
const privateKey = readFileSync(keyFile, 'utf8');
const sshd = await startSshd(readFileSync(`${keyFile}.pub`, 'utf8').trim());
// The ceiling's source: `bytes` zero bytes to whoever connects, then close.
const zeros = Buffer.alloc(1 << 20);
const source = net.createServer((sock) => {
  let sent = 0;
  const more = () => {
    while (sent < bytes) {
      sent += zeros.length;
      if (!sock.write(zeros)) return sock.once('drain', more);
    }
    sock.end();
  };
  more();
});
await new Promise((res) => source.listen(0, '127.0.0.1', res));
const bridge = await startBridge(
  { sshd: `127.0.0.1:${sshd.port}`, raw: `127.0.0.1:${source.address().port}` },
  ['--static', path.join(root, 'www/dist')],
);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/** The raw bytes into a plain WebSocket in the page: what the browser's WebSocket delivers. */
function rawInPage(page) {
  return page.evaluate(
    ({ url, bytes }) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        let got = 0;
        let t0 = 0;
        // The bridge dials its target on the client's first message (or after 2 s): send one,
        // which the source ignores, and time from the first byte in.
        ws.onopen = () => ws.send(new Uint8Array(1));
        ws.onerror = () => reject(new Error('raw WebSocket failed'));
        ws.onmessage = (e) => {
          if (!t0) t0 = performance.now();
          got += e.data.byteLength;
          if (got >= bytes) {
            resolve({ ms: performance.now() - t0 });
            ws.close();
          }
        };
      }),
    { url: bridge.url('raw'), bytes },
  );
}

/** One download in the page; resolves { ms } or throws with what the page saw. */
function inPage(page, name, worker) {
  const { cipher, mac } = splitCipher(name);
  return page.evaluate(
    async ({ url, user, privateKey, cipher, mac, command, bytes, worker }) => {
      const c = await window.sshgatePage.sshgate.connect({
        websocket: url,
        username: user,
        auth: [{ type: 'publickey', privateKey }],
        hostKey: () => true,
        algorithms: { cipher: [cipher], kex: ['curve25519-sha256'], ...(mac ? { mac: [mac] } : {}) },
        ...(worker ? {} : { worker: false }),
      });
      const s = await c.openSession();
      await s.opened;
      let got = 0;
      const done = new Promise((res) => s.onExit(res));
      await s.onData((d) => (got += d.length));
      const t0 = performance.now();
      await s.exec(command);
      await done;
      const ms = performance.now() - t0;
      await c.close();
      if (got !== bytes) throw new Error(`page: got ${got} of ${bytes} bytes`);
      return { ms };
    },
    { url: bridge.url('sshd'), user: account.user, privateKey, cipher, mac, command, bytes, worker },
  );
}

const mbs = (ms) => bytes / 1e6 / (ms / 1e3);
const rows = [];
let ok = true;
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${bridge.port}/`);
  await page.waitForFunction(() => window.sshgatePage && window.sshgatePage.sshgate);
  for (const name of ciphers) {
    const sides = {
      worker: () => inPage(page, name, true),
      main: () => inPage(page, name, false),
      ssh2: () => viaSsh2({ name, port: sshd.port, user: account.user, privateKey, command, bytes }),
    };
    const best = {};
    for (const [side, run] of Object.entries(sides)) {
      await run(); // warm-up: wasm compile, JIT, page cache
      best[side] = Infinity;
    }
    for (let i = 0; i < runs; i++) {
      for (const [side, run] of Object.entries(sides)) best[side] = Math.min(best[side], (await run()).ms);
    }
    rows.push({ name, worker: mbs(best.worker), main: mbs(best.main), ssh2: mbs(best.ssh2) });
  }
  let raw = Infinity;
  for (let i = 0; i <= runs; i++) raw = Math.min(raw, (await rawInPage(page)).ms);
  rows.push({ name: 'ceiling: raw bytes, no SSH, into a plain WebSocket', worker: mbs(raw), main: mbs(raw), ssh2: NaN });
} catch (e) {
  console.error(e);
  ok = false;
} finally {
  await browser.close();
  bridge.stop();
  sshd.stop();
  source.close();
}
const version = execFileSync(CHROMIUM, ['--version']).toString().trim();
console.log(`#### Bulk download in ${version} (headless): page → bridge → sshd vs ssh2 (Node) → sshd\n`);
console.log(`${mib} MiB of \`head -c\` from an exec channel, kex curve25519-sha256, one warm-up each, then best of ${runs} interleaved runs each.\n`);
console.log('| cipher | page, engine in its worker MB/s | page, main thread MB/s | ssh2 MB/s | worker/ssh2 |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  const ssh2 = Number.isNaN(r.ssh2) ? '–' : r.ssh2.toFixed(1);
  const ratio = Number.isNaN(r.ssh2) ? '–' : (r.worker / r.ssh2).toFixed(2);
  console.log(`| ${r.name} | ${r.worker.toFixed(1)} | ${r.main.toFixed(1)} | ${ssh2} | ${ratio} |`);
}
console.log();
if (!ok) process.exit(1);
