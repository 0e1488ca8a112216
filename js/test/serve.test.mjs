// The npm package (pkg/, built by scripts/build-pkg.sh) through `sshgate-host bridge` (real
// WebSockets from the `ws` package) to `sshgate-host serve`: every authentication method, the
// expired-password change, a certificate entry the server cannot take, exec and shell
// sessions, host-key refusals before any credential, the bridge's refusal, and 100 MiB through
// a channel checked end to end (certificate login: certificate.test.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { connect, init, knownHostsEntry, privateKeyInfo } from '../../pkg/index.js';
import { startServe, startBridge, passwordHash, keygen, pkiDir, shellUser, text, until, withoutAudit } from './harness.mjs';

const PW = 'js-test-password';
let srv;
let bridge;
let key;
let pemKey;
let otherKey;

before(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-keys-'));
  key = keygen(dir, 'user_ed25519');
  otherKey = keygen(dir, 'other_ed25519').publicKey.split(' ').slice(0, 2).join(' ');
  // An RSA key in PEM (PKCS#8, encrypted) as openssl writes it: the engine reads every format.
  const pem = path.join(dir, 'user_rsa.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-aes-256-cbc', '-pass', 'pass:kp', '-out', pem], { stdio: 'pipe' });
  pemKey = readFileSync(pem, 'utf8');
  await init();
  const pemPublic = privateKeyInfo(pemKey, 'kp').publicKey;
  const hash = passwordHash(PW);
  srv = await startServe(
    [
      { name: 'lab', privilege: 15, password_hash: hash, authorized_keys: [key.publicKey, pemPublic] },
      { name: 'ops', password_hash: hash, ...shellUser() },
      { name: 'old', password_hash: hash, password_expired: true },
      { name: 'old2', password_hash: hash, password_expired: true },
    ],
    'banner = "lab device: authorised use only\\n"',
  );
  bridge = await startBridge({ router1: `127.0.0.1:${srv.port}`, nowhere: '127.0.0.1:9' });
});

after(() => {
  bridge && bridge.stop();
  srv && srv.stop();
});

const serveKey = () => srv.hostKey.split(' ').slice(0, 2).join(' ');
const trustServe = (info) => info.publicKey === serveKey();
const ws = (name = 'router1') => new WebSocket(bridge.url(name));

function open(username, auth, extra = {}) {
  return connect({ websocket: ws(), username, auth, hostKey: trustServe, ...extra });
}

test('password login through the bridge: exec of device commands, events', async () => {
  const banners = [];
  const c = await open('lab', [{ type: 'password', password: PW }], { onBanner: (b) => banners.push(b) });
  assert.match(banners.join(''), /authorised use only/);
  assert.match(c.serverVersion, /^SSH-2\.0-/);
  assert.ok(c.algorithms.kex && c.algorithms.cipherClientToServer && c.algorithms.hostKey === 'ssh-ed25519');
  assert.match(c.hostKey.fingerprint, /^SHA256:/);
  const r = await c.exec('show ip ssh');
  assert.equal(r.code, 0);
  assert.match(text(r.stdout), /SSH Enabled - version 2\.0/);
  const bad = await c.exec('show bogus');
  assert.equal(bad.code, 1);
  assert.match(text(bad.stdout), /% Invalid input detected/);
  const closed = new Promise((res) => c.on('close', res));
  await c.close();
  const why = await closed;
  assert.equal(why.code, 'CLOSED_LOCALLY');
});

test('public key login: OpenSSH ed25519 and an encrypted PEM RSA key', async () => {
  const c = await open('lab', [{ type: 'publickey', privateKey: key.privateKey }]);
  assert.match(text((await c.exec('show users')).stdout), /lab/);
  await c.close();
  const p = await open('lab', [{ type: 'key', privateKey: pemKey, passphrase: 'kp' }]);
  assert.match(text((await p.exec('show users')).stdout), /lab/);
  await p.close();
  await assert.rejects(open('lab', [{ type: 'publickey', privateKey: pemKey }]), (e) => e.code === 'KEY_PASSPHRASE');
});

test('methods are tried in order, each only if offered; AUTH_FAILED names them', async () => {
  const c = await open('lab', [
    { type: 'password', password: 'wrong' },
    { type: 'publickey', privateKey: key.privateKey },
  ]);
  await c.close();
  await assert.rejects(open('lab', [{ type: 'password', password: 'nope' }]), (e) => {
    assert.equal(e.code, 'AUTH_FAILED');
    assert.match(e.message, /Permission denied \(.*password.*\); tried: password/);
    assert.ok(e.methods.includes('publickey'));
    return true;
  });
});

test('a certificate entry to a server without certificate login is skipped for the next method', async () => {
  // This serve has no trustpoints, so its server-sig-algs list no x509v3-* algorithm.
  const cert = { type: 'certificate', pkcs12: readFileSync(path.join(pkiDir(), 'user_p256.p12')), passphrase: 's3cret' };
  const c = await open('lab', [cert, { type: 'password', password: PW }]);
  await c.close();
  await assert.rejects(open('lab', [cert]), (e) => {
    assert.equal(e.code, 'AUTH_FAILED');
    assert.match(e.message, /certificate not offered/);
    return true;
  });
});

test('keyboard-interactive with the expired-password change', async () => {
  const seen = [];
  const answers = [[PW], ['n3w-pass', 'different'], ['n3w-pass', 'n3w-pass']];
  const c = await open('old', [
    {
      type: 'keyboard-interactive',
      onPrompt: (p) => {
        seen.push(p.instruction + '|' + p.prompts.map((x) => x.text).join('|'));
        return answers.shift();
      },
    },
  ]);
  assert.match(seen[1], /Your password has expired/);
  assert.match(seen[2], /have to be the same/);
  await c.close();
  const again = await open('old', [{ type: 'password', password: 'n3w-pass' }]);
  await again.close();
});

test('password method with the expired-password change request', async () => {
  let asked = null;
  const c = await open('old2', [
    {
      type: 'password',
      password: PW,
      onPasswordChange: (ev) => {
        asked = ev.prompt;
        return [PW, 'fresh-pw-2'];
      },
    },
  ]);
  assert.match(asked, /expired/);
  await c.close();
  await (await open('old2', [{ type: 'password', password: 'fresh-pw-2' }])).close();
});

test('exec with stdout, stderr, exit status, signal and stdin', async () => {
  const c = await open('ops', [{ type: 'password', password: PW }]);
  const r = await c.exec('cat; echo err >&2; exit 7', { stdin: 'from stdin\n' });
  assert.equal(text(r.stdout), 'from stdin\n');
  assert.equal(text(r.stderr), 'err\n');
  assert.equal(r.code, 7);
  const k = await c.exec('kill -TERM $$');
  assert.equal(k.signal, 'TERM');
  await c.close();
});

test('a shell session in a PTY: data, TERM, resize, exit', async () => {
  const c = await open('ops', [{ type: 'password', password: PW }]);
  const s = await c.shell({ term: 'xterm-256color', cols: 100, rows: 30 });
  let out = '';
  s.onData((d) => (out += text(d)));
  const waitFor = (re) => until(() => re.test(out), () => `timed out waiting for ${re}; got ${JSON.stringify(out)}`, 10000);
  s.write('stty size; echo $TERM\n');
  await waitFor(/30 100\r?\nxterm-256color/);
  s.resize(120, 40);
  s.write('stty size\n');
  await waitFor(/40 120/);
  let exit = null;
  s.onExit((x) => (exit = x));
  s.write('exit 5\n');
  assert.equal((await s.exited).code, 5);
  assert.equal(exit.code, 5);
  await c.close();
});

test('a changed host key (known_hosts) is refused before any credential is sent', async () => {
  await init();
  const known = `${knownHostsEntry('router1', 22, otherKey)}\n`;
  const before = srv.log().length;
  await assert.rejects(
    connect({
      websocket: ws(),
      username: 'lab',
      auth: [{ type: 'password', password: PW }],
      hostKey: { knownHosts: known, host: 'router1', verify: () => true },
    }),
    (e) => {
      assert.equal(e.code, "HOST_KEY_MISMATCH", e.message);
      assert.match(e.message, /router1/);
      return true;
    },
  );
  // Trusting through known_hosts text works; a verifier that says no is HOST_KEY_REJECTED.
  const good = `${knownHostsEntry('router1', 22, serveKey())}\n`;
  const c = await connect({ websocket: ws(), username: 'lab', auth: [{ type: 'password', password: PW }], hostKey: good, hostName: 'router1' });
  await c.close();
  await assert.rejects(
    connect({ websocket: ws(), username: 'lab', auth: [{ type: 'password', password: PW }], hostKey: () => false }),
    (e) => e.code === 'HOST_KEY_REJECTED',
  );
  await new Promise((r) => setTimeout(r, 200));
  const refusedPart = withoutAudit(srv.log().slice(before));
  assert.equal((refusedPart.match(/authenticated/g) || []).length, 1, `one login only:\n${refusedPart}`);
});

test('the bridge refusing or losing the target is a clear error', async () => {
  await assert.rejects(
    connect({ websocket: ws('no-such-device'), username: 'lab', auth: [{ type: 'password', password: PW }], hostKey: trustServe }),
    (e) => {
      assert.equal(e.code, 'BRIDGE_REFUSED');
      assert.match(e.message, /404/);
      return true;
    },
  );
  await assert.rejects(
    connect({ websocket: ws('nowhere'), username: 'lab', auth: [{ type: 'password', password: PW }], hostKey: trustServe }),
    (e) => {
      assert.equal(e.code, 'BRIDGE_CLOSED');
      assert.match(e.message, /1011.*target unreachable/);
      return true;
    },
  );
});

test('100 MiB through a channel, checksum equal', async () => {
  const c = await open('ops', [{ type: 'password', password: PW }]);
  const n = 100 * 1024 * 1024;
  const s = c.openSession();
  await s.opened;
  const h = createHash('sha256');
  let got = 0;
  s.onData((d) => {
    h.update(d);
    got += d.length;
  });
  let remote = '';
  s.onStderr((d) => (remote += text(d)));
  c.engine.requestExec(s.id, `f=$(mktemp) && head -c ${n} /dev/urandom > "$f" && sha256sum < "$f" >&2 && cat "$f"; rm -f "$f"`);
  c.pump();
  await s.request();
  s.end();
  await s.exited;
  assert.equal(got, n);
  const ours = h.digest('hex');
  assert.ok(remote.includes(ours), `remote checksum not found: ${remote.slice(-200)}`);
  // The page's event loop: no single engine call may take long.
  assert.ok(c.longestCall.ms < 2000, JSON.stringify(c.longestCall));
  await c.close();
});
