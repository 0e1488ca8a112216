// FIDO2 security keys from the npm package (js/webauthn.js) against real servers: a private
// OpenSSH sshd (its default PubkeyAcceptedAlgorithms) and `sshgate-host serve`. Node has no
// WebAuthn, so a software P-256 authenticator plays navigator.credentials: `create` for
// registerSecurityKey (the package reads the SPKI, as from a browser's getPublicKey()), and the
// auth entry's `getAssertion` makes what navigator.credentials.get makes (clientDataJSON with
// the SSH signed data as the challenge, authenticator data with the RP ID hash, flags and
// counter, a DER signature over both). ssh-keygen reads the registered line.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { connect, registerSecurityKey } from '../../pkg/index.js';
import { startSshd, startServe, startBridge, testAccount, shellUser, text, tcpWebSocket, until } from './harness.mjs';

const RP = 'sshgate.example';
const ORIGIN = `https://${RP}`;
const UP = 0x01;
const UV = 0x04;

const b64url = (b) => Buffer.from(b).toString('base64url');
const sha256 = (b) => createHash('sha256').update(b).digest();
const ab = (buf) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);

/** A software authenticator: navigator.credentials.create and the get the package asks for. */
class SoftAuthenticator {
  constructor() {
    this.creds = new Map();
    this.counter = 0;
    this.flags = UP | UV;
    this.requests = [];
  }

  async create({ publicKey: o }) {
    assert.deepEqual(o.pubKeyCredParams, [{ type: 'public-key', alg: -7 }], 'ES256 only');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = randomBytes(16);
    this.creds.set(b64url(id), { privateKey, rpId: o.rp.id });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    return { rawId: ab(id), response: { getPublicKey: () => ab(spki), getPublicKeyAlgorithm: () => -7 } };
  }

  /** The entry's getAssertion (an arrow, so `this` stays). */
  get = async ({ challenge, rpId, credentialId, userVerification }) => {
    this.requests.push({ rpId, userVerification, challengeLength: challenge.length });
    const cred = this.creds.get(typeof credentialId === 'string' ? credentialId : b64url(credentialId));
    if (!cred || cred.rpId !== rpId) throw Object.assign(new Error('no such credential'), { name: 'NotAllowedError' });
    // Key order as browsers serialize it (WebAuthn §5.8.1.1): type, challenge, origin, crossOrigin.
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: b64url(challenge), origin: ORIGIN, crossOrigin: false }));
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(++this.counter);
    const authenticatorData = Buffer.concat([sha256(Buffer.from(rpId)), Buffer.from([this.flags]), counter]);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), { key: cred.privateKey, dsaEncoding: 'der' });
    return { authenticatorData, clientDataJSON, signature };
  };
}

let authn;
let key;
let account;
let sshd;
let bridge;
let serve;

before(async () => {
  authn = new SoftAuthenticator();
  key = await registerSecurityKey({ user: 'lab@router1', rpId: RP, credentials: authn });
  account = testAccount();
  // sshd's defaults for the algorithms: OpenSSH 9.2 accepts the key type's name only.
  sshd = await startSshd(key.publicKey);
  bridge = await startBridge({ sshd: `127.0.0.1:${sshd.port}` });
  serve = await startServe([{ name: 'lab', authorized_keys: [key.publicKey], ...shellUser() }]);
});

after(() => {
  bridge && bridge.stop();
  sshd && sshd.stop();
  serve && serve.stop();
});

const entry = (extra = {}) => ({ type: 'securityKey', credentialId: key.credentialId, publicKey: key.publicKey, getAssertion: authn.get, ...extra });

test('registering gives an sk-ecdsa authorized_keys line bound to the RP ID, as ssh-keygen reads it', () => {
  assert.match(key.publicKey, /^sk-ecdsa-sha2-nistp256@openssh\.com AAAA[A-Za-z0-9+/=]+ lab@router1@sshgate\.example$/);
  assert.equal(key.application, RP);
  assert.equal(key.rpId, RP);
  assert.match(key.credentialId, /^[A-Za-z0-9_-]{22}$/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-sk-'));
  writeFileSync(path.join(dir, 'k.pub'), `${key.publicKey}\n`);
  const l = execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'k.pub')]).toString();
  assert.ok(l.includes(key.fingerprint), l);
  assert.match(l, /\(ECDSA-SK\)/);
});

test('security key login into sshd (webauthn-sk signature under the key type name)', async () => {
  const c = await connect({
    websocket: new WebSocket(bridge.url('sshd')),
    username: account.user,
    auth: [entry()],
    hostKey: (info) => info.publicKey === sshd.hostKey,
  });
  const r = await c.exec('id -un');
  assert.equal(text(r.stdout).trim(), account.user);
  await c.close();
  const accepted = new RegExp(`Accepted publickey for ${account.user} from 127\\.0\\.0\\.1 port \\d+ ssh2: ECDSA-SK ${key.fingerprint.replace(/[+/]/g, '\\$&')}`);
  await until(() => accepted.test(sshd.log()), () => `sshd log:\n${sshd.log()}`);
  const last = authn.requests.at(-1);
  assert.equal(last.rpId, RP, 'the RP ID is the key application');
  assert.equal(last.userVerification, 'preferred');
});

test('sshd refuses a signature without user presence', async () => {
  authn.flags = UV;
  try {
    await assert.rejects(
      connect({ websocket: new WebSocket(bridge.url('sshd')), username: account.user, auth: [entry()], hostKey: () => true }),
      (e) => e.code === 'AUTH_FAILED',
    );
  } finally {
    authn.flags = UP | UV;
  }
  // The peers' logs come through a pipe: they may follow the answer.
  await until(() => /user presence \(authenticator touch\) requirement not met/.test(sshd.log()), () => `sshd log:\n${sshd.log()}`);
});

test('security key login into serve', async () => {
  const c = await connect({ websocket: tcpWebSocket(serve.port), username: 'lab', auth: [entry()], hostKey: () => true });
  const r = await c.exec('echo fido');
  assert.equal(text(r.stdout), 'fido\n');
  await c.close();
  await until(() => /Accepted publickey for lab from 127\.0\.0\.1: ECDSA-SK SHA256:\S+ \(webauthn\)/.test(serve.log()), () => `serve log:\n${serve.log()}`);
  assert.ok(serve.log().includes(`origin=${ORIGIN}`), 'the origin is logged');
});

test('serve refuses a signature without user presence', async () => {
  authn.flags = UV;
  try {
    await assert.rejects(
      connect({ websocket: tcpWebSocket(serve.port), username: 'lab', auth: [entry()], hostKey: () => true }),
      (e) => e.code === 'AUTH_FAILED',
    );
  } finally {
    authn.flags = UP | UV;
  }
  await until(() => /rejected: user presence \(authenticator touch\) requirement not met/.test(serve.log()), () => `serve log:\n${serve.log()}`);
});

test('declining at the authenticator is SECURITY_KEY_CANCELLED; a bad entry is BAD_OPTIONS', async () => {
  const no = async () => {
    throw Object.assign(new Error('The operation either timed out or was not allowed.'), { name: 'NotAllowedError' });
  };
  await assert.rejects(
    connect({ websocket: tcpWebSocket(serve.port), username: 'lab', auth: [entry({ getAssertion: no })], hostKey: () => true }),
    (e) => e.code === 'SECURITY_KEY_CANCELLED' && e.webauthnError === 'NotAllowedError',
  );
  // A signature that does not verify (another credential's key) is refused before it is sent.
  const other = new SoftAuthenticator();
  const k2 = await registerSecurityKey({ user: 'x', rpId: RP, credentials: other });
  await assert.rejects(
    connect({ websocket: tcpWebSocket(serve.port), username: 'lab', auth: [entry({ credentialId: k2.credentialId, getAssertion: other.get })], hostKey: () => true }),
    (e) => e.code !== undefined && e.code !== 'AUTH_FAILED' && /does not verify/.test(e.message),
  );
  await assert.rejects(connect({ websocket: 'ws://x', username: 'lab', auth: [{ type: 'securityKey', publicKey: key.publicKey }], hostKey: () => true }), (e) => e.code === 'BAD_OPTIONS');
});
