// The npm package through `sshgate-host bridge` to a private OpenSSH `sshd` (loopback, started
// here as root): password and public key logins as the local account `sshgate-test`, exec output
// and exit status, a shell in a PTY, and what X.509 options do against a server without RFC 6187.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';
import WebSocket from 'ws';
import { connect } from '../../pkg/index.js';
import { startSshd, startBridge, testAccount, pkiDir, text, until } from './harness.mjs';

let sshd;
let bridge;
let account;
let key;

before(async () => {
  account = testAccount();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-sshd-key-'));
  const file = path.join(dir, 'id_ecdsa');
  // ssh-keygen's own format, as a person's ~/.ssh/id_ecdsa would be.
  execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-b', '256', '-N', '', '-f', file]);
  key = readFileSync(file, 'utf8');
  sshd = await startSshd(readFileSync(`${file}.pub`, 'utf8').trim());
  bridge = await startBridge({ sshd: `127.0.0.1:${sshd.port}` });
});

after(() => {
  bridge && bridge.stop();
  sshd && sshd.stop();
});

const open = (auth) =>
  connect({
    websocket: new WebSocket(bridge.url('sshd')),
    username: account.user,
    auth,
    hostKey: (info) => info.publicKey === sshd.hostKey,
  });

test('password login into sshd; exec output and exit status', async () => {
  const c = await open([{ type: 'password', password: account.password }]);
  assert.match(c.serverVersion, /OpenSSH/);
  const r = await c.exec('echo "hello from $(id -un)"; echo oops >&2; exit 42');
  assert.equal(text(r.stdout), `hello from ${account.user}\n`);
  assert.equal(text(r.stderr), 'oops\n');
  assert.equal(r.code, 42);
  await c.close();
});

test('public key login into sshd (an ssh-keygen ECDSA key)', async () => {
  const c = await open([{ type: 'publickey', privateKey: key }]);
  const r = await c.exec('id -un');
  assert.equal(text(r.stdout).trim(), account.user);
  assert.equal(r.code, 0);
  await c.close();
  assert.match(sshd.log(), /Accepted publickey for sshgate-test/);
});

for (const [cipher, mac] of [
  ['aes128-ctr', 'hmac-sha2-256'],
  ['aes256-gcm@openssh.com', undefined],
]) {
  test(`${cipher} with WebCrypto keystream both ways (and without), byte-exact against sshd`, async () => {
    const expected = Array.from({ length: 400000 }, (_, i) => `${i + 1}\n`).join('');
    const upload = new Uint8Array(3 << 20).map((_, i) => (i * 7919) % 251);
    const localSum = createHash('sha256').update(upload).digest('hex');
    for (const webCrypto of [true, false]) {
      const c = await connect({
        websocket: new WebSocket(bridge.url('sshd')),
        username: account.user,
        auth: [{ type: 'publickey', privateKey: key }],
        hostKey: (info) => info.publicKey === sshd.hostKey,
        algorithms: { cipher: [cipher], ...(mac ? { mac: [mac] } : {}) },
        webCrypto,
      });
      assert.equal(c.algorithms.cipherServerToClient, cipher);
      const down = await c.exec('seq 1 400000');
      assert.equal(text(down.stdout), expected, `download, webCrypto ${webCrypto}`);
      const up = await c.exec('sha256sum', { stdin: upload });
      assert.equal(text(up.stdout).split(' ')[0], localSum, `upload, webCrypto ${webCrypto}: ${JSON.stringify(c.closeReason)}`);
      if (webCrypto && cipher.includes('gcm')) {
        // GCM is left to the engine (js/keystream.js says why): no key left it.
        assert.deepEqual(c.keystream.supplied, { inbound: 0, outbound: 0 });
      } else if (webCrypto) {
        // Keystream from WebCrypto carried (part of) each direction.
        assert.ok(c.keystream.supplied.inbound > 0 && c.keystream.supplied.outbound > 0, JSON.stringify(c.keystream.supplied));
      } else {
        assert.equal(c.keystream, undefined);
      }
      await c.close();
    }
  });
}

test('wrong password into sshd is AUTH_FAILED', async () => {
  await assert.rejects(open([{ type: 'password', password: 'not-it' }]), (e) => e.code === 'AUTH_FAILED');
});

test('a shell in a PTY on sshd follows a resize', async () => {
  const c = await open([{ type: 'password', password: account.password }]);
  const s = await c.shell({ cols: 91, rows: 27 });
  let out = '';
  s.onData((d) => (out += text(d)));
  const waitFor = (re) => until(() => re.test(out), () => `timed out waiting for ${re}; got ${JSON.stringify(out)}`, 10000);
  s.write('stty size\n');
  await waitFor(/27 91/);
  s.resize(133, 44);
  s.write('stty size\n');
  await waitFor(/44 133/);
  s.write('exit 3\n');
  assert.equal((await s.exited).code, 3);
  await c.close();
});

test('against OpenSSH (no RFC 6187): trustedCAs fall back to the plain host key, a certificate entry to the next method', async () => {
  const pki = (n) => readFileSync(path.join(pkiDir(), n));
  let seen = null;
  const c = await connect({
    websocket: new WebSocket(bridge.url('sshd')),
    username: account.user,
    auth: [
      { type: 'certificate', pkcs12: pki('user_p256.p12'), passphrase: 's3cret' },
      { type: 'password', password: account.password },
    ],
    hostKey: { trustedCAs: [pki('root_p256.pem').toString()], verify: (info) => ((seen = info), info.publicKey === sshd.hostKey) },
  });
  assert.equal(seen.certificate, null, 'sshd has no host certificate');
  assert.doesNotMatch(c.algorithms.hostKey, /^x509v3-/);
  assert.equal((await c.exec('true')).code, 0);
  await c.close();
});
