// "Via bastion" in a real browser: playwright-core drives Debian's Chromium on the built page
// (www/dist, served by `sshgate-host bridge --static`), whose only bridge target is a private
// OpenSSH sshd. A deep link fills the form (bastion, the device behind it, both users); the page
// asks about the bastion's host key, then the device's (kept under `[127.0.0.1]:port`), logs into
// `sshgate-host serve` through the bastion and runs a shell there; the link stays in the address
// bar. A device behind that the bastion cannot reach fails with the bastion named.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { screen } from './terminal.mjs';
import { freePort, startServe, startSshd, startBridge, testAccount, passwordHash, shellUser } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');

let account;
let bastion;
let srv;
let bridge;
let browser;

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  account = testAccount();
  bastion = await startSshd('', ['AllowTcpForwarding yes']);
  srv = await startServe([{ name: 'ops', password_hash: passwordHash('ops-pw'), ...shellUser() }]);
  bridge = await startBridge({ bastion: `127.0.0.1:${bastion.port}` }, ['--static', dist]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  bridge && bridge.stop();
  bastion && bastion.stop();
  srv && srv.stop();
});

/** Answers the host key question; returns the name it asked about. */
async function trust(page, answer) {
  await page.waitForSelector('#hostkey[open]');
  const name = await page.textContent('#hk-host');
  await page.click(`#hostkey button[value="${answer}"]`);
  await page.waitForFunction(() => !document.querySelector('#hostkey[open]'));
  return name;
}

test('a deep link logs into serve through an sshd bastion; each host key is asked about', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const q = new URLSearchParams({ via: '1', device: 'bastion', behind: `127.0.0.1:${srv.port}`, bastionUser: account.user, user: 'ops' });
  await page.goto(`http://127.0.0.1:${bridge.port}/?${q}`);
  await page.waitForFunction(() => document.getElementById('device').value === 'bastion');
  assert.equal(await page.isChecked('#via'), true);
  assert.equal(await page.inputValue('#behind'), `127.0.0.1:${srv.port}`);
  assert.equal(await page.inputValue('#bastion-user'), account.user);
  assert.equal(await page.inputValue('#user'), 'ops');
  await page.selectOption('#method', 'password');
  await page.fill('#password', 'ops-pw');
  await page.fill('#bastion-password', account.password);
  await page.click('#connect');
  assert.equal(await trust(page, 'once'), 'bastion');
  assert.equal(await trust(page, 'always'), `[127.0.0.1]:${srv.port}`);
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
  const via = await page.evaluate(() => window.sshgatePage.conn.via.map((c) => c.serverVersion));
  assert.equal(via.length, 1);
  assert.match(via[0], /OpenSSH/);
  await page.click('#terminal');
  await page.keyboard.type('echo through-$((40+2))\r');
  await page.waitForFunction(() => {
    const b = window.sshgatePage.term.buffer.active;
    for (let i = 0; i < b.length; i++) if (b.getLine(i).translateToString(true).includes('through-42')) return true;
    return false;
  });
  // The device behind the bastion saw the login; the bastion saw its own.
  assert.match(srv.log(), /connection accepted/);
  assert.match(bastion.log(), new RegExp(`Accepted password for ${account.user}`));
  // The destination's key is kept under its own name; the bastion's was trusted once only.
  const kept = await page.evaluate(() => window.sshgatePage.store.keys('knownHosts'));
  assert.deepEqual(kept, [`[127.0.0.1]:${srv.port} ssh-ed25519`]);
  assert.match(page.url(), new RegExp(`behind=127\\.0\\.0\\.1%3A${srv.port}`));
  // Disconnecting ends the bastion's connection too.
  await page.click('#disconnect');
  await page.waitForFunction(() => window.sshgatePage.conn.via.every((c) => c.closed));
  assert.deepEqual(errors, []);
  assert.match(await screen(page), /connection closed/);
});

test('a device behind the bastion that it cannot reach is refused, the bastion named', async () => {
  const page = await browser.newPage();
  const closed = await freePort();
  const q = new URLSearchParams({ via: '1', device: 'bastion', behind: `127.0.0.1:${closed}`, bastionUser: account.user, user: 'ops' });
  await page.goto(`http://127.0.0.1:${bridge.port}/?${q}`);
  await page.waitForFunction(() => document.getElementById('device').value === 'bastion');
  await page.selectOption('#method', 'password');
  await page.fill('#password', 'ops-pw');
  await page.fill('#bastion-password', account.password);
  await page.click('#connect');
  await trust(page, 'once');
  await page.waitForFunction(() => document.getElementById('message').textContent);
  const msg = await page.textContent('#message');
  assert.match(msg, new RegExp(`^jump host 1 \\(bastion\\) could not reach 127\\.0\\.0\\.1:${closed}: `));
});

test("a device key that differs behind the bastion: Forget drops that device's key, not the bastion's", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-jump-mismatch-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
  const other = readFileSync(path.join(dir, 'other.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const dest = `[127.0.0.1]:${srv.port}`;
  const q = new URLSearchParams({ via: '1', device: 'bastion', behind: `127.0.0.1:${srv.port}`, bastionUser: account.user, user: 'ops' });
  await page.goto(`http://127.0.0.1:${bridge.port}/?${q}`);
  await page.waitForFunction(() => document.getElementById('device').value === 'bastion');
  // The browser "knows" another key for the device behind the bastion.
  await page.evaluate(([name, line]) => window.sshgatePage.store.put('knownHosts', `${name} ssh-ed25519`, `${name} ${line}`), [dest, other]);
  await page.selectOption('#method', 'password');
  await page.fill('#password', 'ops-pw');
  await page.fill('#bastion-password', account.password);
  await page.click('#connect');
  assert.equal(await trust(page, 'always'), 'bastion');
  await page.waitForSelector('#forget:not([hidden])');
  assert.match(await page.textContent('#message'), /^destination 127\.0\.0\.1:\d+ via bastion: .*Someone may be in the middle/);
  await page.click('#forget');
  await page.waitForFunction(() => /forgotten/.test(document.getElementById('message').textContent));
  const kept = await page.evaluate(() => window.sshgatePage.store.keys('knownHosts'));
  assert.deepEqual(kept.map((k) => k.split(' ')[0]), ['bastion']);
  await context.close();
});
