// End to end in a real browser: playwright-core drives Debian's Chromium against
// `sshgate-host demo` serving the built page (www/dist). Opens the page, connects to router1,
// accepts the host key (trust always), logs in as lab with the password from the demo's data
// directory, types `show ssh` and reads it from xterm's buffer, keeps a screenshot under
// test-artifacts/, then logs into a shell target (a `serve` user with /bin/sh, added to the demo
// with --target) to check that resizing the window reaches the remote PTY (`stty size`), and
// answers keyboard-interactive prompts, the expired-password change included, in the page's dialog;
// logs in with the demo's dev CA files (user.p12, then user.pem + key), and checks that a key
// other than the trusted one is refused before the password goes out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { screen, waitScreen } from './terminal.mjs';
import { hostBin, freePort, startServe, passwordHash, shellUser, until } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');
const artifacts = path.join(root, 'test-artifacts');

let demo;
let demoLog = '';
let shellSrv;
let browser;
let url;
let labPassword;
let dataDir;

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  const hash = passwordHash('ops-pw');
  shellSrv = await startServe([
    { name: 'ops', password_hash: hash, ...shellUser() },
    { name: 'old', password_hash: hash, password_expired: true, ...shellUser() },
  ]);
  dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'sshgate-e2e-')), 'demo');
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  demo = spawn(
    hostBin,
    ['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--static', dist, '--target', `shell=127.0.0.1:${shellSrv.port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  demo.stdout.on('data', (d) => (demoLog += d));
  demo.stderr.on('data', (d) => (demoLog += d));
  await until(() => /open http/.test(demoLog) || demo.exitCode !== null, () => `demo did not start:\n${demoLog}`);
  labPassword = readFileSync(path.join(dataDir, 'lab-password'), 'utf8').trim();
  assert.ok(demoLog.includes(labPassword), 'the demo prints the password it made');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (demo) demo.kill('SIGTERM');
  if (shellSrv) shellSrv.stop();
});

async function logIn(page, device, user, password, trust) {
  await page.waitForFunction((d) => [...document.querySelectorAll('#device option')].some((o) => o.value === d), device);
  await page.selectOption('#device', device);
  await page.fill('#user', user);
  await page.selectOption('#method', 'password');
  await page.fill('#password', password);
  await page.click('#connect');
  if (trust) {
    await page.waitForSelector('#hostkey[open]');
    const fp = await page.textContent('#hk-fingerprint');
    assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
    await page.click(`#hostkey button[value="${trust}"]`);
  }
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
}

test('the page logs into the demo device, shows `show ssh`, and ends cleanly', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await logIn(page, 'router1', 'lab', labPassword, 'always');
  await waitScreen(page, /router1#\s*$/m, 'prompt');
  const status = await page.textContent('#status-text');
  assert.match(status, /Version 2\.0 \| Encryption in \S+ out \S+ \| HMAC in .* \| user lab/);
  await page.click('#terminal');
  await page.keyboard.type('show ssh\r');
  const s = await waitScreen(page, /Connection\s+Version\s+Mode\s+Encryption[\s\S]*lab/, 'show ssh');
  assert.match(s, /2\.0\s+IN\s+.*Session started\s+lab/);
  // The device's view of the cipher is the page's: the session is the page's own.
  const algs = await page.evaluate(() => window.sshgatePage.conn.algorithms);
  const inRow = s.split('\n').find((l) => /\bIN\b/.test(l) && l.includes('lab'));
  assert.ok(inRow && inRow.includes(algs.cipherClientToServer), `${inRow} vs ${algs.cipherClientToServer}`);
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'terminal-logged-in.png') });

  // The engine never blocked the page for long (the handshake's signatures and DH included).
  const longest = await page.evaluate(() => window.sshgatePage.conn.longestCall);
  assert.ok(longest.ms < 1000, JSON.stringify(longest));

  await page.keyboard.type('exit\r');
  await waitScreen(page, /\[sshgate: (session ended|connection closed)/, 'the end line');
  assert.equal(await page.isVisible('#reconnect'), true);

  // Trusted always: the next login asks no host key question (IndexedDB remembered it).
  await page.click('#reconnect');
  await logIn(page, 'router1', 'lab', labPassword, null);
  await waitScreen(page, /router1#\s*$/m, 'prompt after reconnect');
  await page.click('#disconnect');
  await waitScreen(page, /\[sshgate: connection closed/, 'disconnect line');
  assert.deepEqual(errors, []);
  await page.close();
});

test("a certificate login with the demo's dev CA: the question shows router1's certificate, its CA is kept", async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => [...document.querySelectorAll('#device option')].some((o) => o.value === 'router1'));
  await page.selectOption('#device', 'router1');
  await page.selectOption('#method', 'certificate');
  await page.check('#userfromcert');
  await page.setInputFiles('#certfile', path.join(dataDir, 'ca/user.p12'));
  await page.fill('#certpassphrase', readFileSync(path.join(dataDir, 'ca/user.p12-passphrase'), 'utf8').trim());
  await page.click('#connect');
  await page.waitForSelector('#hostkey[open]');
  // The device presents the host certificate the dev CA issued for it, for the name picked.
  assert.match(await page.textContent('#hk-subject'), /CN=router1/);
  assert.match(await page.textContent('#hk-names'), /\brouter1\b/);
  // The issuer is the dev CA (ca.pem), which the browser does not trust yet: it can keep it.
  const issuer = await page.textContent('#hk-issuer');
  assert.match(issuer, /CN=/);
  assert.equal(await page.isVisible('#hk-trust-ca'), true, 'an unknown issuer: its CA can be kept');
  assert.ok((await page.textContent('#hk-ca')).startsWith(`${issuer} (`), await page.textContent('#hk-ca'));
  await page.click('#hostkey button[value="ca"]');
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
  assert.match(await page.textContent('#status-text'), /host key x509v3-ecdsa-sha2-nistp256 \| user lab/);
  await waitScreen(page, /router1#\s*$/m, 'prompt');
  await page.click('#terminal');
  await page.keyboard.type('show ssh\r');
  await waitScreen(page, /Session started\s+lab/, 'show ssh');
  await until(() => /Certificate authentication passed for user 'lab'/.test(demoLog), () => `no certificate login in the demo log:\n${demoLog}`);
  // With the CA kept (the page reloaded, same browser profile), the next login asks nothing.
  await page.keyboard.type('exit\r');
  await waitScreen(page, /\[sshgate: (session ended|connection closed)/, 'the end line');
  await page.goto(url);
  await page.waitForFunction(() => [...document.querySelectorAll('#device option')].some((o) => o.value === 'router1'));
  await page.selectOption('#device', 'router1');
  await page.selectOption('#method', 'certificate');
  await page.setInputFiles('#certfile', path.join(dataDir, 'ca/user.pem'));
  await page.setInputFiles('#certkeyfile', path.join(dataDir, 'ca/user-key.pem'));
  await page.fill('#user', 'lab');
  await page.click('#connect');
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
  assert.equal(await page.isVisible('#hostkey[open]'), false, 'a certificate the kept CA issued needs no question');
  assert.equal(await page.evaluate(() => window.sshgatePage.conn.hostKey.certificate.valid), true);
  await page.click('#disconnect');
  await waitScreen(page, /\[sshgate: connection closed/, 'disconnect line');
  assert.deepEqual(errors, []);
  await page.close();
});

test('resizing the window reaches the remote PTY', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  await page.goto(url);
  await logIn(page, 'shell', 'ops', 'ops-pw', 'once');
  const size = () => page.evaluate(() => `${window.sshgatePage.term.rows} ${window.sshgatePage.term.cols}`);
  await page.click('#terminal');
  const first = await size();
  await page.keyboard.type('stty size\r');
  await waitScreen(page, new RegExp(`^${first}$`, 'm'), 'first stty size');
  await page.setViewportSize({ width: 700, height: 420 });
  await page.waitForFunction((s) => `${window.sshgatePage.term.rows} ${window.sshgatePage.term.cols}` !== s, first);
  const second = await size();
  await page.keyboard.type('clear; stty size\r');
  await waitScreen(page, new RegExp(`^${second}$`, 'm'), 'stty size after the resize');
  assert.notEqual(first, second);
  await page.keyboard.type('exit\r');
  await waitScreen(page, /\[sshgate: session ended \(exit status 0\)\]/, 'exit line');
  await page.close();
});

test('keyboard-interactive prompts in the page, with the expired-password change', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  await page.goto(url);
  await page.waitForFunction(() => [...document.querySelectorAll('#device option')].some((o) => o.value === 'shell'));
  await page.selectOption('#device', 'shell');
  await page.fill('#user', 'old');
  await page.selectOption('#method', 'keyboard-interactive');
  await page.click('#connect');
  await page.waitForSelector('#hostkey[open]');
  await page.click('#hostkey button[value="once"]');
  const answer = async (values, expect) => {
    await page.waitForSelector('#prompt[open]');
    if (expect) assert.match(await page.textContent('#prompt'), expect);
    for (const [i, v] of values.entries()) await page.fill(`#pr-${i}`, v);
    await page.click('#pr-ok');
  };
  await answer(['ops-pw'], /Password/i);
  await answer(['n3w-page-pw', 'n3w-page-pw'], /expired/i);
  await page.waitForFunction(() => window.sshgatePage.shell !== null);
  await page.click('#terminal');
  await page.keyboard.type('echo "logged in as $(id -un)"; exit 0\r');
  await waitScreen(page, /\[sshgate: session ended \(exit status 0\)\]/, 'exit line');
  await page.close();
});

test('a host key that differs from the trusted one is refused before the password goes out', async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.sshgatePage && window.sshgatePage.sshgate);
  // Trust some other key for router1, as if the device had been replaced by an impostor.
  await page.evaluate(async () => {
    const { sshgate, store } = window.sshgatePage;
    await sshgate.init();
    const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC87pPzhtAlLc0JsaeEJVZB7dbCzjZ4wOVg5IHnzxKxs';
    await store.put('knownHosts', 'router1 ssh-ed25519', sshgate.knownHostsEntry('router1', 22, other));
  });
  const logins = () => (demoLog.match(/user authenticated/g) || []).length;
  const before = logins();
  assert.ok(before > 0, 'the demo logs logins (the earlier tests logged in)');
  await page.waitForFunction(() => [...document.querySelectorAll('#device option')].some((o) => o.value === 'router1'));
  await page.selectOption('#device', 'router1');
  await page.fill('#user', 'lab');
  await page.fill('#password', labPassword);
  await page.click('#connect');
  await page.waitForFunction(() => document.getElementById('message').textContent || document.querySelector('#hostkey[open]'));
  assert.equal(await page.isVisible('#hostkey[open]'), false, `no trust question for a changed key: ${await page.textContent('#hk-type')}`);
  assert.match(await page.textContent('#message'), /does not match/);
  assert.equal(await page.isVisible('#forget'), true);
  await page.waitForTimeout(300);
  assert.equal(logins(), before, 'no login happened');
  // Forgetting the old key brings the question back: with no key known, the device presents
  // its certificate, and cancelling refuses it before anything is sent.
  await page.click('#forget');
  await page.click('#connect');
  await page.waitForSelector('#hostkey[open]');
  assert.match(await page.textContent('#hk-subject'), /CN=router1/);
  await page.click('#hostkey button[value="cancel"]');
  await page.waitForFunction(() => /Nothing was sent to the device/.test(document.getElementById('message').textContent));
  assert.equal(logins(), before, 'no login happened');
  await page.close();
});
