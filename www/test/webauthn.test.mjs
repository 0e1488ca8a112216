// Security keys in a real browser: playwright-core drives Debian's Chromium on the built page
// (www/dist, served by `sshgate-host bridge --static` at http://localhost, a secure context whose
// host name is the WebAuthn relying party) with a DevTools virtual authenticator (CTAP2,
// internal, user verification, presence simulated). The page registers a credential and shows
// its sk-ecdsa-sha2-nistp256@openssh.com line; the line goes into a private OpenSSH sshd's
// authorized_keys and the page logs in with navigator.credentials.get over the SSH signed data;
// then into `sshgate-host serve` under `verify-required`; an authenticator without the
// credential is a clear refusal on the form. With connect({ worker: true }) the page still makes
// the assertion (a worker has no WebAuthn).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { freePort, startServe, startSshd, startBridge, testAccount, shellUser } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');

let account;
let sshd;
let servePort;
let srv;
let bridge;
let browser;
// One page (one browser context: its IndexedDB and its virtual authenticator) for every test.
let page;
let cdp;
let authenticatorId;
let line;
const errors = [];

const AUTHENTICATOR = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  account = testAccount();
  sshd = await startSshd('');
  // serve starts once the page has registered the key (its authorized_keys are in its config).
  servePort = await freePort();
  bridge = await startBridge({ sshd: `127.0.0.1:${sshd.port}`, serve: `127.0.0.1:${servePort}` }, ['--static', dist]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR }));
  await page.goto(`http://localhost:${bridge.port}/`);
  await page.waitForFunction(() => [...document.getElementById('device').options].some((o) => o.value === 'serve'));
});

after(async () => {
  if (browser) await browser.close();
  bridge && bridge.stop();
  sshd && sshd.stop();
  srv && srv.stop();
});

const screenHas = (needle) =>
  page.waitForFunction((n) => {
    const b = window.sshgatePage.term.buffer.active;
    for (let i = 0; i < b.length; i++) if (b.getLine(i).translateToString(true).includes(n)) return true;
    return false;
  }, needle);

async function trustOnce() {
  await page.waitForSelector('#hostkey[open]');
  await page.click('#hostkey button[value="once"]');
  await page.waitForFunction(() => !document.querySelector('#hostkey[open]'));
}

/** The form, filled for a security key login to `device` as `user`, submitted. */
async function loginWithKey(device, user) {
  await page.selectOption('#device', device);
  await page.fill('#user', user);
  await page.selectOption('#method', 'securityKey');
  await page.click('#connect');
}

const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;

test('register a security key in the page; its line logs into OpenSSH sshd', async () => {
  await page.selectOption('#device', 'sshd');
  await page.fill('#user', account.user);
  await page.selectOption('#method', 'securityKey');
  assert.equal(await page.isVisible('#sk-register'), true);
  await page.click('#sk-register');
  await page.waitForFunction(() => document.getElementById('sk-line').value !== '');
  line = await page.inputValue('#sk-line');
  assert.match(line, new RegExp(`^sk-ecdsa-sha2-nistp256@openssh\\.com AAAA[A-Za-z0-9+/=]+ ${account.user}@sshd \\(localhost\\)$`));
  // ssh-keygen reads it as a security key; the authenticator holds one credential for localhost.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-www-sk-'));
  writeFileSync(path.join(dir, 'k.pub'), `${line}\n`);
  assert.match(execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'k.pub')]).toString(), /\(ECDSA-SK\)/);
  const creds = await credentials();
  assert.equal(creds.length, 1);
  assert.equal(creds[0].rpId, 'localhost');
  const before = creds[0].signCount;
  // Kept in this browser, nothing secret: the id and the line.
  const kept = await page.evaluate(() => window.sshgatePage.store.all('securityKeys'));
  assert.equal(kept.length, 1);
  assert.equal(kept[0].publicKey, line);

  appendFileSync(path.join(sshd.dir, 'authorized_keys'), `${line}\n`);
  await page.click('#connect');
  await trustOnce();
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
  await page.click('#terminal');
  await page.keyboard.type('echo sk-$((40+2))\r');
  await screenHas('sk-42');
  assert.match(sshd.log(), new RegExp(`Accepted publickey for ${account.user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ECDSA-SK SHA256:`));
  assert.ok((await credentials())[0].signCount > before, 'the authenticator signed');
  assert.deepEqual(errors, []);
});

test('the same key logs into serve, whose line says verify-required', async () => {
  assert.ok(line, 'registered by the first test');
  srv = await startServe([{ name: 'lab', authorized_keys: [`verify-required ${line}`], ...shellUser() }], '', null, servePort);
  await page.click('#new-tab');
  await loginWithKey('serve', 'lab');
  await trustOnce();
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
  await page.click('#terminal');
  await page.keyboard.type('echo serve-$((6*7))\r');
  await screenHas('serve-42');
  const log = srv.log();
  assert.match(log, /Accepted publickey for lab from 127\.0\.0\.1: ECDSA-SK SHA256:\S+ \(webauthn\)/);
  assert.ok(log.includes(`origin=http://localhost:${bridge.port}`), 'the page origin is logged');
  // UP and UV: the virtual authenticator verified the user.
  assert.match(log, /flags=5 /);
  assert.deepEqual(errors, []);
});

test('connect({ worker: true }): the engine in a Web Worker, the touch asked for by the page', async () => {
  assert.ok(srv, 'serve started by the test before');
  const before = (await credentials())[0].signCount;
  const r = await page.evaluate(async () => {
    const { sshgate, store } = window.sshgatePage;
    const [k] = await store.all('securityKeys');
    const ws = new URL('ssh/serve', location.href);
    ws.protocol = 'ws:';
    const auth = [{ type: 'securityKey', credentialId: k.credentialId, publicKey: k.publicKey }];
    const conn = await sshgate.connect({ websocket: ws.href, worker: true, username: 'lab', auth, hostKey: () => true });
    const out = await conn.exec('echo worker-$((2*21))');
    // Not closed here: offthread.js ends the worker on 'close', and close()'s own answer can be
    // lost with it (a gap of the worker mode); the browser closes it at the end.
    window.workerConn = conn;
    return { offThread: conn.offThread, out: new TextDecoder().decode(out.stdout) };
  });
  assert.deepEqual(r, { offThread: true, out: 'worker-42\n' });
  assert.ok((await credentials())[0].signCount > before, 'the page signed for the worker');
});

test('an authenticator without the credential: the form says the key did not sign', async () => {
  assert.ok(srv, 'serve started by the test before');
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR }));
  await page.click('#new-tab');
  await page.evaluate(() => (document.getElementById('message').textContent = ''));
  await loginWithKey('serve', 'lab');
  await trustOnce();
  await page.waitForFunction(() => document.getElementById('message').textContent !== '', null, { timeout: 150000 });
  assert.match(await page.textContent('#message'), /security key did not sign: NotAllowedError/);
  assert.equal(await page.isVisible('#login'), true);
});

test('a page opened by IP address cannot register: the form says why', async () => {
  const p = await browser.newPage();
  const s = await p.context().newCDPSession(p);
  await s.send('WebAuthn.enable');
  await s.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR });
  await p.goto(`http://127.0.0.1:${bridge.port}/`);
  await p.waitForFunction(() => document.getElementById('device').options.length > 0);
  await p.fill('#user', 'lab');
  await p.selectOption('#method', 'securityKey');
  await p.click('#sk-register');
  await p.waitForFunction(() => /could not register/.test(document.getElementById('message').textContent));
  assert.match(await p.textContent('#message'), /opened by a name \(e\.g\. localhost\), not 127\.0\.0\.1/);
  assert.equal(await p.inputValue('#sk-line'), '');
  await p.close();
});
