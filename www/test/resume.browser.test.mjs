// The page survives a dropped WebSocket (js/resume.js through `sshgate-host demo`'s bridge): in
// Chromium, logged into a shell, a TCP proxy in front of the demo drops every connection; the
// terminal goes on, and a command typed after the drop runs and shows its output, with the
// output that was on its way when the socket dropped arriving once and in order.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { screen, waitScreen } from './terminal.mjs';
import { hostBin, freePort, startServe, passwordHash, shellUser, until } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');

let demo;
let demoLog = '';
let shellSrv;
let browser;
let proxy;
let socks = new Set();

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  shellSrv = await startServe([{ name: 'ops', password_hash: passwordHash('ops-pw'), ...shellUser() }]);
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'sshgate-resume-page-')), 'demo');
  const port = await freePort();
  demo = spawn(
    hostBin,
    ['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--static', dist, '--target', `shell=127.0.0.1:${shellSrv.port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  demo.stdout.on('data', (d) => (demoLog += d));
  demo.stderr.on('data', (d) => (demoLog += d));
  await until(() => /open http/.test(demoLog) || demo.exitCode !== null, () => `demo did not start:\n${demoLog}`);
  // The page and its WebSocket both go through this proxy, which the test can cut.
  proxy = net.createServer((c) => {
    const b = net.connect(port, '127.0.0.1');
    socks.add(c).add(b);
    c.pipe(b);
    b.pipe(c);
    for (const s of [c, b]) {
      s.on('error', () => {});
      s.on('close', () => {
        c.destroy();
        b.destroy();
        socks.delete(s);
      });
    }
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (proxy) proxy.close();
  for (const s of socks) s.destroy();
  if (demo) demo.kill('SIGTERM');
  if (shellSrv) shellSrv.stop();
});

test('the page terminal goes on after the WebSocket drops', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${proxy.address().port}/`);
  await page.waitForFunction(() => [...document.querySelectorAll('#device option')].some((o) => o.value === 'shell'));
  await page.selectOption('#device', 'shell');
  await page.fill('#user', 'ops');
  await page.selectOption('#method', 'password');
  await page.fill('#password', 'ops-pw');
  await page.click('#connect');
  await page.waitForSelector('#hostkey[open]');
  await page.click('#hostkey button[value="once"]');
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
  await page.click('#terminal');
  await page.keyboard.type('echo before-$((6*7))\r');
  await waitScreen(page, /^before-42$/m, 'output before the drop', { ms: 20000, context: () => demoLog });
  // A slow counter is running when every connection through the proxy is cut.
  await page.keyboard.type('for i in $(seq 1 40); do echo line-$i; sleep 0.05; done\r');
  await waitScreen(page, /^line-5$/m, 'the counter started', { ms: 20000, context: () => demoLog });
  for (const s of socks) s.destroy();
  await page.keyboard.type('echo after-$((7*6))\r');
  const s = await waitScreen(page, /after-42$/m, 'a command typed after the drop', { ms: 20000, context: () => demoLog });
  const lines = s.split('\n').filter((l) => /^line-\d+$/.test(l));
  assert.deepEqual(lines, Array.from({ length: 40 }, (_, i) => `line-${i + 1}`), 'every line once, in order');
  await until(() => /resumed/.test(demoLog), () => `no resume in the demo log:\n${demoLog}`);
  // The status line is the session's again (it said "reconnecting" meanwhile).
  assert.match(await page.textContent('#status-text'), /user ops/);
  assert.deepEqual(errors, []);
  await page.close();
});
