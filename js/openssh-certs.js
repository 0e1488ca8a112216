// OpenSSH certificates (`ssh-keygen -s`) in the JavaScript API, as OpenSSH's `ssh` uses them:
// - a `publickey` auth entry with `certificate` (a `-cert.pub` line) logs in with the
//   certificate, and, if the server refuses it, with the plain key next;
// - known_hosts text with a `@cert-authority` line for the host makes the engine ask for host
//   certificates (first), and a host certificate one of those CAs signed for the host, valid
//   now, is trusted without a question; `@revoked` refuses the key, the certificate or its CA;
//   any other certificate leaves its key to the plain known_hosts lookup and `verify`.
// The checks are the engine's (keys::known_hosts::check_host_certificate); this moves the inputs
// and words the outcome.

import { checkKnownHostsCertificate, knownHostsHasCertAuthority, openSshCertificateInfo } from './sshgate_wasm.js';

export { checkKnownHostsCertificate, knownHostsHasCertAuthority, openSshCertificateInfo };

/** The engine option `openSshHostCertificates` for a known_hosts policy object. */
export function hostCertificateOption(hk) {
  if (!hk || typeof hk !== 'object' || typeof hk.knownHosts !== 'string' || !hk.host) return false;
  return knownHostsHasCertAuthority(hk.knownHosts, hk.host, hk.port || 22);
}

/**
 * The known_hosts verdict on the server's OpenSSH host certificate: `true` when a
 * `@cert-authority` line vouches for it, a refusal `{ reason, message }` to fall back on the
 * plain key with, `null` without a certificate (or known_hosts text). A revoked one throws
 * HOST_KEY_REVOKED: there is no fallback then.
 */
export function checkHostCertificate(hk, info, SshError) {
  const cert = info.openSshCertificate;
  if (!cert || typeof hk.knownHosts !== 'string' || !hk.host) return null;
  const r = checkKnownHostsCertificate(hk.knownHosts, hk.host, hk.port || 22, cert.line, Date.now());
  if (r.status === 'trusted') return true;
  if (r.status === 'revoked') {
    throw new SshError(
      'HOST_KEY_REVOKED',
      `the host certificate of ${hk.host} (${info.keyType} ${info.fingerprint}, CA ${cert.caFingerprint}) is revoked on line ${r.line} of known_hosts`,
      { fingerprint: info.fingerprint },
    );
  }
  return { reason: r.reason, message: r.message };
}

/** HOST_CERTIFICATE_REFUSED for an OpenSSH host certificate nobody vouched for. */
export function openSshCertificateRefused(SshError, hk, info, refusal) {
  const c = info.openSshCertificate;
  return new SshError(
    'HOST_CERTIFICATE_REFUSED',
    `the host certificate of ${hk.host} (${info.keyType} ${info.fingerprint}, ID "${c.keyId}", CA ${c.caFingerprint}) was refused: ${refusal.message}`,
    { refusal: refusal.reason, openSshCertificate: c, fingerprint: info.fingerprint },
  );
}

/**
 * Sends a `publickey` entry: with `certificate`, the certificate first (the plain key is queued
 * right after it, as OpenSSH offers both); else the key.
 */
export function sendPublicKey(conn, user, m) {
  if (typeof m.certificate !== 'string') {
    conn.engine.authPublicKey(user, m.privateKey, m.passphrase);
    return;
  }
  conn.engine.authOpenSshCertificate(user, m.privateKey, m.passphrase, m.certificate);
  conn.authQueue.unshift({ ...m, certificate: undefined });
}
