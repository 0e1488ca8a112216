// The longest single engine call in a real browser (Debian's Chromium via playwright-core) for
// the expensive handshakes: an RSA-3072 host key with diffie-hellman-group16-sha512, and for
// comparison ed25519 with curve25519. The page is the built www/dist served by the bridge; the
// engine runs on the page's main thread (`worker: false`; bench/worker.sh measures the worker), so
// the longest call is how long the page stood still.
// Run by bench/web.sh. Environment: SSHGATE_HOST, KEX_RUNS (default 3).
import { mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { hostBin, startServe, startBridge, passwordHash } from '../../js/test/harness.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../../www/test/chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.env.KEX_RUNS || 3);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-kex-'));
const rsaKey = path.join(dir, 'host_rsa');
const edKey = path.join(dir, 'host_ed25519');
execFileSync(hostBin, ['keygen', '-t', 'rsa', '-b', '3072', '-f', rsaKey, '-C', 'bench'], { stdio: 'pipe' });
execFileSync(hostBin, ['keygen', '-t', 'ed25519', '-f', edKey, '-C', 'bench'], { stdio: 'pipe' });
const srv = await startServe([{ name: 'lab', password_hash: passwordHash('pw') }], '', [rsaKey, edKey]);
const bridge = await startBridge({ router1: `127.0.0.1:${srv.port}` }, ['--static', path.join(root, 'www/dist')]);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const cases = [
  ['diffie-hellman-group16-sha512', 'rsa-sha2-512'],
  ['diffie-hellman-group14-sha256', 'rsa-sha2-256'],
  ['curve25519-sha256', 'ssh-ed25519'],
];
const rows = [];
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${bridge.port}/`);
  await page.waitForFunction(() => window.sshgatePage && window.sshgatePage.sshgate);
  for (const [kex, hostKey] of cases) {
    const results = [];
    for (let i = 0; i < runs + 1; i++) {
      results.push(
        await page.evaluate(
          async ({ url, kex, hostKey }) => {
            const { connect } = window.sshgatePage.sshgate;
            const t0 = performance.now();
            const c = await connect({
              websocket: url,
              username: 'lab',
              auth: [{ type: 'password', password: 'pw' }],
              hostKey: () => true,
              algorithms: { kex: [kex], hostKey: [hostKey] },
              worker: false,
            });
            const total = performance.now() - t0;
            const r = { total, longest: c.longestCall, kex: c.algorithms.kex, hk: c.algorithms.hostKey };
            await c.close();
            return r;
          },
          { url: `ws://127.0.0.1:${bridge.port}/ssh/router1`, kex, hostKey },
        ),
      );
    }
    const measured = results.slice(1); // the first one warms up (wasm compile, JIT)
    const worst = measured.reduce((a, b) => (b.longest.ms > a.longest.ms ? b : a));
    const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    rows.push({ kex: worst.kex, hk: worst.hk, longest: worst.longest, total: med(measured.map((r) => r.total)) });
  }
} finally {
  await browser.close();
  bridge.stop();
  srv.stop();
}
const version = execFileSync(CHROMIUM, ['--version']).toString().trim();
console.log(`#### Longest engine call during login, ${version} (headless)\n`);
console.log(`Connect + password login through the bridge to serve; worst of ${runs} after a warm-up.\n`);
console.log('| kex | host key | longest single engine call | which call | login total (median) |');
console.log('|---|---|---:|---|---:|');
for (const r of rows) {
  console.log(`| ${r.kex} | ${r.hk} | ${r.longest.ms.toFixed(1)} ms | ${r.longest.name} | ${r.total.toFixed(0)} ms |`);
}
console.log();
