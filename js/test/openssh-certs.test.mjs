// The npm package with OpenSSH certificates made by `ssh-keygen -s`, through `sshgate-host
// bridge` to a private OpenSSH sshd (loopback, started here as root) that trusts a user CA
// (TrustedUserCAKeys) and serves a host certificate (HostCertificate): user certificates
// (Ed25519, RSA as rsa-sha2-512-cert-v01) logging in as `sshgate-test` without their keys in
// authorized_keys, a known_hosts holding only `@cert-authority` trusting the host without a
// question, and the refusals: another principal, an expired certificate, a host certificate for
// another name, a revoked host key, a certificate of another key.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { connect, init, openSshCertificateInfo, checkKnownHostsCertificate } from '../../pkg/index.js';
import { startSshd, startBridge, testAccount, text } from './harness.mjs';

let sshd;
let bridge;
let account;
let dir;
let caLine;
let hostKeyLine;

const read = (f) => readFileSync(path.join(dir, f), 'utf8').trim();
const keygen = (name, type, bits) =>
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-f', path.join(dir, name)]);
const sign = (ca, name, args) => execFileSync('ssh-keygen', ['-q', '-s', path.join(dir, ca), '-I', `id-${name}`, ...args, path.join(dir, `${name}.pub`)]);

/** A user key `name` of `type` with a certificate for `args`: `{ privateKey, certificate }`. */
function userCert(name, type, args, bits) {
  keygen(name, type, bits);
  sign('user_ca', name, args);
  return { privateKey: read(name), certificate: read(`${name}-cert.pub`) };
}

before(async () => {
  account = testAccount();
  dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-certs-'));
  keygen('user_ca', 'ed25519');
  keygen('host_ca', 'ecdsa', 384);
  // The host key sshd takes first (the harness adds its own plain one after).
  keygen('host_key', 'ed25519');
  sign('host_ca', 'host_key', ['-h', '-n', 'router1,router1.lab']);
  caLine = `@cert-authority router1,*.lab ${read('host_ca.pub')}`;
  hostKeyLine = read('host_key.pub');
  // An unrelated key is the only authorized one: a certificate is the way in.
  keygen('unrelated', 'ed25519');
  sshd = await startSshd(read('unrelated.pub'), [
    `HostKey ${path.join(dir, 'host_key')}`,
    `HostCertificate ${path.join(dir, 'host_key-cert.pub')}`,
    `TrustedUserCAKeys ${path.join(dir, 'user_ca.pub')}`,
    'LogLevel DEBUG1',
  ]);
  bridge = await startBridge({ sshd: `127.0.0.1:${sshd.port}` });
  await init();
});

after(() => {
  bridge && bridge.stop();
  sshd && sshd.stop();
});

const open = (auth, hostKey) =>
  connect({
    websocket: new WebSocket(bridge.url('sshd')),
    username: account.user,
    auth,
    hostKey: hostKey || { knownHosts: `${caLine}\n`, host: 'router1' },
  });

test('an Ed25519 user certificate logs in; the host certificate is trusted through @cert-authority alone', async () => {
  const mark = sshd.log().length;
  const cert = userCert('alice', 'ed25519', ['-n', account.user]);
  const asked = [];
  const c = await connect({
    websocket: new WebSocket(bridge.url('sshd')),
    username: account.user,
    auth: [{ type: 'publickey', ...cert }],
    hostKey: { knownHosts: `# only a CA\n${caLine}\n`, host: 'router1', verify: (i) => (asked.push(i), false) },
  });
  assert.deepEqual(asked, [], 'no question for a host the CA vouches for');
  assert.equal(c.algorithms.hostKey, 'ssh-ed25519-cert-v01@openssh.com');
  const hc = c.hostKey.openSshCertificate;
  assert.equal(hc.certType, 'host');
  assert.deepEqual(hc.principals, ['router1', 'router1.lab']);
  assert.equal(hc.keyId, 'id-host_key');
  assert.equal(c.hostKey.publicKey, hostKeyLine.split(' ').slice(0, 2).join(' '));
  const r = await c.exec('id -un');
  assert.equal(text(r.stdout).trim(), account.user);
  await c.close();
  assert.match(sshd.log().slice(mark), /Accepted publickey for sshgate-test .*ED25519-CERT SHA256:\S+ ID id-alice/);
});

test('an RSA user certificate logs in as rsa-sha2-512-cert-v01; its fields read back', async () => {
  const mark = sshd.log().length;
  const cert = userCert('bob', 'rsa', ['-n', `${account.user},other`, '-z', '77'], 3072);
  const info = openSshCertificateInfo(cert.certificate);
  assert.equal(info.certType, 'user');
  assert.equal(info.keyType, 'ssh-rsa');
  assert.equal(info.serial, '77');
  assert.deepEqual(info.principals, [account.user, 'other']);
  assert.equal(info.caKeyType, 'ssh-ed25519');
  const c = await open([{ type: 'publickey', ...cert }]);
  assert.equal((await c.exec('true')).code, 0);
  await c.close();
  const log = sshd.log().slice(mark);
  assert.match(log, /Accepted publickey for sshgate-test .*RSA-CERT SHA256:\S+ ID id-bob \(serial 77\)/);
  assert.match(log, /rsa-sha2-512-cert-v01@openssh.com/);
});

test('a certificate for another principal, or expired, is refused by sshd (then the plain key, also refused)', async () => {
  for (const [name, args, says] of [
    ['carol', ['-n', 'someone-else'], /name is not a listed principal/],
    ['dave', ['-n', 'sshgate-test', '-V', '20200101:20200102'], /[Cc]ertificate invalid: expired|expired/],
  ]) {
    const mark = sshd.log().length;
    const cert = userCert(name, 'ed25519', args);
    await assert.rejects(open([{ type: 'publickey', ...cert }]), (e) => {
      assert.equal(e.code, 'AUTH_FAILED');
      assert.deepEqual(e.tried, ['publickey', 'publickey'], 'the certificate, then the plain key');
      return true;
    });
    const log = sshd.log().slice(mark);
    assert.match(log, says, name);
    assert.doesNotMatch(log, /Accepted publickey/);
  }
});

test('a host certificate for another name is HOST_CERTIFICATE_REFUSED (WRONG_PRINCIPAL)', async () => {
  const cert = userCert('erin', 'ed25519', ['-n', account.user]);
  const knownHosts = `@cert-authority * ${read('host_ca.pub')}\n`;
  let seen = null;
  await assert.rejects(
    open([{ type: 'publickey', ...cert }], { knownHosts, host: 'router2', verify: (i) => ((seen = i), false) }),
    (e) => {
      assert.equal(e.code, 'HOST_CERTIFICATE_REFUSED');
      assert.equal(e.refusal, 'WRONG_PRINCIPAL');
      assert.match(e.message, /not a listed principal/);
      assert.equal(e.openSshCertificate.keyId, 'id-host_key');
      return true;
    },
  );
  // verify was asked about the plain key (as OpenSSH falls back), and said no.
  assert.equal(seen.status, 'unknown');
  assert.equal(seen.openSshCertificate.certType, 'host');
  // The same answer from the helper, with the time passed in.
  const r = checkKnownHostsCertificate(knownHosts, 'router2', 22, seen.openSshCertificate.line, Date.now());
  assert.deepEqual([r.status, r.reason], ['refused', 'WRONG_PRINCIPAL']);
  assert.equal(checkKnownHostsCertificate(knownHosts, 'router1', 22, seen.openSshCertificate.line, Date.now()).status, 'trusted');
});

test('a revoked host key is HOST_KEY_REVOKED although its CA vouches', async () => {
  const cert = userCert('frank', 'ed25519', ['-n', account.user]);
  const knownHosts = `${caLine}\n@revoked * ${hostKeyLine}\n`;
  await assert.rejects(open([{ type: 'publickey', ...cert }], { knownHosts, host: 'router1' }), (e) => e.code === 'HOST_KEY_REVOKED');
});

test('a certificate of another key is CERTIFICATE_INVALID', async () => {
  const a = userCert('gina', 'ed25519', ['-n', account.user]);
  const b = userCert('hank', 'ed25519', ['-n', account.user]);
  await assert.rejects(open([{ type: 'publickey', privateKey: a.privateKey, certificate: b.certificate }]), (e) => e.code === 'CERTIFICATE_INVALID');
});
