// RFC 6187 X.509 in the JavaScript API: certificate entries of `auth` become the engine's
// CertificateCredential, `hostKey.trustedCAs` and the expected host name become the engine's
// options, and a refused server certificate becomes an SshError naming the reason. Validation
// itself is the engine's; this only moves the inputs and words the outcome.

import { CertificateCredential } from './sshgate_wasm.js';

const bytesOf = (b) => (b instanceof Uint8Array ? b : ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b));

/**
 * The engine's credential for an `auth` entry of type `certificate`: `{ credential }` (already
 * loaded), `{ pkcs12, passphrase }` (a .p12/.pfx file's bytes) or `{ certificate, privateKey,
 * passphrase }` (a PEM chain, its own certificate first, and the key file's text). Throws the
 * engine's coded errors (KEY_PASSPHRASE, CERTIFICATE_INVALID, KEY_INVALID).
 */
export function certificateCredential(m) {
  if (m.credential instanceof CertificateCredential) return m.credential;
  if (m.pkcs12 !== undefined) return CertificateCredential.fromPkcs12(bytesOf(m.pkcs12), m.passphrase);
  if (typeof m.certificate === 'string' && typeof m.privateKey === 'string') {
    return CertificateCredential.fromPem(m.certificate, m.privateKey, m.passphrase);
  }
  throw Object.assign(new Error('auth: a certificate entry needs pkcs12 bytes, or certificate (PEM chain) and privateKey'), {
    code: 'BAD_OPTIONS',
  });
}

/** `CN=alice,O=Example (issuer CN=Intermediate CA,O=Example)`. */
export function describeCertificate(c) {
  return c ? `${c.subject} (issuer ${c.issuer})` : '(no certificate)';
}

/** The last path segment of a bridge URL (`wss://bridge/ssh/router1` → `router1`). */
function targetOf(websocket) {
  const url = typeof websocket === 'string' ? websocket : websocket && websocket.url;
  if (typeof url !== 'string') return undefined;
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The engine options for host certificates: `trustedCAs` (PEM texts) and `hostName`, the name
 * the server certificate's subjectAltName must match: `hostKey.hostName`, else `hostKey.host`,
 * else `options.hostName`, else the bridge target in the WebSocket URL. Without `trustedCAs`
 * the engine does not offer `x509v3-*` host keys at all; an empty list offers them with no CA
 * trusted yet (every chain is refused and goes to `verify`, which can keep its CA).
 */
export function hostCheck(options, SshError) {
  const hk = options.hostKey && typeof options.hostKey === 'object' ? options.hostKey : {};
  const hostName = hk.hostName || hk.host || options.hostName || targetOf(options.websocket);
  if (hk.trustedCAs === undefined) return { hostName };
  const cas = Array.isArray(hk.trustedCAs) ? hk.trustedCAs : [hk.trustedCAs];
  if (!cas.every((c) => typeof c === 'string')) throw new SshError('BAD_OPTIONS', 'hostKey.trustedCAs: PEM texts are needed');
  if (!hostName) {
    throw new SshError('BAD_OPTIONS', 'hostKey.hostName is needed to check server certificates (the name they must be issued for)');
  }
  const trust = { trustedCAs: cas, hostName };
  // Revocation of the server's chain: CRLs (PEM) and the IOS-style mode, checked by the engine.
  if (hk.crls !== undefined) {
    const crls = Array.isArray(hk.crls) ? hk.crls : [hk.crls];
    if (!crls.every((c) => typeof c === 'string')) throw new SshError('BAD_OPTIONS', 'hostKey.crls: PEM texts are needed');
    trust.crls = crls;
  }
  if (hk.revocation !== undefined) trust.revocation = hk.revocation;
  if (hk.revocationSoftFail) trust.revocationSoftFail = true;
  return trust;
}

/** HOST_CERTIFICATE_REFUSED for a server certificate neither a CA nor the caller trusted. */
export function hostCertificateRefused(SshError, hostName, info) {
  const c = info.certificate;
  const why = c.refusal ? c.refusal.message : 'not trusted';
  return new SshError(
    'HOST_CERTIFICATE_REFUSED',
    `the server certificate ${describeCertificate(c.leaf)} of ${hostName} was refused: ${why}`,
    { refusal: c.refusal ? c.refusal.code : 'NOT_TRUSTED', certificate: c, fingerprint: info.fingerprint },
  );
}
