// The page's certificate login end to end in a real browser: playwright-core drives Debian's
// Chromium through the built page (www/dist, served by `sshgate-host bridge --static`) to
// `sshgate-host serve` with a host certificate and user trustpoints on the tests/x509/make-pki.sh
// PKI. A .p12 file with its passphrase and the user name from the certificate, the question
// showing the server certificate, "trust this CA always" kept in IndexedDB (and no question
// next time, with a PEM chain + key), nothing secret stored, and a certificate for another name
// refused before any credential goes out. (The demo's own dev CA is not used here.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { startServe, startBridge, passwordHash, certificateConfig, pkiDir, withoutAudit } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');
const HOST = 'router1.example.com';
let srv;
let bridge;
let browser;
let context;

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  srv = await startServe(
    [
      { name: 'alice', privilege: 15, certificate: true },
      { name: 'lab', privilege: 15, password_hash: passwordHash('lab-pw') },
    ],
    certificateConfig('server_p256', ['root_rsa.pem', 'root_p256.pem']),
  );
  // The device under its certificate's name, and under one the certificate lacks.
  bridge = await startBridge({ [HOST]: `127.0.0.1:${srv.port}`, router1: `127.0.0.1:${srv.port}` }, ['--static', dist]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  // One context for every page: IndexedDB (the trusted CA) carries from one test to the next.
  context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
});

after(async () => {
  if (browser) await browser.close();
  bridge && bridge.stop();
  srv && srv.stop();
});

const pki = (n) => path.join(pkiDir(), n);
const pageUrl = () => `http://127.0.0.1:${bridge.port}/`;

async function certificateForm(page, device) {
  await page.goto(pageUrl());
  await page.waitForFunction((d) => [...document.querySelectorAll('#device option')].some((o) => o.value === d), device);
  await page.selectOption('#device', device);
  await page.selectOption('#method', 'certificate');
}

const loggedIn = (page) => page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);

test('a .p12 file: the question shows the server certificate, its CA is kept, nothing secret is', async () => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await certificateForm(page, HOST);
  await page.check('#userfromcert');
  await page.setInputFiles('#certfile', pki('user_p256.p12'));
  await page.fill('#certpassphrase', 's3cret');
  await page.click('#connect');
  await page.waitForSelector('#hostkey[open]');
  assert.equal(await page.isVisible('#hk-cert'), true);
  assert.equal(await page.textContent('#hk-subject'), 'CN=router1.example.com,O=Example');
  assert.equal(await page.textContent('#hk-issuer'), 'CN=Intermediate CA p256,O=Example');
  assert.match(await page.textContent('#hk-validity'), /^2020-01-01 to 2099-12-31$/);
  assert.match(await page.textContent('#hk-names'), /router1\.example\.com/);
  assert.match(await page.textContent('#hk-fingerprint'), /^SHA256:/);
  mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(root, 'test-artifacts/certificate-question.png') });
  // No CA is trusted yet: the issuer is unknown, and the CA it sent can be kept.
  assert.match(await page.textContent('#hk-refusal'), /Intermediate CA p256/);
  assert.match(await page.textContent('#hk-ca'), /^CN=Intermediate CA p256,O=Example \(issuer CN=Root CA p256/);
  await page.click('#hostkey button[value="ca"]');
  await loggedIn(page);
  assert.match(await page.textContent('#status-text'), /host key x509v3-ecdsa-sha2-nistp256 \| user alice/);
  const kept = await page.evaluate(async () => {
    const { store } = window.sshgatePage;
    return { cas: await store.keys('cas'), keys: await store.keys('keys'), known: await store.keys('knownHosts'), local: JSON.stringify(localStorage) };
  });
  assert.deepEqual(kept.cas, ['CN=Intermediate CA p256,O=Example']);
  assert.deepEqual(kept.keys, [], 'the certificate file is not kept');
  assert.deepEqual(kept.known, [], 'trusting the CA is not trusting a key');
  assert.doesNotMatch(kept.local, /s3cret/, 'no passphrase stored');
  await page.click('#disconnect');
  await page.waitForFunction(() => window.sshgatePage.ended !== null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('with the CA kept, a PEM chain + key logs in without a question', async () => {
  const page = await context.newPage();
  await certificateForm(page, HOST);
  await page.fill('#user', 'alice');
  await page.setInputFiles('#certfile', pki('user_rsa.chain.pem'));
  await page.setInputFiles('#certkeyfile', pki('user_rsa.key'));
  await page.click('#connect');
  await loggedIn(page);
  assert.equal(await page.isVisible('#hostkey[open]'), false, 'a certificate the kept CA issued needs no question');
  const c = await page.evaluate(() => window.sshgatePage.conn.hostKey.certificate);
  assert.equal(c.valid, true);
  assert.equal(c.trustedBy, 'CN=Intermediate CA p256,O=Example');
  assert.match(await page.textContent('#status-text'), /user alice/);
  await page.close();
});

test('a device certificate for another name is refused before any credential goes out', async () => {
  const page = await context.newPage();
  // The earlier tests' lines may still be coming: mark once the log stops growing.
  let mark = -1;
  while (mark !== srv.log().length) {
    mark = srv.log().length;
    await new Promise((r) => setTimeout(r, 300));
  }
  await certificateForm(page, 'router1');
  await page.fill('#user', 'alice');
  await page.setInputFiles('#certfile', pki('user_p256.p12'));
  await page.fill('#certpassphrase', 's3cret');
  await page.click('#connect');
  await page.waitForSelector('#hostkey[open]');
  assert.match(await page.textContent('#hk-refusal'), /router1/);
  assert.equal(await page.isVisible('#hk-trust-ca'), false, 'a CA would not fix a wrong name');
  await page.click('#hostkey button[value="cancel"]');
  await page.waitForFunction(() => /Nothing was sent to the device/.test(document.getElementById('message').textContent));
  assert.match(await page.textContent('#message'), /router1\.example\.com.*refused/);
  await page.waitForTimeout(300);
  assert.doesNotMatch(withoutAudit(srv.log().slice(mark)), /Verifying certificate|authenticated/, 'no credential reached serve');
  await page.close();
});
