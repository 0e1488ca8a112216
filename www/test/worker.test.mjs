// The page's connection runs in a Web Worker (js/offthread.js, js/worker.js): Chromium
// (playwright-core) against `sshgate-host serve` behind a bridge serving the built page. The page
// logs in with a password; the proxy says `offThread`, and the page itself never compiles or
// instantiates WebAssembly (counted by wrapping WebAssembly's entry points before the page's
// scripts run; workers are not wrapped). A shell round-trip, the device's exit status, a
// reconnect and the Disconnect button's `connection closed` line all cross the worker; calls on a
// closed connection settle. `worker: false` keeps the engine in the page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { screen, waitScreen } from './terminal.mjs';
import { startServe, startBridge, passwordHash, shellUser } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');
const PW = 'worker-page-pw';

let srv;
let bridge;
let browser;

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  srv = await startServe([{ name: 'ops', password_hash: passwordHash(PW), ...shellUser() }]);
  bridge = await startBridge({ shell: `127.0.0.1:${srv.port}` }, ['--static', dist]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (bridge) bridge.stop();
  if (srv) srv.stop();
});

/** Counts WebAssembly compiles and instantiations in the page's own thread. */
function countWasm() {
  window.__wasmUses = [];
  const W = WebAssembly;
  for (const name of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming']) {
    const orig = W[name];
    W[name] = function (...args) {
      window.__wasmUses.push(name);
      return orig.apply(this, args);
    };
  }
  for (const name of ['Module', 'Instance']) {
    const Orig = W[name];
    W[name] = new Proxy(Orig, {
      construct(target, args) {
        window.__wasmUses.push(name);
        return Reflect.construct(target, args);
      },
    });
  }
}

async function logIn(page, trust) {
  await page.waitForFunction(() => [...document.querySelectorAll('#device option')].some((o) => o.value === 'shell'));
  await page.selectOption('#device', 'shell');
  await page.fill('#user', 'ops');
  await page.selectOption('#method', 'password');
  await page.fill('#password', PW);
  await page.click('#connect');
  if (trust) {
    await page.waitForSelector('#hostkey[open]');
    await page.click(`#hostkey button[value="${trust}"]`);
  }
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
}

test('the page logs in with the engine in a worker; exit, reconnect and disconnect reach the page', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(countWasm);
  await page.goto(bridge.url('x').replace('ws:', 'http:').replace('/ssh/x', '/'));
  await logIn(page, 'once');

  const where = await page.evaluate(() => ({
    offThread: window.sshgatePage.conn.offThread,
    user: window.sshgatePage.conn.username,
    kex: window.sshgatePage.conn.algorithms.kex,
    closed: window.sshgatePage.conn.closed,
    wasmHere: window.__wasmUses,
    wasmFetchedHere: performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length,
  }));
  assert.equal(where.offThread, true, 'the connection is a proxy for one in a worker');
  assert.equal(where.user, 'ops');
  assert.match(where.kex, /\S/);
  assert.equal(where.closed, false);
  assert.deepEqual(where.wasmHere, [], 'the page compiled or instantiated no WebAssembly');
  assert.equal(where.wasmFetchedHere, 0, 'the page did not fetch the engine');

  await page.click('#terminal');
  await page.keyboard.type('echo "worker-$((40+2))"\r');
  await waitScreen(page, /^worker-42$/m, 'echo');
  // Bulk output through the transferred buffers, the window refilled as it is read.
  await page.keyboard.type('i=0; while [ $i -lt 3000 ]; do echo "line-$i"; i=$((i+1)); done; echo bulk-done\r');
  await waitScreen(page, /^bulk-done$/m, 'bulk output');
  await page.keyboard.type('exit 3\r');
  await waitScreen(page, /\[sshgate: (session ended \(exit status 3\)|connection closed)/, 'the exit line');

  // A reconnect logs in again in a new worker; Disconnect ends it with the closed line, the
  // proxy's closed state following.
  await page.click('#reconnect');
  await logIn(page, 'once');
  assert.equal(await page.evaluate(() => window.sshgatePage.conn.offThread), true);
  await page.click('#disconnect');
  await waitScreen(page, /\[sshgate: connection closed/, 'disconnect line');
  const after = await page.evaluate(async () => {
    const c = window.sshgatePage.conn;
    // The worker is let go after the close: closing again resolves, a new request is refused.
    const again = await c.close().then(() => 'resolved', (e) => `rejected ${e.code}`);
    const exec = await c.exec('true').then(() => 'resolved', (e) => `rejected ${e.name}`);
    return { closed: c.closed, reason: c.closeReason && c.closeReason.message, again, exec };
  });
  assert.equal(after.closed, true);
  assert.match(after.reason, /\S/);
  assert.equal(after.again, 'resolved');
  assert.equal(after.exec, 'rejected SshError');
  assert.deepEqual(await page.evaluate(() => window.__wasmUses), [], 'still no WebAssembly in the page');
  assert.deepEqual(errors, []);
  await page.close();
});

test('worker: false keeps the engine in the page', async () => {
  const page = await browser.newPage();
  await page.addInitScript(countWasm);
  await page.goto(bridge.url('x').replace('ws:', 'http:').replace('/ssh/x', '/'));
  await page.waitForFunction(() => window.sshgatePage && window.sshgatePage.sshgate);
  const got = await page.evaluate(
    async ({ ws, pw }) => {
      const { sshgate } = window.sshgatePage;
      const conn = await sshgate.connect({ websocket: ws, username: 'ops', auth: [{ type: 'password', password: pw }], hostKey: () => true, worker: false });
      const { stdout, code } = await conn.exec('echo in-page');
      await conn.close();
      return { offThread: conn.offThread, out: new TextDecoder().decode(stdout), code, wasm: window.__wasmUses.length };
    },
    { ws: bridge.url('shell'), pw: PW },
  );
  assert.equal(got.offThread, undefined);
  assert.equal(got.out, 'in-page\n');
  assert.equal(got.code, 0);
  assert.ok(got.wasm > 0, 'the page instantiated the engine itself');
  await page.close();
});
