// The page's OpenSSH certificate login in a real browser: playwright-core drives Debian's
// Chromium through the built page (www/dist, served by `sshgate-host bridge --static`) to a
// private OpenSSH sshd that trusts a user CA and serves a host certificate. The key file and its
// `-cert.pub` picked in the form log in (the key itself is not authorized), and a known_hosts
// holding only the `@cert-authority` line typed into the settings dialog trusts the device
// without the host key question; a
// certificate of another key is refused in the page before anything is sent.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { startSshd, startBridge, testAccount } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');
const DEVICE = 'router1';
let sshd;
let bridge;
let browser;
let account;
let dir;

const file = (n) => path.join(dir, n);
const keygen = (name, type) => execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file(name)]);
const sign = (ca, name, args) => execFileSync('ssh-keygen', ['-q', '-s', file(ca), '-I', `id-${name}`, ...args, file(`${name}.pub`)]);

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  account = testAccount();
  dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-www-certs-'));
  keygen('user_ca', 'ed25519');
  keygen('host_ca', 'ed25519');
  keygen('host_key', 'ed25519');
  sign('host_ca', 'host_key', ['-h', '-n', DEVICE]);
  keygen('alice', 'ecdsa');
  sign('user_ca', 'alice', ['-n', account.user]);
  keygen('other', 'ed25519');
  sign('user_ca', 'other', ['-n', account.user]);
  sshd = await startSshd(readFileSync(file('host_ca.pub'), 'utf8').trim(), [
    `HostKey ${file('host_key')}`,
    `HostCertificate ${file('host_key-cert.pub')}`,
    `TrustedUserCAKeys ${file('user_ca.pub')}`,
  ]);
  bridge = await startBridge({ [DEVICE]: `127.0.0.1:${sshd.port}` }, ['--static', dist]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  bridge && bridge.stop();
  sshd && sshd.stop();
});

async function keyForm(page, key, cert) {
  await page.goto(`http://127.0.0.1:${bridge.port}/`);
  await page.waitForFunction((d) => [...document.querySelectorAll('#device option')].some((o) => o.value === d), DEVICE);
  await page.selectOption('#device', DEVICE);
  await page.fill('#user', account.user);
  await page.selectOption('#method', 'publickey');
  await page.setInputFiles('#keyfile', file(key));
  await page.setInputFiles('#keycertfile', file(cert));
}

test('key + -cert.pub log in; @cert-authority in known_hosts trusts the device without a question', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${bridge.port}/`);
  // The page's known_hosts: only the CA line for the device, typed into the settings dialog.
  const ca = `@cert-authority ${DEVICE} ${readFileSync(file('host_ca.pub'), 'utf8').trim()}`;
  await page.click('#settings-open');
  await page.fill('#set-hostCas', 'not a line');
  await page.dispatchEvent('#set-hostCas', 'change');
  assert.match(await page.$eval('#set-hostCas', (t) => t.validationMessage), /not a @cert-authority line/);
  const saved = page.$eval('#set-hostCas', (t) => new Promise((r) => t.addEventListener('saved', r, { once: true })));
  await page.fill('#set-hostCas', ca);
  await page.dispatchEvent('#set-hostCas', 'change');
  await saved;
  await page.click('#settings button[value="close"]');
  const mark = sshd.log().length;
  await keyForm(page, 'alice', 'alice-cert.pub');
  await page.click('#connect');
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
  assert.equal(await page.isVisible('#hostkey[open]'), false, 'no host key question');
  const hk = await page.evaluate(() => ({ alg: window.sshgatePage.conn.algorithms.hostKey, cert: window.sshgatePage.conn.hostKey.openSshCertificate }));
  assert.equal(hk.alg, 'ssh-ed25519-cert-v01@openssh.com');
  assert.deepEqual(hk.cert.principals, [DEVICE]);
  assert.match(sshd.log().slice(mark), /Accepted publickey for sshgate-test .*ECDSA-CERT SHA256:\S+ ID id-alice/);
  const known = await page.evaluate(() => window.sshgatePage.store.keys('knownHosts'));
  assert.deepEqual(known, [ca], 'nothing added: the CA vouched');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a certificate of another key is refused in the page, before anything is sent', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const mark = sshd.log().length;
  await keyForm(page, 'alice', 'other-cert.pub');
  await page.click('#connect');
  await page.waitForFunction(() => /not a certificate of this key/.test(document.getElementById('message').textContent));
  await page.waitForTimeout(300);
  assert.doesNotMatch(sshd.log().slice(mark), /Connection from|Accepted/);
  await context.close();
});
