// Surviving a dropped WebSocket (js/resume.js, docs/resume-protocol.md) through a real
// `sshgate-host bridge` to a private OpenSSH sshd: a test proxy between the package and the bridge
// drops every connection mid-download (and the client side kills its own socket), and the
// 8 MB file arrives byte-exact, the session going on after; the same through serve's own
// WebSocket listener; a reconnect after the grace time ends the connection with 4404; SSH
// keepalives close a connection whose server went silent.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { connect } from '../../pkg/index.js';
import { startSshd, startBridge, startServe, freePort, passwordHash, shellUser, testAccount, text, until } from './harness.mjs';

let sshd;
let bridge;
let shortGrace;
let account;
let file;
let content;
let key;

/** A TCP proxy to `port` that can drop every connection, refuse new ones, or go silent. */
function proxy(port) {
  const socks = new Set();
  const p = { blocked: false, frozen: false, connections: 0 };
  const server = net.createServer((c) => {
    if (p.blocked) return void c.destroy();
    p.connections += 1;
    const b = net.connect(port, '127.0.0.1');
    socks.add(c).add(b);
    c.on('data', (d) => p.frozen || b.write(d));
    b.on('data', (d) => p.frozen || c.write(d));
    const end = () => {
      for (const s of [c, b]) {
        s.destroy();
        socks.delete(s);
      }
    };
    for (const s of [c, b]) {
      s.on('close', end);
      s.on('error', () => {});
    }
  });
  p.ready = new Promise((r) => server.listen(0, '127.0.0.1', () => r()));
  p.url = (name) => `ws://127.0.0.1:${server.address().port}/ssh/${name}`;
  p.drop = () => {
    for (const s of socks) s.destroy();
  };
  p.close = () => {
    p.drop();
    server.close();
  };
  return p;
}

before(async () => {
  account = testAccount();
  // A key, not the account's password: other test files running meanwhile set a new one.
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-resume-key-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, 'id')]);
  key = readFileSync(path.join(keyDir, 'id'), 'utf8');
  sshd = await startSshd(readFileSync(path.join(keyDir, 'id.pub'), 'utf8').trim());
  bridge = await startBridge({ sshd: `127.0.0.1:${sshd.port}` });
  shortGrace = await startBridge({ sshd: `127.0.0.1:${sshd.port}` }, ['--resume-grace', '1']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-resume-'));
  chmodSync(dir, 0o755);
  file = path.join(dir, 'download.bin');
  content = randomBytes(8 << 20);
  writeFileSync(file, content, { mode: 0o644 });
});

after(() => {
  bridge && bridge.stop();
  shortGrace && shortGrace.stop();
  sshd && sshd.stop();
});

const sha = (b) => createHash('sha256').update(b).digest('hex');

/** Connects through `url`, recording every WebSocket the package opens. */
async function open(url, extra = {}) {
  const sockets = [];
  class Tracked extends WebSocket {
    constructor(...a) {
      super(...a);
      sockets.push(this);
    }
  }
  const events = [];
  const c = await connect({
    websocket: url,
    resume: { WebSocket: Tracked },
    username: account.user,
    auth: [{ type: 'publickey', privateKey: key }],
    hostKey: (info) => info.publicKey === sshd.hostKey,
    ...extra,
  });
  c.on('reconnecting', (i) => events.push(['reconnecting', i]));
  c.on('resumed', (i) => events.push(['resumed', i]));
  return { c, sockets, events };
}

/** `cat`s the file; calls `cut(received)` as bytes arrive; resolves to the bytes. */
async function download(c, cut) {
  const s = c.openSession();
  const parts = [];
  let n = 0;
  let done = false;
  s.onData((d) => {
    parts.push(d.slice());
    n += d.length;
    if (!done && cut(n)) done = true;
  });
  await s.opened;
  await s.exec(`cat ${file}`);
  await s.exited;
  return Buffer.concat(parts);
}

test('the proxy drops the WebSocket twice mid-download: byte-exact, and the session goes on', async () => {
  const p = proxy(bridge.port);
  await p.ready;
  const { c, sockets, events } = await open(p.url('sshd'));
  assert.equal(sockets[0].protocol, 'sshgate.resume.v1', 'the bridge accepted resume');
  let cuts = 0;
  const got = await download(c, (n) => {
    if ((cuts === 0 && n > 2 << 20) || (cuts === 1 && n > 5 << 20)) {
      cuts += 1;
      p.drop();
    }
    return cuts === 2;
  });
  assert.equal(cuts, 2);
  assert.equal(got.length, content.length);
  assert.equal(sha(got), sha(content), 'byte-exact');
  assert.equal(events.filter(([e]) => e === 'resumed').length, 2, JSON.stringify(events));
  assert.ok(p.connections >= 3, 'reconnected through the proxy');
  const r = await c.exec('echo still here');
  assert.equal(text(r.stdout), 'still here\n');
  await c.close();
  await until(() => /resumes=2 ended="client_closed"/.test(bridge.log()), () => bridge.log());
  p.close();
});

test('the client kills its own socket mid-download: byte-exact', async () => {
  const { c, sockets, events } = await open(bridge.url('sshd'));
  let killed = false;
  const got = await download(c, (n) => {
    if (!killed && n > 3 << 20) {
      killed = true;
      sockets.at(-1).terminate();
    }
    return killed;
  });
  assert.equal(sha(got), sha(content), 'byte-exact');
  assert.ok(sockets.length >= 2, 'a second socket');
  assert.ok(events.some(([e]) => e === 'resumed'), JSON.stringify(events));
  await c.close();
});

test('a reconnect after the grace time ends the connection with 4404', async () => {
  const p = proxy(shortGrace.port);
  await p.ready;
  const { c, events } = await open(p.url('sshd'));
  const closed = new Promise((r) => c.on('close', r));
  // Dropped, and every reconnect refused until the bridge's 1 s grace is long over.
  p.blocked = true;
  p.drop();
  await new Promise((r) => setTimeout(r, 2500));
  p.blocked = false;
  const why = await closed;
  assert.equal(why.code, 'BRIDGE_CLOSED');
  assert.match(why.message, /4404/);
  assert.ok(events.some(([e]) => e === 'reconnecting'));
  assert.ok(!events.some(([e]) => e === 'resumed'));
  p.close();
  await until(() => /resume_expired/.test(shortGrace.log()), () => shortGrace.log());
});

test('resume: false keeps the plain protocol', async () => {
  const c = await connect({
    websocket: bridge.url('sshd'),
    resume: false,
    username: account.user,
    auth: [{ type: 'publickey', privateKey: key }],
    hostKey: (info) => info.publicKey === sshd.hostKey,
  }).catch((e) => e);
  // Node 20 has no global WebSocket: `resume: false` with a URL needs one.
  if (globalThis.WebSocket) {
    const r = await c.exec('echo plain');
    assert.equal(text(r.stdout), 'plain\n');
    await c.close();
  } else assert.match(String(c.message || c), /WebSocket/);
});

test('keepalive: a server gone silent is closed after keepaliveCountMax unanswered', async () => {
  const p = proxy(bridge.port);
  await p.ready;
  const { c } = await open(p.url('sshd'), { keepalive: 1, keepaliveCountMax: 2 });
  const closed = new Promise((r) => c.on('close', r));
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(c.closed, false, 'answered keepalives keep it open');
  p.frozen = true;
  const why = await closed;
  assert.equal(why.code, 'KEEPALIVE_TIMEOUT');
  p.close();
});

test("serve's WebSocket listener resumes too: byte-exact after a drop", async () => {
  const wsPort = await freePort();
  const srv = await startServe(
    [{ name: 'ops', password_hash: passwordHash('pw'), ...shellUser() }],
    `[websocket]\nlisten = ["127.0.0.1:${wsPort}"]\n`,
  );
  const p = proxy(wsPort);
  await p.ready;
  try {
    const events = [];
    const c = await connect({
      websocket: p.url('router1'),
      resume: { WebSocket },
      username: 'ops',
      auth: [{ type: 'password', password: 'pw' }],
      hostKey: (info) => info.publicKey === srv.hostKey.split(' ').slice(0, 2).join(' '),
    });
    c.on('resumed', (i) => events.push(i));
    let cut = false;
    const got = await download(c, (n) => {
      if (!cut && n > 2 << 20) {
        cut = true;
        p.drop();
      }
      return cut;
    });
    assert.equal(sha(got), sha(content), 'byte-exact');
    assert.equal(events.length, 1);
    const r = await c.exec('echo still here');
    assert.equal(text(r.stdout), 'still here\n');
    await c.close();
  } finally {
    p.close();
    srv.stop();
  }
});
