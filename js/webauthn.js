// FIDO2 security keys through the browser's WebAuthn API, as OpenSSH's PROTOCOL.u2f defines
// them for SSH: `registerSecurityKey()` creates an ES256 credential (navigator.credentials.create)
// and returns its `sk-ecdsa-sha2-nistp256@openssh.com` authorized_keys line, whose application is
// the relying party ID the credential is bound to (what the authenticator hashes into every
// signature); the auth entry `{ type: 'securityKey', credentialId, publicKey }` answers the
// engine's signRequest with navigator.credentials.get over the SSH signed data (the challenge),
// and the engine turns the assertion into a `webauthn-sk-ecdsa-sha2-nistp256@openssh.com`
// signature (origin and clientDataJSON travel with it; sshd checks the clientDataJSON starts with
// the challenge and origin, and nothing more about the origin).
//
// Where there is no navigator.credentials (Node, a Web Worker) the entry's `getAssertion` does
// the WebAuthn call; connect({ worker }) gives every entry without one a page-side getAssertion.

import { securityKeyFromSpki, securityKeyInfo } from './sshgate_wasm.js';

const b64url = (bytes) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

const fromB64url = (text) => {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]+$/.test(text)) throw new TypeError('credentialId: base64url text or bytes');
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
};

const bytes = (v) => (v instanceof Uint8Array ? v : ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v));

/** The credential id as bytes (entries keep it as base64url text, as registerSecurityKey returns it). */
export const credentialIdBytes = (id) => (typeof id === 'string' ? fromB64url(id) : bytes(id));

/** A WebAuthn failure as an SshError: NotAllowedError is the person saying no (or the timeout). */
function webauthnError(e, SshError, what) {
  if (e instanceof SshError) return e;
  const name = (e && e.name) || 'Error';
  const code = name === 'NotAllowedError' || name === 'AbortError' ? 'SECURITY_KEY_CANCELLED' : 'SECURITY_KEY_FAILED';
  return new SshError(code, `${what}: ${name}: ${(e && e.message) || e}`, { webauthnError: name });
}

function defaultCredentials() {
  const c = globalThis.navigator && globalThis.navigator.credentials;
  if (!c || typeof c.get !== 'function') return null;
  return c;
}

/**
 * Creates a credential on a security key (or the platform's authenticator) for `rpId` (default:
 * this page's host name) and returns `{ credentialId, publicKey, fingerprint, application, rpId }`:
 * `publicKey` is the `sk-ecdsa-sha2-nistp256@openssh.com ... comment` line for authorized_keys.
 * Needs the wasm module loaded (`await init()`).
 */
export async function registerSecurityKey(
  { rpId, user, displayName, comment, userVerification = 'preferred', timeout = 120000, credentials, signal } = {},
  SshError = Error,
) {
  if (typeof user !== 'string' || !user) throw new SshError('BAD_OPTIONS', 'registerSecurityKey: user (a name for the credential) is needed');
  const rp = rpId || (globalThis.location && globalThis.location.hostname);
  if (!rp) throw new SshError('BAD_OPTIONS', 'registerSecurityKey: rpId is needed outside a page');
  const c = credentials || defaultCredentials();
  if (!c || typeof c.create !== 'function') throw new SshError('SECURITY_KEY_FAILED', 'WebAuthn (navigator.credentials) is not available here');
  const random = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));
  let cred;
  try {
    cred = await c.create({
      publicKey: {
        // SSH has no registration step to check: the line is trusted by whoever puts it in
        // authorized_keys. The challenge is random all the same.
        challenge: random(32),
        rp: { id: rp, name: 'sshgate' },
        user: { id: random(16), name: user, displayName: displayName || user },
        // ES256 only: OpenSSH's security keys are P-256 (sk-ecdsa); sk-ssh-ed25519 is not
        // something browsers create.
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        authenticatorSelection: { userVerification, residentKey: 'discouraged' },
        attestation: 'none',
        timeout,
      },
      signal,
    });
  } catch (e) {
    throw webauthnError(e, SshError, 'registering the security key');
  }
  const r = cred && cred.response;
  if (!r || typeof r.getPublicKey !== 'function') throw new SshError('SECURITY_KEY_FAILED', 'this browser does not give the credential\'s public key (getPublicKey)');
  if (typeof r.getPublicKeyAlgorithm === 'function' && r.getPublicKeyAlgorithm() !== -7) {
    throw new SshError('KEY_UNSUPPORTED', 'the authenticator made a key other than ES256 (P-256)');
  }
  const spki = r.getPublicKey();
  if (!spki) throw new SshError('KEY_UNSUPPORTED', 'the authenticator made a key the browser cannot export');
  let info;
  try {
    info = securityKeyFromSpki(bytes(spki), rp, comment === undefined ? `${user}@${rp}` : comment);
  } catch (e) {
    throw new SshError(e.code || 'KEY_INVALID', e.message);
  }
  return { credentialId: b64url(bytes(cred.rawId)), rpId: rp, ...info };
}

/** Checks a `securityKey` auth entry (connect() options). */
export function checkSecurityKey(m, SshError) {
  if (typeof m.publicKey !== 'string' || !m.publicKey) throw new SshError('BAD_OPTIONS', 'securityKey: publicKey (its sk-ecdsa-sha2-nistp256@openssh.com line) is needed');
  if (m.credentialId === undefined || m.credentialId === null) throw new SshError('BAD_OPTIONS', 'securityKey: credentialId is needed');
  if (m.getAssertion !== undefined && typeof m.getAssertion !== 'function') throw new SshError('BAD_OPTIONS', 'securityKey: getAssertion must be a function');
}

/**
 * What navigator.credentials.get gives for `request` ({ challenge, rpId, credentialId,
 * userVerification, timeout }), as plain bytes: { authenticatorData, clientDataJSON, signature }.
 * The default getAssertion (a page's WebAuthn).
 */
export async function pageAssertion({ challenge, rpId, credentialId, userVerification, timeout }) {
  const c = defaultCredentials();
  if (!c) {
    const e = new Error('WebAuthn (navigator.credentials) is not available here: give the entry a getAssertion');
    e.name = 'NotSupportedError';
    throw e;
  }
  const cred = await c.get({
    publicKey: {
      challenge,
      rpId,
      allowCredentials: [{ type: 'public-key', id: credentialIdBytes(credentialId) }],
      userVerification,
      timeout,
    },
  });
  const r = cred.response;
  const copy = (b) => new Uint8Array(bytes(b));
  return { authenticatorData: copy(r.authenticatorData), clientDataJSON: copy(r.clientDataJSON), signature: copy(r.signature) };
}

const pageSigned = (auth) =>
  Array.isArray(auth) ? auth.map((m) => (m && m.type === 'securityKey' && !m.getAssertion ? { ...m, getAssertion: pageAssertion } : m)) : auth;

/**
 * connect({ worker }): the options with every security key entry (jump hosts' too) lacking a
 * getAssertion given the page's, called back from the worker (which has no WebAuthn).
 */
export function withPageAssertions(options) {
  const out = { ...options, auth: pageSigned(options.auth) };
  if (Array.isArray(options.jump)) out.jump = options.jump.map((h) => (h && typeof h === 'object' ? { ...h, auth: pageSigned(h.auth) } : h));
  return out;
}

/**
 * The assertion for a signRequest's `data` with entry `m`: the RP ID is the key's application
 * (or `m.rpId`), the credential `m.credentialId`.
 */
export async function securityKeyAssertion(m, data, SshError) {
  let rpId = m.rpId;
  if (!rpId) {
    try {
      rpId = securityKeyInfo(m.publicKey).application;
    } catch (e) {
      throw new SshError(e.code || 'KEY_INVALID', e.message);
    }
  }
  if (rpId.startsWith('ssh:')) {
    throw new SshError('KEY_UNSUPPORTED', `the key's application is ${rpId} (made by ssh-keygen): a browser signs only for a web RP ID`);
  }
  const request = {
    challenge: new Uint8Array(data),
    rpId,
    credentialId: m.credentialId,
    userVerification: m.userVerification || 'preferred',
    timeout: m.timeout || 120000,
  };
  try {
    const a = await (m.getAssertion || pageAssertion)(request);
    return { authenticatorData: bytes(a.authenticatorData), clientDataJSON: bytes(a.clientDataJSON), signature: bytes(a.signature) };
  } catch (e) {
    throw webauthnError(e, SshError, 'the security key did not sign');
  }
}
