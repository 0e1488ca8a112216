// The page's file panel in Chromium (playwright-core) against `sshgate-host serve` behind the
// demo's bridge: SFTP (upload a random file through the picker, see it listed, check its bytes
// on the device's disk, download it back as a Blob download and compare), and a device with
// SFTP off, where the panel falls back to legacy SCP for both directions.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { hostBin, freePort, startServe, startSshd, testAccount, passwordHash, until } from '../../js/test/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'www/dist');
const PW = 'files-page-pw';

let demo;
let demoLog = '';
let sftpSrv;
let sshd;
let account;
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';
let scpSrv;
let sftpRoot;
let scpRoot;
let browser;
let url;
let tmp;

const sha = (b) => createHash('sha256').update(b).digest('hex');

async function serveWithFiles(sftp) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-page-files-'));
  const srv = await startServe(
    [{ name: 'lab', privilege: 15, password_hash: passwordHash(PW) }],
    `\n[files]\nroot = "${dir}/%u"\n\n[scp]\nenable = true\n\n[sftp]\nenable = ${sftp}\n`,
  );
  return { srv, root: path.join(dir, 'lab') };
}

before(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('www/dist is not built (npm run build)');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)`);
  ({ srv: sftpSrv, root: sftpRoot } = await serveWithFiles(true));
  ({ srv: scpSrv, root: scpRoot } = await serveWithFiles(false));
  // OpenSSH's own sftp-server, behind a private sshd, logged into as the test account.
  if (!existsSync(SFTP_SERVER)) throw new Error(`${SFTP_SERVER} is missing (openssh-sftp-server)`);
  account = testAccount();
  sshd = await startSshd('', [`Subsystem sftp ${SFTP_SERVER}`]);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sshgate-page-files-local-'));
  const dataDir = path.join(tmp, 'demo');
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  demo = spawn(
    hostBin,
    ['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--static', dist, '--target', `files=127.0.0.1:${sftpSrv.port}`, '--target', `scponly=127.0.0.1:${scpSrv.port}`, '--target', `opensshd=127.0.0.1:${sshd.port}`],
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
  if (sftpSrv) sftpSrv.stop();
  if (scpSrv) scpSrv.stop();
  if (sshd) sshd.stop();
});

async function logIn(page, device, user = 'lab', password = PW) {
  await page.goto(url);
  await page.waitForFunction((d) => [...document.querySelectorAll('#device option')].some((o) => o.value === d), device);
  await page.selectOption('#device', device);
  await page.fill('#user', user);
  await page.selectOption('#method', 'password');
  await page.fill('#password', password);
  await page.click('#connect');
  await page.waitForSelector('#hostkey[open]');
  await page.click('#hostkey button[value="once"]');
  await page.waitForFunction(() => window.sshgatePage.shell !== null && document.getElementById('login').hidden);
  // A Blob download (the File System Access API would open a native dialog).
  await page.evaluate(() => delete window.showSaveFilePicker);
}

/** The last transfer row's state once it has one. */
const lastTransfer = (page) =>
  page.waitForFunction(() => {
    const rows = document.querySelectorAll('.files-transfer');
    const r = rows[rows.length - 1];
    return r && r.dataset.state ? `${r.dataset.state}: ${r.textContent}` : false;
  }, null, { timeout: 60000 }).then((h) => h.jsonValue());

test('the file panel uploads through the picker and downloads over SFTP, byte-exact', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await logIn(page, 'files');
  await page.click('#files-toggle');
  await page.waitForSelector('#files .files-crumb');
  const data = randomBytes(3 * 1024 * 1024 + 11);
  const local = path.join(tmp, 'upload.bin');
  writeFileSync(local, data);
  await page.setInputFiles('#files-upload', local);
  assert.match(await lastTransfer(page), /^done/);
  assert.equal(sha(readFileSync(path.join(sftpRoot, 'upload.bin'))), sha(data));
  await page.waitForSelector('#files button.files-file[data-name="upload.bin"]');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#files button.files-file[data-name="upload.bin"]')]);
  const saved = path.join(tmp, 'downloaded.bin');
  await download.saveAs(saved);
  assert.equal(download.suggestedFilename(), 'upload.bin');
  assert.equal(sha(readFileSync(saved)), sha(data));
  assert.match(await lastTransfer(page), /^done/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('without SFTP the panel falls back to SCP both ways', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await logIn(page, 'scponly');
  await page.click('#files-toggle');
  await page.waitForSelector('#files-scp-dir');
  await page.fill('#files-scp-dir', '/');
  const data = randomBytes(1024 * 1024 + 5);
  const local = path.join(tmp, 'viascp.bin');
  writeFileSync(local, data);
  await page.setInputFiles('#files-upload', local);
  assert.match(await lastTransfer(page), /^done/);
  assert.equal(sha(readFileSync(path.join(scpRoot, 'viascp.bin'))), sha(data));
  await page.fill('#files-scp-path', '/viascp.bin');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#files .files-scp button')]);
  const saved = path.join(tmp, 'viascp-back.bin');
  await download.saveAs(saved);
  assert.equal(sha(readFileSync(saved)), sha(data));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the panel makes a folder, renames and deletes (asking first); a cancelled upload leaves no file', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The prompts answer in order; a confirm is accepted, except the one named `keep`.
  const answers = ['made-here', 'renamed.txt'];
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    if (d.type() === 'prompt') d.accept(answers.shift());
    else if (d.message().includes('keep')) d.dismiss();
    else d.accept();
  });
  writeFileSync(path.join(sftpRoot, 'note.txt'), 'hello\n');
  writeFileSync(path.join(sftpRoot, 'keep.txt'), 'stays\n');
  await logIn(page, 'files');
  await page.click('#files-toggle');
  await page.waitForSelector('#files button.files-file[data-name="note.txt"]');

  await page.click('#files-mkdir');
  await page.waitForSelector('#files button.files-dir[data-name="made-here"]');
  assert.ok(existsSync(path.join(sftpRoot, 'made-here')));

  await page.click('#files button.files-rename[data-name="note.txt"]');
  await page.waitForSelector('#files button.files-file[data-name="renamed.txt"]');
  assert.equal(readFileSync(path.join(sftpRoot, 'renamed.txt'), 'utf8'), 'hello\n');
  assert.ok(!existsSync(path.join(sftpRoot, 'note.txt')));

  await page.click('#files button.files-delete[data-name="renamed.txt"]');
  await page.waitForFunction(() => !document.querySelector('#files button.files-file[data-name="renamed.txt"]'));
  assert.ok(!existsSync(path.join(sftpRoot, 'renamed.txt')));
  await page.click('#files button.files-delete[data-name="made-here"]');
  await page.waitForFunction(() => !document.querySelector('#files button.files-dir[data-name="made-here"]'));
  assert.ok(!existsSync(path.join(sftpRoot, 'made-here')));
  // Dismissed: the file stays.
  await page.click('#files button.files-delete[data-name="keep.txt"]');
  await page.click('#files-refresh');
  await page.waitForSelector('#files button.files-file[data-name="keep.txt"]');
  assert.ok(existsSync(path.join(sftpRoot, 'keep.txt')));
  assert.deepEqual(dialogs, [
    'prompt: New folder name',
    'prompt: Rename note.txt to',
    'confirm: Delete renamed.txt?',
    'confirm: Delete the empty folder made-here?',
    'confirm: Delete keep.txt?',
  ]);

  // Cancel while the upload runs: the row says so and the partial file is removed.
  const big = path.join(tmp, 'big.bin');
  writeFileSync(big, randomBytes(96 * 1024 * 1024));
  await page.setInputFiles('#files-upload', big);
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('.files-transfer');
    const bar = rows[rows.length - 1] && rows[rows.length - 1].querySelector('progress');
    return bar && bar.value > 0;
  });
  await page.click('.files-transfer:last-child button');
  assert.match(await lastTransfer(page), /^failed: .*cancelled/);
  await until(() => !existsSync(path.join(sftpRoot, 'big.bin')), () => 'the cancelled upload left big.bin behind');
  assert.deepEqual(errors, []);
  await page.close();
});

test("the file panel against OpenSSH's sftp-server: upload and download byte-exact", async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await logIn(page, 'opensshd', account.user, account.password);
  await page.click('#files-toggle');
  await page.waitForSelector('#files .files-crumb');
  // The panel opens at the account's home (sftp-server's realpath of ".").
  const home = execFileSync('getent', ['passwd', account.user], { encoding: 'utf8' }).split(':')[5];
  assert.match(await page.textContent('#files .files-crumbs'), new RegExp(path.basename(home)));
  const data = randomBytes(2 * 1024 * 1024 + 3);
  const local = path.join(tmp, 'to-openssh.bin');
  writeFileSync(local, data);
  await page.setInputFiles('#files-upload', local);
  assert.match(await lastTransfer(page), /^done/);
  const remote = path.join(home, 'to-openssh.bin');
  try {
    assert.equal(sha(readFileSync(remote)), sha(data));
    await page.waitForSelector('#files button.files-file[data-name="to-openssh.bin"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#files button.files-file[data-name="to-openssh.bin"]')]);
    const saved = path.join(tmp, 'from-openssh.bin');
    await download.saveAs(saved);
    assert.equal(sha(readFileSync(saved)), sha(data));
  } finally {
    rmSync(remote, { force: true });
  }
  assert.deepEqual(errors, []);
  await page.close();
});
