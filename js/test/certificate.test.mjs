// RFC 6187 X.509 in the npm package (pkg/), through `sshgate-host bridge` (real WebSockets) to
// `sshgate-host serve` with a host certificate and user certificate trustpoints, on the test
// PKI of tests/x509/make-pki.sh: certificate logins (PEM chain + key, PKCS#12, the login name
// from the certificate), the server's refusals as CERTIFICATE_REFUSED, the host certificate
// accepted under trustedCAs without a question, and refused (wrong name, unknown CA) before
// any credential is sent.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { connect, init, certificateCredential } from '../../pkg/index.js';
import { startServe, startBridge, passwordHash, certificateConfig, pkiDir, text, until, withoutAudit } from './harness.mjs';

const PW = 'js-cert-password';
// The server certificate names localhost, router1.example.com and 127.0.0.1.
const HOST = 'router1.example.com';
let srv;
let bridge;
const pem = (n) => readFileSync(path.join(pkiDir(), n), 'utf8');
const bytes = (n) => readFileSync(path.join(pkiDir(), n));

before(async () => {
  await init();
  srv = await startServe(
    [
      { name: 'alice', privilege: 15, certificate: true },
      { name: 'lab', privilege: 15, password_hash: passwordHash(PW) },
    ],
    certificateConfig('server_p256', ['root_rsa.pem', 'root_p256.pem', 'root_ed25519.pem']),
  );
  // The same device under its certificate's name and under a name the certificate lacks.
  bridge = await startBridge({ [HOST]: `127.0.0.1:${srv.port}`, router1: `127.0.0.1:${srv.port}` });
});

after(() => {
  bridge && bridge.stop();
  srv && srv.stop();
});

const ws = (name = HOST) => new WebSocket(bridge.url(name));
const trustP256 = () => ({ trustedCAs: [pem('root_p256.pem')], verify: () => assert.fail('a valid certificate needs no question') });
const pemAuth = (t, chain = `user_${t}.chain.pem`) => ({ type: 'certificate', certificate: pem(chain), privateKey: pem(`user_${t}.key`) });

// serve logs after the client has already given up: wait for its log to say `re` since `mark`.
const logSays = (mark, re, what) => until(() => re.test(srv.log().slice(mark)), () => `${what}:\n${srv.log().slice(mark)}`);

/** Where serve's log is now, once it has stopped growing (the earlier tests' lines are in). */
async function quietMark() {
  let n = -1;
  while (n !== srv.log().length) {
    n = srv.log().length;
    await new Promise((r) => setTimeout(r, 300));
  }
  return n;
}

async function whoami(c) {
  const r = await c.exec('show users');
  assert.equal(r.code, 0);
  return text(r.stdout);
}

test('certificate login: an RSA PEM chain + key, Ed25519 and P-256 PKCS#12, the login name from the certificate', async () => {
  const c = await connect({ websocket: ws(), username: 'alice', auth: [pemAuth('rsa')], hostKey: trustP256() });
  assert.match(await whoami(c), /alice/);
  // The host certificate was checked by the engine and accepted without asking.
  assert.match(c.algorithms.hostKey, /^x509v3-ecdsa-sha2-nistp256$/);
  const hc = c.hostKey.certificate;
  assert.equal(hc.valid, true, JSON.stringify(hc.refusal));
  assert.equal(hc.leaf.subject, 'CN=router1.example.com,O=Example');
  assert.equal(hc.leaf.issuer, 'CN=Intermediate CA p256,O=Example');
  assert.deepEqual(hc.leaf.dnsNames, ['localhost', 'router1.example.com']);
  assert.equal(hc.trustedBy, 'CN=Root CA p256,O=Example');
  assert.ok(hc.leaf.notBefore < Date.now() && Date.now() < hc.leaf.notAfter);
  assert.match(c.hostKey.fingerprint, /^SHA256:/);
  await c.close();

  for (const t of ['ed25519', 'p256']) {
    const p12 = bytes(`user_${t}.p12`);
    // No username: it comes from the certificate's common name, as serve maps it.
    const k = await connect({ websocket: ws(), userFromCert: true, auth: [{ type: 'certificate', pkcs12: p12, passphrase: 's3cret' }], hostKey: trustP256() });
    assert.equal(k.username, 'alice');
    assert.match(await whoami(k), /alice/, t);
    await k.close();
  }
  assert.match(srv.log(), /Received publickey algo = x509v3-ssh-ed25519/);
  assert.match(srv.log(), /Received publickey algo = x509v3-rsa2048-sha256/);
});

test('a certificate the server refuses (unknown CA, wrong purpose, another user) is CERTIFICATE_REFUSED', async () => {
  const cases = [
    ['user_other', /Other Root CA,O=Elsewhere\) is self-signed and not a trustpoint/],
    ['user_tls', /EKU validation failed/],
    ['user_bob', /User name 'alice' does not match the certificate's 'bob'/],
  ];
  for (const [name, serverSays] of cases) {
    const mark = srv.log().length;
    const auth = [{ type: 'certificate', certificate: pem(`${name}.chain.pem`), privateKey: pem(`${name}.key`) }];
    await assert.rejects(connect({ websocket: ws(), username: 'alice', auth, hostKey: trustP256() }), (e) => {
      assert.equal(e.code, 'CERTIFICATE_REFUSED', `${name}: ${e.message}`);
      assert.match(e.message, /the server refused the certificate CN=/);
      assert.deepEqual(e.tried, ['certificate']);
      return true;
    });
    await logSays(mark, serverSays, `${name}: serve's log says why`);
  }
  // After a refused certificate, the next method in the list is tried.
  const c = await connect({
    websocket: ws(),
    username: 'lab',
    auth: [pemAuth('p256'), { type: 'password', password: PW }],
    hostKey: trustP256(),
  });
  await c.close();
});

test('credentials that do not load are refused before connecting, with their reason', async () => {
  const wrongPass = { type: 'certificate', pkcs12: bytes('user_rsa.p12'), passphrase: 'nope' };
  assert.throws(() => certificateCredential(wrongPass), (e) => e.code === 'KEY_PASSPHRASE');
  await assert.rejects(connect({ websocket: ws(), username: 'alice', auth: [wrongPass], hostKey: trustP256() }), (e) => e.code === 'KEY_PASSPHRASE');
  // A chain whose first certificate is not the key's.
  const mismatch = { type: 'certificate', certificate: pem('user_rsa.chain.pem'), privateKey: pem('user_p256.key') };
  assert.throws(() => certificateCredential(mismatch), (e) => e.code === 'CERTIFICATE_INVALID' && e.refusal === 'KEY_MISMATCH');
  assert.throws(() => certificateCredential({ type: 'certificate', pkcs12: new Uint8Array(1) }), (e) => e.code === 'CERTIFICATE_INVALID');
  const loaded = certificateCredential(pemAuth('ed25519'));
  assert.equal(loaded.info.subject, 'CN=alice,OU=Admins,O=Example');
  assert.equal(loaded.info.issuer, 'CN=Intermediate CA ed25519,O=Example');
  assert.deepEqual(loaded.info.algorithms, ['x509v3-ssh-ed25519']);
  assert.equal(loaded.userName(), 'alice');
});

test('a server certificate for another name, or from an unknown CA, is refused before any credential', async () => {
  const mark = await quietMark();
  const password = [{ type: 'password', password: PW }];
  // The bridge target `router1` is not a name in the certificate.
  await assert.rejects(connect({ websocket: ws('router1'), username: 'lab', auth: password, hostKey: { trustedCAs: [pem('root_p256.pem')] } }), (e) => {
    assert.equal(e.code, 'HOST_CERTIFICATE_REFUSED', e.message);
    assert.equal(e.refusal, 'HOST_NAME_MISMATCH');
    assert.match(e.message, /CN=router1\.example\.com,O=Example .*router1/);
    return true;
  });
  // Another CA: the chain leads nowhere trusted. `verify` is asked, and its no is the refusal.
  let asked = null;
  await assert.rejects(
    connect({
      websocket: ws(),
      username: 'lab',
      auth: password,
      hostKey: { trustedCAs: [pem('root_rsa.pem')], verify: (info) => ((asked = info), false) },
    }),
    (e) => {
      assert.equal(e.code, 'HOST_CERTIFICATE_REFUSED', e.message);
      assert.equal(e.refusal, 'MISSING_INTERMEDIATE');
      return true;
    },
  );
  assert.equal(asked.certificate.valid, false);
  assert.equal(asked.certificate.refusal.code, 'MISSING_INTERMEDIATE');
  assert.equal(asked.certificate.leaf.issuer, 'CN=Intermediate CA p256,O=Example');
  await logSays(mark, /host key not trusted[^]*host key not trusted/, 'both refusals in the log');
  const log = withoutAudit(srv.log().slice(mark));
  assert.doesNotMatch(log, /authenticated|password|Verifying/i, `no credential reached serve:\n${log}`);
});

test('a revoked server certificate is refused with the CA\'s CRL, and only with it', async () => {
  // A device whose host certificate the P-256 intermediate's CRL revokes.
  const revoked = await startServe(
    [{ name: 'lab', privilege: 15, password_hash: passwordHash(PW) }],
    certificateConfig('server_revoked', ['root_p256.pem']),
  );
  const b = await startBridge({ [HOST]: `127.0.0.1:${revoked.port}` });
  try {
    const password = [{ type: 'password', password: PW }];
    const crls = [pem('crls_p256.pem')];
    await assert.rejects(
      connect({ websocket: new WebSocket(b.url(HOST)), username: 'lab', auth: password, hostKey: { trustedCAs: [pem('root_p256.pem')], crls } }),
      (e) => {
        assert.equal(e.code, 'HOST_CERTIFICATE_REFUSED', e.message);
        assert.equal(e.refusal, 'REVOKED');
        assert.match(e.message, /revoked/i);
        return true;
      },
    );
    assert.doesNotMatch(withoutAudit(revoked.log()), /authenticated|Verifying/i, 'no credential reached serve');
    // Revocation asked for but no CRL from this CA: the status is unknown, which is a refusal
    // unless soft fail is on.
    const otherCrl = [pem('root_p256.crl.pem')];
    await assert.rejects(
      connect({ websocket: new WebSocket(b.url(HOST)), username: 'lab', auth: password, hostKey: { trustedCAs: [pem('root_p256.pem')], crls: otherCrl } }),
      (e) => e.code === 'HOST_CERTIFICATE_REFUSED' && e.refusal !== 'REVOKED' && e.refusal !== 'HOST_NAME_MISMATCH',
    );
    // The default is `revocation-check none`: the same chain without CRLs is accepted.
    const c = await connect({ websocket: new WebSocket(b.url(HOST)), username: 'lab', auth: password, hostKey: trustP256() });
    assert.equal(c.hostKey.certificate.valid, true);
    await c.close();
    // A mode the engine does not know is an options error, not a silent `none`.
    await assert.rejects(
      connect({ websocket: new WebSocket(b.url(HOST)), username: 'lab', auth: password, hostKey: { trustedCAs: [pem('root_p256.pem')], revocation: 'strict' } }),
      (e) => e.code === 'BAD_OPTIONS' && /revocation/.test(e.message),
    );
  } finally {
    b.stop();
    revoked.stop();
  }
});

test('trusting the CA a refused chain names: once through verify, then as a trusted CA', async () => {
  let ca = null;
  const c = await connect({
    websocket: ws(),
    username: 'lab',
    auth: [{ type: 'password', password: PW }],
    hostKey: {
      trustedCAs: [pem('root_rsa.pem')],
      verify: (info) => {
        // The page's "trust this CA always": the top CA certificate the server sent.
        ca = info.certificate.chain.filter((x) => x.isCa).pop();
        return true;
      },
    },
  });
  await c.close();
  assert.equal(ca.subject, 'CN=Intermediate CA p256,O=Example');
  const again = await connect({ websocket: ws(), username: 'lab', auth: [{ type: 'password', password: PW }], hostKey: { trustedCAs: [ca.pem], verify: () => false } });
  assert.equal(again.hostKey.certificate.valid, true);
  assert.equal(again.hostKey.certificate.trustedBy, 'CN=Intermediate CA p256,O=Example');
  await again.close();
});
