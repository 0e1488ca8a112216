// conn.sftp() through `sshgate-host bridge` to a private OpenSSH sshd whose `sftp` subsystem is
// OpenSSH's own sftp-server: a multi-MB random file round trip (sha256), directory operations,
// typed errors with the SFTP status code, backpressure of createReadStream, and a cancelled
// upload removing its partial file. Legacy SCP (conn.scpGet/scpPut over `scp -f`/`scp -t`)
// against the same sshd (OpenSSH's scp as the remote side). The same SFTP and SCP clients
// against `sshgate-host serve` ([files] root, [sftp] and [scp] enabled).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { connect, SftpError } from '../../pkg/index.js';
import { startSshd, startBridge, startServe, passwordHash, testAccount } from './harness.mjs';

const SFTP_SERVER = '/usr/lib/openssh/sftp-server';
let sshd;
let bridge;
let account;
let dir;
let srv;
let filesDir;
const PW = 'files-test-pw';

before(async () => {
  if (!existsSync(SFTP_SERVER)) throw new Error(`${SFTP_SERVER} is missing (openssh-sftp-server)`);
  account = testAccount();
  sshd = await startSshd('', [`Subsystem sftp ${SFTP_SERVER}`]);
  filesDir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-serve-files-'));
  srv = await startServe(
    [{ name: 'lab', privilege: 15, password_hash: passwordHash(PW) }],
    `\n[files]\nroot = "${filesDir}/%u"\n\n[scp]\nenable = true\n\n[sftp]\nenable = true\n`,
  );
  bridge = await startBridge({ sshd: `127.0.0.1:${sshd.port}`, router1: `127.0.0.1:${srv.port}` });
  // A directory the test account may write into.
  dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-sftp-'));
  chmodSync(dir, 0o777);
});

after(() => {
  bridge && bridge.stop();
  sshd && sshd.stop();
  srv && srv.stop();
});

const openServe = () =>
  connect({
    websocket: new WebSocket(bridge.url('router1')),
    username: 'lab',
    auth: [{ type: 'password', password: PW }],
    hostKey: (info) => info.publicKey === srv.hostKey.split(' ').slice(0, 2).join(' '),
  });

const open = () =>
  connect({
    websocket: new WebSocket(bridge.url('sshd')),
    username: account.user,
    auth: [{ type: 'password', password: account.password }],
    hostKey: (info) => info.publicKey === sshd.hostKey,
  });

const sha = (b) => createHash('sha256').update(b).digest('hex');

test('sftp: a 5 MB random file up and down, byte-exact', async () => {
  const c = await open();
  const sftp = await c.sftp();
  const data = new Uint8Array(randomBytes(5 * 1024 * 1024 + 123));
  const file = path.join(dir, 'big.bin');
  let progress = 0;
  await sftp.put(file, data, { onProgress: (n) => (progress = n) });
  assert.equal(progress, data.length);
  assert.equal(sha(readFileSync(file)), sha(data));
  const back = await sftp.get(file);
  assert.equal(back.length, data.length);
  assert.equal(sha(back), sha(data));
  assert.equal((await sftp.stat(file)).size, data.length);
  await c.close();
});

test('sftp: mkdir, readdir, rename, remove, rmdir, realpath, lstat', async () => {
  const c = await open();
  const sftp = await c.sftp();
  const d = path.join(dir, 'sub');
  await sftp.mkdir(d);
  assert.ok((await sftp.stat(d)).isDirectory);
  await sftp.put(path.join(d, 'a.txt'), 'hello');
  await sftp.rename(path.join(d, 'a.txt'), path.join(d, 'b.txt'));
  const names = (await sftp.readdir(d)).map((e) => e.filename);
  assert.deepEqual(names, ['b.txt']);
  const st = await sftp.lstat(path.join(d, 'b.txt'));
  assert.equal(st.size, 5);
  assert.ok(st.isFile);
  assert.equal(await sftp.realpath(path.join(d, '..', 'sub')), d);
  assert.equal(new TextDecoder().decode(await sftp.get(path.join(d, 'b.txt'))), 'hello');
  await sftp.remove(path.join(d, 'b.txt'));
  await sftp.rmdir(d);
  assert.ok(!existsSync(d));
  await c.close();
});

test('sftp: a missing file is a typed error with the SFTP status code', async () => {
  const c = await open();
  const sftp = await c.sftp();
  await assert.rejects(sftp.stat(path.join(dir, 'nope')), (e) => e instanceof SftpError && e.code === 'NO_SUCH_FILE' && e.status === 2);
  await assert.rejects(sftp.get(path.join(dir, 'nope')), (e) => e.code === 'NO_SUCH_FILE');
  await assert.rejects(sftp.rmdir(path.join(dir, 'nope')), (e) => e.code === 'NO_SUCH_FILE');
  // The session is still usable after an error.
  assert.equal(await sftp.realpath(dir), dir);
  await c.close();
});

test('sftp: a reader that stops pulling keeps the READs in flight bounded', async () => {
  const c = await open();
  const sftp = await c.sftp();
  const file = path.join(dir, 'slow.bin');
  await sftp.put(file, new Uint8Array(8 * 1024 * 1024));
  const before = sftp.nextId;
  const reader = sftp.createReadStream(file, { inFlight: 4 }).getReader();
  await reader.read();
  // Give the server time to answer everything asked for; nothing more may be asked.
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(sftp.pending.size <= 4, `${sftp.pending.size} READs in flight`);
  // OPEN, the first 4 READs and the one that replaced the chunk handed out.
  assert.ok(sftp.nextId - before <= 6, `${sftp.nextId - before} requests sent for one chunk read`);
  await reader.cancel();
  await c.close();
});

test('sftp: an aborted upload removes its partial file', async () => {
  const c = await open();
  const sftp = await c.sftp();
  const file = path.join(dir, 'partial.bin');
  const w = sftp.createWriteStream(file).getWriter();
  await w.write(new Uint8Array(100000));
  await w.abort(new Error('cancelled'));
  assert.ok(!existsSync(file));
  await c.close();
});

test('scp: a 3 MB random file up and down through sshd (scp -t / scp -f)', async () => {
  const c = await open();
  const data = new Uint8Array(randomBytes(3 * 1024 * 1024 + 7));
  const file = path.join(dir, "scp it's.bin");
  let progress = 0;
  await c.scpPut(file, data, { mode: 0o600 });
  assert.equal(sha(readFileSync(file)), sha(data));
  const back = await c.scpGet(file, { onProgress: (n) => (progress = n) });
  assert.equal(progress, data.length);
  assert.equal(sha(back), sha(data));
  await assert.rejects(c.scpGet(path.join(dir, 'nope')), (e) => e instanceof SftpError && /No such file/.test(e.message));
  await c.close();
});

test('serve: SFTP round trip, directory operations and errors in the user\'s root', async () => {
  const c = await openServe();
  const sftp = await c.sftp();
  const data = new Uint8Array(randomBytes(2 * 1024 * 1024 + 5));
  await sftp.mkdir('/d');
  await sftp.put('/d/f.bin', data);
  assert.equal(sha(readFileSync(path.join(filesDir, 'lab/d/f.bin'))), sha(data));
  assert.equal(sha(await sftp.get('/d/f.bin')), sha(data));
  assert.deepEqual((await sftp.readdir('/d')).map((e) => e.filename), ['f.bin']);
  await sftp.rename('/d/f.bin', '/d/g.bin');
  assert.equal((await sftp.stat('/d/g.bin')).size, data.length);
  await assert.rejects(sftp.stat('/d/f.bin'), (e) => e instanceof SftpError && e.code === 'NO_SUCH_FILE');
  await sftp.remove('/d/g.bin');
  await sftp.rmdir('/d');
  await c.close();
});

test('serve: SCP round trip', async () => {
  const c = await openServe();
  const data = new Uint8Array(randomBytes(1024 * 1024 + 3));
  await c.scpPut('/s.bin', data);
  assert.equal(sha(readFileSync(path.join(filesDir, 'lab/s.bin'))), sha(data));
  assert.equal(sha(await c.scpGet('/s.bin')), sha(data));
  await assert.rejects(c.scpGet('/missing.bin'), (e) => e instanceof SftpError);
  await c.close();
});
