// The page's terminal comforts end to end in Chromium (playwright-core) against
// `sshgate-host demo` serving the built page, with a `serve` shell target: two tabs with
// independent sessions, closing a tab ends its session with SSH_MSG_DISCONNECT (serve's audit
// line says `normal`, which a dropped socket would not), OSC 52 copy into the clipboard, the key
// bar's Ctrl-C and arrows, and deep links that pre-fill and connect.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { screen, waitScreen } from './terminal.mjs';
import { hostBin, freePort, startServe, passwordHash, shellUser, until, keygen } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');

let demo;
let demoLog = '';
let shellSrv;
let browser;
let url;
let userKey;

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  userKey = keygen(mkdtempSync(path.join(os.tmpdir(), 'sshgate-comforts-key-')), 'user_ed25519');
  shellSrv = await startServe([
    { name: 'ops', password_hash: passwordHash('ops-pw'), ...shellUser() },
    { name: 'keyed', authorized_keys: [userKey.publicKey], ...shellUser() },
  ]);
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'sshgate-comforts-')), 'demo');
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
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (demo) demo.kill('SIGTERM');
  if (shellSrv) shellSrv.stop();
});

/** Tab `i`'s terminal text (the active tab's when i is null). */
/** Logs the active tab into the shell target as ops (the host key trusted once). */
async function logIn(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('#device option')].some((o) => o.value === 'shell'));
  await page.selectOption('#device', 'shell');
  await page.fill('#user', 'ops');
  await page.selectOption('#method', 'password');
  await page.fill('#password', 'ops-pw');
  await page.click('#connect');
  await page.waitForSelector('#hostkey[open]');
  await page.click('#hostkey button[value="once"]');
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
}

const audits = (ended) => (shellSrv.log().match(new RegExp(`ended="?${ended}\\b`, 'g')) || []).length;

test('two tabs hold independent sessions; closing one ends it with a clean disconnect', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await logIn(page);
  await page.click('#terminal');
  await page.keyboard.type('PS1="one$ "; echo "marker-$((40+1))"\r');
  await waitScreen(page, /^marker-41$/m, 'tab one');

  await page.click('#new-tab');
  assert.equal(await page.isVisible('#login'), true, 'a new tab starts at the login form');
  assert.equal(await page.evaluate(() => window.sshgatePage.tabs.tabs.length), 2);
  await logIn(page);
  await page.click('#terminal');
  await page.keyboard.type('PS1="two$ "; echo "marker-$((40+2))"\r');
  await waitScreen(page, /^marker-42$/m, 'tab two');
  // Each tab's terminal shows only its own session.
  assert.doesNotMatch(await screen(page, 0), /marker-42/);
  assert.doesNotMatch(await screen(page, 1), /marker-41/);
  const [a, b] = await page.evaluate(() => window.sshgatePage.tabs.tabs.map((t) => t.conn.sessionId || t.id));
  assert.notEqual(a, b);
  assert.match(await page.textContent('#tabs'), /ops@shell[\s\S]*ops@shell/);

  // Ctrl+PageUp goes back to tab one, and typing reaches its shell only.
  await page.keyboard.press('Control+PageUp');
  await page.waitForFunction(() => window.sshgatePage.tab === window.sshgatePage.tabs.tabs[0]);
  await page.keyboard.type('echo "back-$((1+1))"\r');
  await waitScreen(page, /^back-2$/m, 'tab one again', { tab: 0 });
  assert.doesNotMatch(await screen(page, 1), /back-2/);

  // Closing tab two (its × button) sends SSH_MSG_DISCONNECT: serve logs a normal end.
  const normal = audits('normal');
  await page.click('#tabs .tab[data-tab] >> nth=1 >> .tab-close');
  await until(() => audits('normal') === normal + 1, () => `no clean disconnect in serve's log:\n${shellSrv.log()}`);
  assert.equal(await page.evaluate(() => window.sshgatePage.tabs.tabs.length), 1);
  // Tab one still runs.
  await page.keyboard.type('echo "still-$((2+1))"\r');
  await waitScreen(page, /^still-3$/m, 'tab one after closing tab two');
  // Ctrl+Shift+W closes it too, again cleanly; an empty tab with the form is left.
  await page.keyboard.press('Control+Shift+KeyW');
  await until(() => audits('normal') === normal + 2, () => `no clean disconnect in serve's log:\n${shellSrv.log()}`);
  assert.equal(await page.isVisible('#login'), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('leaving the page ends every session with a clean disconnect (the engine runs in a worker)', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  await page.goto(url);
  await logIn(page);
  await page.click('#new-tab');
  await logIn(page);
  assert.equal(await page.evaluate(() => window.sshgatePage.conn.offThread), true);
  // No question before leaving, so the navigation goes ahead as a closed tab would.
  await page.evaluate(() => (window.sshgatePage.confirmClose = false));
  const normal = audits('normal');
  await page.goto('about:blank');
  await until(() => audits('normal') === normal + 2, () => `leaving the page did not end both sessions cleanly:\n${shellSrv.log()}`);
  // Closing the browser tab itself does the same.
  await page.goto(url);
  await logIn(page);
  await page.evaluate(() => (window.sshgatePage.confirmClose = false));
  await page.close({ runBeforeUnload: true });
  await until(() => audits('normal') === normal + 3, () => `closing the browser tab did not end the session cleanly:\n${shellSrv.log()}`);
});

test('OSC 52 from the device lands in the clipboard; a clipboard read is refused', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
  const page = await context.newPage();
  await page.goto(url);
  await logIn(page);
  await page.click('#terminal');
  await page.evaluate(() => navigator.clipboard.writeText('before'));
  await page.keyboard.type(`printf '\\033]52;c;%s\\a' "$(printf 'from the device ✓' | base64)"; echo; echo done-$((3+4))\r`);
  await waitScreen(page, /^done-7$/m, 'the OSC 52 line');
  await page.waitForFunction(async () => (await navigator.clipboard.readText()) !== 'before');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'from the device ✓');
  assert.match(await page.textContent('#notice'), /copied/);
  // A read request gets no answer (nothing comes back on the shell's input) and a notice.
  await page.keyboard.type(`printf '\\033]52;c;?\\a'; echo asked-$((4+4))\r`);
  await waitScreen(page, /^asked-8$/m, 'the OSC 52 read');
  await page.waitForFunction(() => /refused/.test(document.getElementById('notice').textContent));
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'from the device ✓');
  await context.close();
});

test('the key bar sends arrows (following application cursor mode) and a sticky Ctrl-C', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  await page.goto(url);
  // A desktop pointer: hidden until toggled.
  assert.equal(await page.isVisible('#keybar'), false);
  await page.click('#keybar-toggle');
  assert.equal(await page.isVisible('#keybar'), true);
  await logIn(page);
  await page.click('#terminal');
  await page.keyboard.type('cat -v\r');
  await page.click('#keybar button[data-key="←"]');
  await page.click('#keybar button[data-key="↑"]');
  await page.keyboard.type('\r');
  await waitScreen(page, /^\^\[\[D\^\[\[A$/m, 'normal-mode arrows through cat -v');
  // Sticky Ctrl, then "c" typed: an interrupt, and the shell's prompt comes back.
  await page.click('#keybar button[data-key="Ctrl"]');
  assert.equal(await page.getAttribute('#keybar button[data-key="Ctrl"]', 'aria-pressed'), 'true');
  await page.keyboard.type('c');
  assert.equal(await page.getAttribute('#keybar button[data-key="Ctrl"]', 'aria-pressed'), 'false');
  await page.keyboard.type('echo "rc-$?"\r');
  await waitScreen(page, /^rc-130$/m, 'cat ended by the Ctrl-C');
  // Application cursor mode (DECCKM, as vim or less set it): arrows become SS3.
  await page.keyboard.type("printf '\\033[?1h'; cat -v\r");
  await page.waitForFunction(() => window.sshgatePage.term.modes.applicationCursorKeysMode);
  await page.click('#keybar button[data-key="→"]');
  await page.keyboard.type('\r');
  await waitScreen(page, /^\^\[OC$/m, 'application-mode arrow');
  await page.click('#keybar button[data-key="Ctrl"]');
  await page.keyboard.type('c');
  await page.keyboard.type('echo "again-$?"\r');
  await waitScreen(page, /^again-130$/m, 'second Ctrl-C');
  await page.close();
});

test('deep links pre-fill the form, connect with a kept key, open a tab per target, follow the active tab', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  // Just a user and device: the form is filled in, nothing is sent yet.
  await page.goto(`${url}#ops@shell`);
  await page.waitForFunction(() => document.getElementById('device').value === 'shell');
  assert.equal(await page.inputValue('#user'), 'ops');
  assert.equal(await page.isVisible('#login'), true);
  assert.equal(await page.evaluate(() => window.sshgatePage.tab.state), 'new');
  // A link that tries to inject markup is ignored; nothing from it is in the page.
  await page.goto(`${url}#<img src=x onerror="window.pwned=1">@shell`);
  await page.waitForFunction(() => window.sshgatePage && document.querySelectorAll('#device option').length > 0);
  assert.equal(await page.evaluate(() => Boolean(window.pwned) || document.body.innerHTML.includes('onerror')), false);

  // With a kept key this user logged in with before (as a login with "keep this key in this
  // browser" leaves it), the link logs straight in;
  // a second target gets its own tab, filled in.
  await page.evaluate(async (text) => {
    await window.sshgatePage.store.put('keys', 'user_ed25519', text);
    localStorage.setItem('sshgate.keyFor keyed@shell', 'user_ed25519');
  }, userKey.privateKey);
  await page.goto(`${url}#keyed@shell,ops@shell`);
  await page.waitForSelector('#hostkey[open]');
  await page.click('#hostkey button[value="once"]');
  await page.waitForFunction(() => window.sshgatePage.tabs.tabs.length === 2 && window.sshgatePage.tabs.tabs[0].shell !== null, null, { timeout: 8000 }).catch(async (e) => {
    throw new Error(`${e.message}: ${await page.evaluate(() => JSON.stringify([document.getElementById('message').textContent, window.sshgatePage.tabs.tabs.map((t) => [t.state, t.status])]))}`);
  });
  await page.waitForFunction(() => window.sshgatePage.tab === window.sshgatePage.tabs.tabs[0]);
  await page.click('#terminal');
  await page.keyboard.type('echo "I am $(id -un) linked-$((5+5))"\r');
  await waitScreen(page, /^I am \S+ linked-10$/m, 'the linked session', { tab: 0 });
  assert.equal(new URL(page.url()).hash, '#keyed@shell');
  assert.equal(await page.evaluate(() => window.sshgatePage.tabs.tabs[1].state), 'new');
  // Switching to the second tab fills the form with its target and the address follows.
  await page.keyboard.press('Control+PageDown');
  await page.waitForFunction(() => location.hash === '#ops@shell');
  assert.equal(await page.inputValue('#user'), 'ops');
  assert.equal(await page.isVisible('#login'), true);
  await context.close();
});

test('settings: font size and the key bar apply to the terminals and survive a reload', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.click('#settings-open');
  await page.fill('#set-fontSize', '20');
  await page.press('#set-fontSize', 'Tab');
  await page.selectOption('#set-keyBar', 'on');
  await page.waitForFunction(() => window.sshgatePage.term.options.fontSize === 20);
  assert.equal(await page.isVisible('#keybar'), true);
  await page.click('#settings button[value="close"]');
  await page.reload();
  await page.waitForFunction(() => window.sshgatePage && window.sshgatePage.term);
  assert.equal(await page.evaluate(() => window.sshgatePage.term.options.fontSize), 20);
  assert.equal(await page.isVisible('#keybar'), true);
  // A new tab's terminal gets them too.
  await page.click('#new-tab');
  assert.equal(await page.evaluate(() => window.sshgatePage.term.options.fontSize), 20);
  await context.close();
});
