// Jump hosts in the npm package (pkg/, built by scripts/build-pkg.sh): `conn.forwardOut` (a
// direct-tcpip channel) through `sshgate-host bridge` to a private OpenSSH sshd, to a TCP echo
// server on loopback, byte-exact both ways with the windows in the way; and `connect({ jump })`
// through one and two OpenSSH sshd bastions to `sshgate-host serve`, running a command on it,
// each hop's host key checked with its own policy (a wrong one names the hop), and the chain
// torn down from either end.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';
import { connect, init, knownHostsEntry } from '../../pkg/index.js';
import { startServe, startSshd, startBridge, testAccount, passwordHash, shellUser, text, until } from './harness.mjs';

const PW = 'js-jump-password';
let account;
let bastion;
let inner;
let srv;
let bridge;
let echo;
let echoPort;
const echoSeen = { eof: 0 };

before(async () => {
  await init();
  account = testAccount();
  // sshd's default allows forwarding; said here so the test does not hang on a distro default.
  bastion = await startSshd('', ['AllowTcpForwarding yes']);
  inner = await startSshd('', ['AllowTcpForwarding yes']);
  srv = await startServe([{ name: 'ops', password_hash: passwordHash(PW), ...shellUser() }]);
  bridge = await startBridge({ bastion: `127.0.0.1:${bastion.port}` });
  // An echo server that says when the client's EOF came, after echoing everything before it.
  echo = net.createServer((s) => {
    s.on('data', (d) => s.write(d));
    s.on('end', () => {
      echoSeen.eof += 1;
      s.end();
    });
    s.on('error', () => {});
  });
  await new Promise((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = echo.address().port;
});

after(() => {
  bridge && bridge.stop();
  bastion && bastion.stop();
  inner && inner.stop();
  srv && srv.stop();
  echo && echo.close();
});

const sshdLogin = (sshd) => ({
  username: account.user,
  auth: [{ type: 'password', password: account.password }],
  hostKey: (info) => info.publicKey === sshd.hostKey,
});
const serveKey = () => srv.hostKey.split(' ').slice(0, 2).join(' ');
const serveLogin = () => ({
  username: 'ops',
  auth: [{ type: 'password', password: PW }],
  // known_hosts text, looked up under the destination's own host:port.
  hostKey: knownHostsEntry('127.0.0.1', srv.port, serveKey()),
});

test('forwardOut: a direct-tcpip channel through sshd echoes 4 MiB byte-exact, with EOF and close', async () => {
  const c = await connect({ websocket: new WebSocket(bridge.url('bastion')), ...sshdLogin(bastion) });
  const ch = await c.forwardOut('127.0.0.1', echoPort);
  const sent = randomBytes(4 * 1024 * 1024);
  const got = createHash('sha256');
  let n = 0;
  let slow = 0;
  // A reader that takes its time on some chunks: the window is given back only after it.
  ch.onData(async (d) => {
    got.update(d);
    n += d.length;
    if (++slow % 16 === 0) await new Promise((r) => setTimeout(r, 5));
  });
  let ended = false;
  ch.onEnd(() => (ended = true));
  const eofBefore = echoSeen.eof;
  // Writes resolve once the window took them: more than a window's worth must wait for the echo.
  for (let o = 0; o < sent.length; o += 256 * 1024) await ch.write(sent.subarray(o, o + 256 * 1024));
  assert.equal(ch.pending, 0);
  await ch.end();
  await until(() => ended, () => `no EOF from the echo server after ${n} bytes`);
  assert.equal(n, sent.length);
  assert.equal(got.digest('hex'), createHash('sha256').update(sent).digest('hex'));
  assert.equal(echoSeen.eof, eofBefore + 1, 'the echo server saw our EOF');
  assert.equal(await ch.closed, null);
  // The channel is gone; the connection goes on.
  await assert.rejects(ch.write('x'), (e) => e.code === 'CHANNEL_CLOSED');
  const r = await c.exec('echo still here');
  assert.equal(text(r.stdout), 'still here\n');
  await c.close();
});

test('forwardOut to a closed port is CHANNEL_REFUSED naming the target; the connection goes on', async () => {
  const c = await connect({ websocket: new WebSocket(bridge.url('bastion')), ...sshdLogin(bastion) });
  const closed = await new Promise((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });
  await assert.rejects(c.forwardOut('127.0.0.1', closed), (e) => e.code === 'CHANNEL_REFUSED' && e.message.includes(`127.0.0.1:${closed}`));
  assert.equal(c.closed, false);
  const ch = await c.forwardOut('127.0.0.1', echoPort);
  const back = new Promise((r) => ch.onData((d) => r(text(d))));
  await ch.write('ping');
  assert.equal(await back, 'ping');
  await c.close();
  // The connection's end is the channel's.
  assert.notEqual(await ch.closed, undefined);
});

test('jump: through an sshd bastion to serve; the command runs on the destination', async () => {
  const c = await connect({
    websocket: new WebSocket(bridge.url('bastion')),
    jump: [sshdLogin(bastion)],
    host: '127.0.0.1',
    port: srv.port,
    ...serveLogin(),
  });
  assert.match(c.serverVersion, /sshgate/i);
  assert.equal(c.via.length, 1);
  assert.match(c.via[0].serverVersion, /OpenSSH/);
  const r = await c.exec('echo "on $(hostname) as $(id -un)"; exit 7');
  assert.match(text(r.stdout), /^on .+ as /);
  assert.equal(r.code, 7);
  // The bastion authenticated us, and serve saw a connection (from the bastion, on loopback).
  assert.match(bastion.log(), new RegExp(`Accepted password for ${account.user}`));
  assert.match(srv.log(), /connection accepted/);
  const hopClosed = new Promise((r) => c.via[0].on('close', r));
  await c.close();
  // Closing the destination tears the chain down.
  await hopClosed;
  assert.equal(c.via[0].closed, true);
});

test('jump: a wrong host key at the second hop (the destination) fails naming it', async () => {
  const wrong = knownHostsEntry('127.0.0.1', srv.port, bastion.hostKey);
  const err = await connect({
    websocket: new WebSocket(bridge.url('bastion')),
    jump: [sshdLogin(bastion)],
    host: '127.0.0.1',
    port: srv.port,
    ...serveLogin(),
    hostKey: wrong,
  }).then(
    () => null,
    (e) => e,
  );
  assert.ok(err, 'connect must refuse the destination');
  assert.equal(err.code, 'HOST_KEY_MISMATCH', err.message);
  assert.equal(err.hop, 2);
  assert.equal(err.hopHost, `127.0.0.1:${srv.port}`);
  assert.match(err.message, new RegExp(`^destination 127\\.0\\.0\\.1:${srv.port} via bastion: the host key of 127\\.0\\.0\\.1`));
});

test('jump: a wrong host key at jump host 2 fails naming it, and nothing reaches the destination', async () => {
  const before = srv.log().length;
  const err = await connect({
    websocket: new WebSocket(bridge.url('bastion')),
    jump: [sshdLogin(bastion), { ...sshdLogin(inner), host: '127.0.0.1', port: inner.port, hostKey: () => false }],
    host: '127.0.0.1',
    port: srv.port,
    ...serveLogin(),
  }).then(
    () => null,
    (e) => e,
  );
  assert.ok(err, 'connect must refuse jump host 2');
  assert.equal(err.code, 'HOST_KEY_REJECTED', err.message);
  assert.equal(err.hop, 2);
  assert.match(err.message, new RegExp(`^jump host 2 \\(127\\.0\\.0\\.1:${inner.port}\\): host key SHA256:`));
  assert.doesNotMatch(srv.log().slice(before), /connection accepted/);
});

test('jump: two bastions to serve; closing the outer hop ends everything inside it', async () => {
  const c = await connect({
    websocket: new WebSocket(bridge.url('bastion')),
    jump: [sshdLogin(bastion), { ...sshdLogin(inner), host: '127.0.0.1', port: inner.port }],
    host: '127.0.0.1',
    port: srv.port,
    ...serveLogin(),
  });
  assert.equal(c.via.length, 2);
  assert.equal(c.via[1].hostKey.publicKey, inner.hostKey);
  const r = await c.exec('echo two hops');
  assert.equal(text(r.stdout), 'two hops\n');
  const shell = await c.shell({ cols: 80, rows: 24 });
  let out = '';
  shell.onData((d) => (out += text(d)));
  shell.write('echo marker-$((6*7))\n');
  await until(() => out.includes('marker-42'), () => `no shell output through two hops: ${JSON.stringify(out)}`);
  const why = new Promise((r) => c.on('close', r));
  await c.via[0].close();
  const reason = await why;
  assert.equal(reason.code, 'HOP_CLOSED', JSON.stringify(reason));
  assert.match(reason.message, /jump host \d/);
  await until(() => c.via[1].closed && c.closed, () => 'the inner hop stayed open');
  await shell.exited;
});

test('jump: bad options are BAD_OPTIONS before anything connects', async () => {
  // A URL, not a socket: nothing may be opened for options that are wrong.
  const base = { websocket: bridge.url('bastion'), ...serveLogin() };
  await assert.rejects(connect({ ...base, jump: [sshdLogin(bastion)] }), (e) => e.code === 'BAD_OPTIONS' && /host/.test(e.message));
  await assert.rejects(connect({ ...base, host: 'x', jump: [] }), (e) => e.code === 'BAD_OPTIONS');
  await assert.rejects(connect({ ...base, host: 'x', jump: [sshdLogin(bastion), sshdLogin(inner)] }), (e) => e.code === 'BAD_OPTIONS' && /jump\[1\]\.host/.test(e.message));
});
