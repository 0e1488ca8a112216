// sshgate: SSH in the browser and in Node, end to end. The SSH engine is Rust compiled to
// WebAssembly (`Engine`, sans-IO); this module drives it with a WebSocket, a clock
// (performance.now) and randomness (crypto.getRandomValues), and offers a promise-based API:
//
//   const conn = await connect({ websocket: 'wss://bridge/ssh/router1', username: 'lab',
//                                auth: [{ type: 'password', password }], hostKey: verify });
//   const shell = await conn.shell({ term: 'xterm-256color', cols: 80, rows: 24 });
//   shell.onData((bytes) => term.write(bytes)); shell.write('show ssh\r');
//   const { stdout, code } = await conn.exec('show ip ssh');
//
// RFC 6187 X.509: `auth: [{ type: 'certificate', pkcs12, passphrase }]` logs in with a
// certificate, `hostKey: { trustedCAs: [pem], hostName }` accepts a server certificate that a
// trusted CA issued for that name without asking.
//
// Nothing here knows SSH: every protocol decision is the engine's; this file moves bytes, time
// and the user's answers.

import initWasm, { initSync, Engine, CertificateCredential, checkKnownHosts, knownHostKeyTypes, knownHostsEntry, privateKeyInfo } from './sshgate_wasm.js';
import { certificateCredential, describeCertificate, hostCertificateRefused, hostCheck } from './x509.js';
import { TcpChannel } from './forward.js';
import { connectThroughJumps } from './jump.js';
import { hostCertificateOption, checkHostCertificate, openSshCertificateRefused, sendPublicKey } from './openssh-certs.js';
import { registerSecurityKey as register, checkSecurityKey, securityKeyAssertion } from './webauthn.js';
import { openSocket } from './resume.js';
import { startKeepalive } from './keepalive.js';
import { KeystreamFeeder, KEYSTREAM_MODES, keystreamAvailable } from './keystream.js';
import { wasmFile, wasmUrl } from './wasm-pick.js';

/** Largest WebSocket message sent (bytes). */
const MESSAGE_MAX = 256 * 1024;

export { Engine, CertificateCredential, checkKnownHosts, knownHostKeyTypes, knownHostsEntry, privateKeyInfo, certificateCredential };
// A server's banner, prompts and disconnect reason, escaped before they reach a terminal.
export { forTerminal, forLog } from './text.js';
// OpenSSH certificates: a `-cert.pub` line's fields, and known_hosts @cert-authority checks.
export { checkKnownHostsCertificate, knownHostsHasCertAuthority, openSshCertificateInfo } from './openssh-certs.js';
import { openSftp } from './sftp.js';
import { scpGet, scpPut } from './scp.js';
export { Sftp, SftpError } from './sftp.js';

let ready = null;

/**
 * Registers a FIDO2 security key through WebAuthn and returns its authorized_keys line
 * (js/webauthn.js); see index.d.ts.
 */
export async function registerSecurityKey(options = {}) {
  await init(options.wasm);
  return register(options, SshError);
}

/**
 * Loads the WebAssembly module (once): the SIMD build where the engine has SIMD, the other
 * elsewhere (js/wasm-pick.js). In Node it is read from the package directory.
 */
export function init(wasm) {
  if (!ready) {
    ready = (async () => {
      if (wasm !== undefined) return initWasm({ module_or_path: wasm });
      if (typeof process !== 'undefined' && process.versions && process.versions.node) {
        // Kept from bundlers' view: a page never takes this branch.
        const fsModule = 'node:fs/promises';
        const { readFile } = await import(/* @vite-ignore */ fsModule);
        const bytes = await readFile(new URL(`./${wasmFile()}`, import.meta.url));
        return initSync({ module: bytes });
      }
      return initWasm({ module_or_path: wasmUrl() });
    })();
    ready.catch(() => (ready = null));
  }
  return ready;
}

/** An Error with a stable `code` (HOST_KEY_REJECTED, AUTH_FAILED, ...). */
export class SshError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'SshError';
    this.code = code;
    Object.assign(this, extra);
  }
}

const asSshError = (e, code) =>
  e instanceof SshError ? e : new SshError((e && e.code) || code, String(e && e.message ? e.message : e));

const now = () => performance.now();

function seed() {
  const s = new Uint8Array(32);
  globalThis.crypto.getRandomValues(s);
  return s;
}

function toBytes(data) {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('expected a string, Uint8Array or ArrayBuffer');
}

function concat(parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}

// The auth list's `type`s and the SSH method each one uses (`certificate` is RFC 6187 X.509:
// `publickey` with an `x509v3-*` algorithm).
const METHODS = {
  password: 'password',
  publickey: 'publickey',
  key: 'publickey',
  certificate: 'publickey',
  'keyboard-interactive': 'keyboard-interactive',
  keyboardInteractive: 'keyboard-interactive',
  securityKey: 'publickey',
};

function checkOptions(o) {
  if (!o || typeof o !== 'object') throw new SshError('BAD_OPTIONS', 'connect() needs an options object');
  if (!o.websocket) throw new SshError('BAD_OPTIONS', 'websocket: a URL or a WebSocket-like object is needed');
  if (!Array.isArray(o.auth) || !o.auth.length) throw new SshError('BAD_OPTIONS', 'auth: a list of methods is needed');
  const fromCert = o.userFromCert && o.auth.some((m) => m && m.type === 'certificate');
  if (!fromCert && (typeof o.username !== 'string' || !o.username)) {
    throw new SshError('BAD_OPTIONS', 'username is needed (or userFromCert with a certificate)');
  }
  for (const m of o.auth) {
    if (!m || !METHODS[m.type]) throw new SshError('BAD_OPTIONS', `auth: unknown method ${JSON.stringify(m && m.type)}`);
    if (m.type === 'securityKey') checkSecurityKey(m, SshError);
  }
  const hk = o.hostKey;
  if (typeof hk !== 'function' && typeof hk !== 'string' && !(hk && typeof hk === 'object')) {
    throw new SshError('BAD_OPTIONS', 'hostKey: a verify(info) function or known_hosts text is needed');
  }
}

/**
 * Connects, verifies the host key, authenticates; resolves to a Connection.
 * See index.d.ts for the options.
 */
export async function connect(options) {
  // In browsers the engine runs in a Web Worker (js/offthread.js), jump hosts and all;
  // `worker: false` keeps it here.
  if (options && options.worker !== false && typeof Worker !== 'undefined') {
    const off = await import('./offthread.js');
    if (off.wanted(options)) return off.connect(options, { SshError });
  }
  // Jump hosts: a chain of connections, each carried in a direct-tcpip channel of the last.
  if (options && options.jump !== undefined) return connectThroughJumps(options, { Connection, SshError, checkOptions });
  checkOptions(options);
  return new Connection(options).ready;
}

/** One SSH connection. */
export class Connection {
  constructor(options) {
    this.options = options;
    this.engine = null;
    this.early = [];
    this.timer = null;
    this.sessions = new Map();
    this.algorithms = null;
    this.serverVersion = null;
    this.hostKey = null;
    this.closed = false;
    this.closeReason = null;
    this.opened = false;
    this.socketError = '';
    /** The longest single call into the engine so far: { name, ms } (the page's event loop). */
    this.longestCall = { name: '', ms: 0 };
    this.listeners = {};
    this.methodsTried = [];
    /** The jump hosts' connections this one is carried through (set by jump.js). */
    this.via = [];
    this.authQueue = [...options.auth];
    /** The login name: `username`, or the certificate's common name with `userFromCert`. */
    this.username = options.username;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // The socket's handlers are attached at once (a server speaks first, and an already open
    // WebSocket-like object may deliver data before the module is loaded); input waits in a
    // queue until the engine exists.
    // A URL gets a socket that survives drops when the server speaks sshgate.resume.v1
    // (js/resume.js); `reconnecting` is true between a drop and 'resumed'.
    this.reconnecting = false;
    const ws = typeof options.websocket === 'string' ? openSocket(options.websocket, options, (name, info) => this.resumeEvent(name, info)) : options.websocket;
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    if (ws.readyState === 1) this.opened = true;
    ws.onopen = () => {
      this.opened = true;
      if (this.engine) this.pump();
    };
    ws.onmessage = (ev) => (this.engine ? this.input(ev.data) : this.early.push(ev.data));
    ws.onerror = (ev) => (this.socketError = (ev && (ev.message || (ev.error && ev.error.message))) || '');
    ws.onclose = (ev) => this.socketClosed(ev);
    init(options.wasm).then(
      () => this.start(),
      (e) => this.fail(new SshError('WASM_LOAD_FAILED', String(e))),
    );
  }

  start() {
    if (this.closed) return;
    const { algorithms, software } = this.options;
    try {
      // Certificates are loaded first: a wrong passphrase is the caller's to fix, and the
      // login name may come from one (userFromCert).
      this.authQueue = this.authQueue.map((m) => (m.type === 'certificate' ? { ...m, credential: certificateCredential(m) } : m));
      if (this.options.userFromCert) {
        const c = this.authQueue.find((m) => m.type === 'certificate');
        this.username = c ? c.credential.userName() : this.options.username;
      }
    } catch (e) {
      this.fail(asSshError(e, 'CERTIFICATE_INVALID'));
      return;
    }
    let trust;
    try {
      trust = hostCheck(this.options, SshError);
      const openSshHostCertificates = hostCertificateOption(this.hostKeyPolicy());
      // AES keystream from WebCrypto (js/keystream.js) unless `webCrypto: false`.
      const keystreamOffload = this.options.webCrypto !== false && keystreamAvailable() ? KEYSTREAM_MODES : [];
      this.engine = Engine.client(
        { algorithms, software, ...trust, preferHostKeyTypes: this.knownTypes(), openSshHostCertificates, keystreamOffload },
        seed(),
        now(),
      );
      if (keystreamOffload.length) this.keystream = new KeystreamFeeder(this.engine);
    } catch (e) {
      this.fail(asSshError(e, 'BAD_OPTIONS'));
      return;
    }
    // Server certificates are checked against the calendar.
    this.engine.setWallClock(Date.now());
    this.hostName = trust.hostName;
    for (const d of this.early.splice(0)) this.input(d);
    if (this.ws.readyState === 1) this.pump();
  }

  /**
   * The key types the known_hosts text holds for this server: the engine asks for them first
   * (as OpenSSH does), so a device whose trusted key is ed25519 is asked for that key and a
   * changed one is a mismatch, not a new key of another type. `algorithms.hostKey` overrides.
   */
  knownTypes() {
    const hk = this.hostKeyPolicy();
    if (!hk || typeof hk !== 'object' || typeof hk.knownHosts !== 'string' || !hk.host) return undefined;
    return knownHostKeyTypes(hk.knownHosts, hk.host, hk.port || 22);
  }

  /** The `hostKey` option, with known_hosts text given as a string made a policy object. */
  hostKeyPolicy() {
    const hk = this.options.hostKey;
    return typeof hk === 'string' ? { knownHosts: hk, host: this.options.hostName, port: this.options.port } : hk;
  }

  /**
   * Events: 'banner' (text), 'hostKey' (info), 'algorithms' (negotiated names), 'close' (reason),
   * 'reconnecting' ({ attempt, delay, code }) and 'resumed' ({ attempts, replayed }).
   */
  on(name, fn) {
    (this.listeners[name] ||= []).push(fn);
    return this;
  }

  emit(name, value) {
    for (const fn of this.listeners[name] || []) fn(value);
  }

  /** Runs one engine call and keeps the longest one's duration. */
  timed(name, fn) {
    const t0 = now();
    try {
      return fn();
    } finally {
      const ms = now() - t0;
      if (ms > this.longestCall.ms) this.longestCall = { name, ms };
    }
  }

  resumeEvent(name, info) {
    this.reconnecting = name === 'reconnecting';
    this.emit(name, info);
  }

  input(data) {
    if (this.closed) return;
    if (this.keepalive) this.keepalive.alive();
    const bytes = toBytes(data);
    try {
      this.timed('handleInput', () => this.engine.handleInput(bytes, now()));
    } catch (e) {
      // The engine recorded why; a DISCONNECT may be queued. pump() reports it.
    }
    this.pump();
  }

  /** The run loop's drain: send output, handle events, re-arm the timer. */
  pump() {
    if (!this.engine) return;
    for (;;) {
      let progressed = false;
      const out = this.engine.pollTransmit();
      if (out !== undefined) {
        progressed = true;
        // SSH is a byte stream: a big queued upload goes out in several messages, each within
        // what a bridge accepts (sshgate-host's limit is 1 MiB by default).
        if (this.ws.readyState === 1) {
          for (let at = 0; at < out.length; at += MESSAGE_MAX) this.ws.send(at === 0 && out.length <= MESSAGE_MAX ? out : out.subarray(at, at + MESSAGE_MAX));
        }
      }
      let ev;
      while ((ev = this.engine.pollEvent()) !== undefined) {
        progressed = true;
        this.handle(ev);
      }
      if (!progressed) break;
    }
    clearTimeout(this.timer);
    if (this.keystream) this.keystream.topUp();
    if (this.engine.isClosed() && !this.closed) this.finish(this.engine.closeReason());
    const t = this.engine.pollTimeout();
    if (t !== undefined && !this.closed) {
      this.timer = setTimeout(() => {
        this.timed('handleTimeout', () => this.engine.handleTimeout(now()));
        this.pump();
      }, Math.max(0, t - now()));
    }
  }

  /** Calls the engine for an answer or a request; a throw ends the connection with its error. */
  call(name, fn) {
    try {
      this.timed(name, fn);
    } catch (e) {
      // A refusal that ends the connection is reported by finish(), with our reason first.
      if (this.engine.isClosed()) this.failure ||= asSshError(e, 'PROTOCOL_ERROR');
      else this.abort(asSshError(e, 'PROTOCOL_ERROR'));
    }
    this.pump();
  }

  handle(ev) {
    switch (ev.type) {
      case 'keystreamKeys':
        if (this.keystream) this.keystream.keys(ev);
        break;
      case 'peerVersion':
        this.serverVersion = ev.version;
        break;
      case 'hostKey':
        this.hostKey = ev;
        this.emit('hostKey', ev);
        this.verifyHostKey(ev).then(
          (ok) => {
            if (!ok) this.hostKeyError ||= new SshError('HOST_KEY_REJECTED', `host key ${ev.fingerprint} was not trusted`);
            this.call('answerHostKey', () => this.engine.answerHostKey(ok));
          },
          (e) => {
            this.hostKeyError = asSshError(e, 'HOST_KEY_REJECTED');
            this.call('answerHostKey', () => this.engine.answerHostKey(false));
          },
        );
        break;
      case 'kexComplete':
        this.algorithms = ev.algorithms;
        this.emit('algorithms', ev.algorithms);
        if (ev.initial) this.engine.requestUserAuth();
        break;
      case 'serviceAccepted':
        this.call('authNone', () => this.engine.authNone(this.username));
        break;
      case 'banner':
        if (this.options.onBanner) this.options.onBanner(ev.message);
        this.emit('banner', ev.message);
        break;
      case 'authFailure':
        this.nextAuth(ev.methods);
        break;
      case 'globalAnswered':
        if (this.keepalive) this.keepalive.alive();
        break;
      case 'authSuccess':
        this.authenticated = true;
        this.keepalive = startKeepalive(this, SshError);
        this.resolveReady(this);
        break;
      case 'prompt':
        this.answerPrompt(ev).catch((e) => this.abort(asSshError(e, 'CALLBACK_FAILED')));
        break;
      case 'passwordChange':
        this.answerPasswordChange(ev).catch((e) => this.abort(asSshError(e, 'CALLBACK_FAILED')));
        break;
      case 'signRequest':
        this.answerSignRequest(ev).catch((e) => this.abort(asSshError(e, 'SECURITY_KEY_FAILED')));
        break;
      case 'closed':
        this.finish(ev.error);
        break;
      default:
        if (ev.channel !== undefined) {
          const s = this.sessions.get(ev.channel);
          if (s) s.handle(ev);
        }
    }
  }

  /**
   * The host key policy: a function decides; known_hosts text (a string, or
   * `{ knownHosts, host, port, verify }`) is checked by the engine, and a key the text does
   * not know goes to `verify` if there is one, else it is refused.
   */
  async verifyHostKey(info) {
    const hk = this.hostKeyPolicy();
    if (typeof hk === 'function') return Boolean(await hk({ ...info, status: 'unknown' }));
    // RFC 6187: a chain to a trusted CA, issued for the name asked for, needs no question. A
    // refused one leaves the leaf key to known_hosts and `verify`, as OpenSSH-style clients do,
    // and without their yes it is refused with the certificate's reason.
    const cert = info.certificate;
    if (cert && cert.valid) return true;
    // OpenSSH host certificates: a @cert-authority of the known_hosts text vouches, or the key
    // is looked up as a plain key next (as OpenSSH falls back to it).
    const sshCert = checkHostCertificate(hk, info, SshError);
    if (sshCert === true) return true;
    const refused = () =>
      sshCert ? openSshCertificateRefused(SshError, hk, info, sshCert) : hostCertificateRefused(SshError, this.hostName, info);
    let status = 'unknown';
    if (hk.knownHosts !== undefined) {
      if (!hk.host) throw new SshError('BAD_OPTIONS', 'hostKey.host is needed to look the key up in known_hosts text');
      const found = checkKnownHosts(hk.knownHosts, hk.host, hk.port || 22, info.publicKey);
      status = found.status;
      if (status === 'match') return true;
      if (status === 'mismatch' || status === 'revoked') {
        const what = status === 'revoked' ? 'is revoked' : `does not match the one on line ${found.line}`;
        throw new SshError(
          status === 'revoked' ? 'HOST_KEY_REVOKED' : 'HOST_KEY_MISMATCH',
          `the host key of ${hk.host} (${info.keyType} ${info.fingerprint}) ${what} of known_hosts`,
          { fingerprint: info.fingerprint },
        );
      }
    }
    if (typeof hk.verify === 'function') {
      const ok = Boolean(await hk.verify({ ...info, status }));
      if (!ok && (cert || sshCert)) throw refused();
      return ok;
    }
    if (cert || sshCert) throw refused();
    return false;
  }

  nextAuth(allowed) {
    const user = this.username;
    while (this.authQueue.length) {
      const m = this.authQueue.shift();
      const method = METHODS[m.type];
      if (!allowed.includes(method)) continue;
      if (m.type === 'certificate') {
        // A server whose server-sig-algs lists no x509v3-* algorithm (e.g. OpenSSH) cannot
        // take it: the next entry is tried, as the native client does.
        try {
          this.timed('authCertificate', () => this.engine.authCertificate(user, m.credential));
        } catch (e) {
          this.certificateSkipped = e.message;
          continue;
        }
        this.methodsTried.push('certificate');
        this.currentAuth = m;
        this.pump();
        return;
      }
      this.methodsTried.push(method);
      this.currentAuth = m;
      try {
        this.timed(method, () => {
          if (m.type === 'securityKey') this.engine.authPublicKeyExternal(user, m.publicKey);
          else if (method === 'password') this.engine.authPassword(user, m.password);
          else if (method === 'publickey') sendPublicKey(this, user, m);
          else this.engine.authKeyboardInteractive(user);
        });
      } catch (e) {
        // A key that does not parse (or needs a passphrase) is the caller's to fix: say so.
        this.abort(asSshError(e, 'BAD_OPTIONS'));
        return;
      }
      this.pump();
      return;
    }
    const tried = this.methodsTried.length ? this.methodsTried.join(', ') : 'none the server offers';
    const extra = { methods: allowed, tried: [...this.methodsTried] };
    let why = `Permission denied (${allowed.join(',')}); tried: ${tried}`;
    if (this.certificateSkipped) why += `; certificate not offered: ${this.certificateSkipped}`;
    // Only certificates were tried and refused: the server did not accept the certificate (its
    // CA, purpose, validity or mapping to the user); say whose it was.
    if (this.methodsTried.length && this.methodsTried.every((t) => t === 'certificate')) {
      const c = this.currentAuth.credential.info;
      this.abort(new SshError('CERTIFICATE_REFUSED', `the server refused the certificate ${describeCertificate(c)} for ${this.username}: ${why}`, extra));
      return;
    }
    this.abort(new SshError('AUTH_FAILED', why, extra));
  }

  async answerPrompt(ev) {
    const m = this.currentAuth || {};
    const cb = m.onPrompt || this.options.onPrompt;
    let answers;
    if (cb) answers = await cb(ev);
    else if (m.password !== undefined && ev.prompts.length === 1) answers = [m.password];
    else answers = ev.prompts.map(() => '');
    this.call('answerPrompts', () => this.engine.answerPrompts(ev.id, answers));
  }

  async answerPasswordChange(ev) {
    const cb = (this.currentAuth && this.currentAuth.onPasswordChange) || this.options.onPasswordChange;
    if (!cb) throw new SshError('PASSWORD_EXPIRED', `the password has expired: ${ev.prompt}`);
    const [oldPw, newPw] = await cb(ev);
    this.call('changePassword', () => this.engine.changePassword(ev.id, oldPw, newPw));
  }

  /** A security key entry signs the request's data through WebAuthn (js/webauthn.js). */
  async answerSignRequest(ev) {
    const m = this.currentAuth;
    if (!m || m.type !== 'securityKey') throw new SshError('PROTOCOL_ERROR', 'a signature was asked for without a security key');
    const a = await securityKeyAssertion(m, ev.data, SshError);
    if (this.closed) return;
    this.call('answerSignRequest', () =>
      this.engine.answerSignRequestWebauthn(ev.id, ev.data, a.authenticatorData, a.clientDataJSON, a.signature),
    );
  }

  /** Ends the connection with `err` as the reason `connect` rejects with. */
  abort(err) {
    this.failure ||= err;
    if (!this.engine) {
      this.fail(err);
      return;
    }
    if (!this.engine.isClosed()) this.engine.disconnect(err.message);
    this.pump();
  }

  /** Ends without the engine (it never started). */
  fail(err) {
    if (this.closed) return;
    this.closed = true;
    if (this.keystream) this.keystream.close();
    this.closeReason = { code: err.code, reason: 0, message: err.message };
    this.rejectReady(err);
    this.emit('close', this.closeReason);
    try {
      this.ws.close();
    } catch {}
  }

  finish(error) {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    if (this.keepalive) this.keepalive.stop();
    if (this.keystream) this.keystream.close();
    const err = this.hostKeyError || this.failure || new SshError(error.code, error.message, { reason: error.reason });
    this.closeReason = { ...error, code: err.code, message: err.message };
    if (!this.authenticated) this.rejectReady(err);
    for (const s of this.sessions.values()) s.connectionClosed(err);
    this.emit('close', this.closeReason);
    try {
      this.ws.close();
    } catch {}
  }

  socketClosed(ev) {
    if (this.closed) return;
    const code = ev && ev.code ? ev.code : 1006;
    const why = ev && ev.reason ? `: ${ev.reason}` : this.socketError ? `: ${this.socketError}` : '';
    // A carrier that is not a WebSocket (a jump host's channel) says why it ended itself.
    const err = ev && ev.error instanceof SshError ? ev.error : this.opened
      ? new SshError('BRIDGE_CLOSED', `the WebSocket was closed (${code}${why})`, { closeCode: code })
      : new SshError('BRIDGE_REFUSED', `the WebSocket could not be opened (${code}${why})`, { closeCode: code });
    this.failure ||= err;
    if (!this.engine) {
      this.fail(err);
      return;
    }
    this.finish({ code: err.code, reason: 0, message: err.message });
  }

  openSession() {
    const id = this.engine.openSession();
    const s = new Session(this, id);
    this.sessions.set(id, s);
    this.pump();
    return s;
  }

  /** An interactive shell with a PTY. */
  async shell({ term = 'xterm-256color', cols = 80, rows = 24, env = {} } = {}) {
    const s = this.openSession();
    await s.opened;
    for (const [k, v] of Object.entries(env)) this.engine.setEnv(s.id, k, String(v));
    // Both answers may come in one input: each is waited for from the moment it is asked.
    const pty = s.request();
    this.engine.requestPty(s.id, term, cols, rows);
    const shell = s.request();
    this.engine.requestShell(s.id);
    this.pump();
    await pty;
    await shell;
    return s;
  }

  /** Runs `command`; resolves to { stdout, stderr, code, signal } (bytes as Uint8Array). */
  async exec(command, { stdin } = {}) {
    const s = this.openSession();
    const out = [];
    const err = [];
    s.onData((d) => out.push(d.slice()));
    s.onStderr((d) => err.push(d.slice()));
    await s.opened;
    const answered = s.request();
    this.engine.requestExec(s.id, command);
    this.pump();
    await answered;
    if (stdin !== undefined) s.write(stdin);
    s.end();
    const exit = await s.exited;
    return { stdout: concat(out), stderr: concat(err), code: exit.code, signal: exit.signal };
  }

  /** An SFTP client on a `subsystem sftp` channel (js/sftp.js); resolves to an Sftp. */
  sftp() {
    return openSftp(this);
  }

  /** Downloads one file over legacy SCP (`scp -f`, js/scp.js); resolves to its bytes. */
  scpGet(path, opts) {
    return scpGet(this, path, opts);
  }

  /** Uploads one file over legacy SCP (`scp -t`). */
  scpPut(path, data, opts) {
    return scpPut(this, path, data, opts);
  }

  /**
   * A `direct-tcpip` channel (RFC 4254 §7.2) to `host:port` as the server reaches it;
   * resolves to a TcpChannel once the server has connected (CHANNEL_REFUSED if it could not).
   */
  async forwardOut(host, port, { originator = '127.0.0.1', originatorPort = 0 } = {}) {
    if (this.closed || !this.authenticated) throw new SshError('CLOSED_LOCALLY', 'forwardOut needs an open, authenticated connection');
    let id;
    try {
      id = this.engine.openDirectTcpip(String(host), Number(port), String(originator), Number(originatorPort));
    } catch (e) {
      throw asSshError(e, 'BAD_OPTIONS');
    }
    const ch = new TcpChannel(this, id, SshError, { host, port });
    this.sessions.set(id, ch);
    this.pump();
    return ch.opened;
  }

  /** Ends the connection (SSH_MSG_DISCONNECT); resolves when it is closed. */
  close() {
    if (!this.closed && this.engine) {
      this.engine.disconnect('disconnected by user');
      this.pump();
    } else if (!this.closed) this.fail(new SshError('CLOSED_LOCALLY', 'closed before the engine started'));
    return Promise.resolve();
  }
}

/** One session channel. */
export class Session {
  constructor(conn, id) {
    this.conn = conn;
    this.id = id;
    this.dataFns = [];
    this.stderrFns = [];
    this.exitFns = [];
    this.pendingReplies = [];
    this.early = [];
    this.outQueue = [];
    this.eofWanted = false;
    this.isClosed = false;
    this.exitInfo = { code: null, signal: null };
    this.opened = new Promise((res, rej) => {
      this.openOk = res;
      this.openFail = rej;
    });
    this.opened.catch(() => {});
    this.exited = new Promise((res) => (this.exitDone = res));
  }

  /** The answer to the next request sent with want-reply (call it before sending). */
  request() {
    const p = new Promise((res, rej) => this.pendingReplies.push({ res, rej }));
    p.catch(() => {});
    return p;
  }

  /** Runs `command` on this session (answered: resolves; refused: REQUEST_REFUSED). */
  exec(command) {
    const answered = this.request();
    this.conn.engine.requestExec(this.id, command);
    this.conn.pump();
    return answered;
  }

  deliver(fns, data) {
    // A listener in the page's thread is handed the buffer itself (js/worker.js): the length is
    // read first, and with several listeners each but the last gets its own copy.
    const n = data.length;
    fns.forEach((fn, i) => fn(i === fns.length - 1 ? data : data.slice()));
    if (!this.isClosed) this.conn.engine.consume(this.id, n);
  }

  handle(ev) {
    const e = this.conn.engine;
    switch (ev.type) {
      case 'opened':
        this.openOk(this);
        break;
      case 'openFailed':
        this.openFail(new SshError('CHANNEL_REFUSED', ev.description, { reason: ev.reason }));
        break;
      case 'requestAnswered': {
        const p = this.pendingReplies.shift();
        if (p && ev.success) p.res();
        else if (p) p.rej(new SshError('REQUEST_REFUSED', 'the server refused the request'));
        break;
      }
      case 'data':
        // Output before the first onData (a shell's prompt, in the same input as the answer
        // to `shell`) waits for it, unconsumed, so nothing is lost.
        if (this.dataFns.length) this.deliver(this.dataFns, ev.data);
        else this.early.push(ev);
        break;
      case 'extendedData':
        if (this.stderrFns.length) this.deliver(this.stderrFns, ev.data);
        else if (this.dataFns.length) this.deliver(this.dataFns, ev.data);
        else this.early.push(ev);
        break;
      case 'request':
        if (ev.request.name === 'exit-status') this.exitInfo.code = ev.request.code;
        if (ev.request.name === 'exit-signal') this.exitInfo.signal = ev.request.signal;
        break;
      case 'writable':
        this.flush();
        break;
      case 'channelClosed':
        this.isClosed = true;
        this.conn.sessions.delete(this.id);
        this.ended();
        break;
      default:
    }
  }

  ended() {
    for (const fn of this.exitFns) fn(this.exitInfo);
    this.exitDone(this.exitInfo);
  }

  connectionClosed(err) {
    this.isClosed = true;
    this.openFail(err);
    for (const p of this.pendingReplies.splice(0)) p.rej(err);
    this.ended();
  }

  onData(fn) {
    this.dataFns.push(fn);
    this.replay();
    return this;
  }

  onStderr(fn) {
    this.stderrFns.push(fn);
    this.replay();
    return this;
  }

  /** Hands held output to the listener just registered. */
  replay() {
    if (!this.early.length) return;
    for (const ev of this.early.splice(0)) this.handle(ev);
    this.conn.pump();
  }

  onExit(fn) {
    this.exitFns.push(fn);
    return this;
  }

  /** Sends bytes (or text); what the window cannot take now is queued and sent on `writable`. */
  write(data) {
    this.outQueue.push(toBytes(data));
    this.flush();
  }

  /** Bytes accepted by write() but not yet taken by the peer's window. */
  get pending() {
    return this.outQueue.reduce((n, b) => n + b.length, 0);
  }

  flush() {
    const e = this.conn.engine;
    if (this.isClosed) {
      this.outQueue = [];
      return;
    }
    while (this.outQueue.length) {
      const head = this.outQueue[0];
      const n = e.sendData(this.id, head);
      if (n < head.length) {
        this.outQueue[0] = head.subarray(n);
        break;
      }
      this.outQueue.shift();
    }
    if (!this.outQueue.length && this.eofWanted) {
      this.eofWanted = false;
      e.sendEof(this.id);
    }
    this.conn.pump();
  }

  /** No more input (EOF after queued data). */
  end() {
    this.eofWanted = true;
    this.flush();
  }

  resize(cols, rows) {
    if (this.isClosed) return;
    this.conn.engine.windowChange(this.id, cols, rows);
    this.conn.pump();
  }

  /** Sends a signal by name without `SIG` (`INT`, `TERM`, ...). */
  signal(name) {
    if (this.isClosed) return;
    this.conn.engine.signal(this.id, name);
    this.conn.pump();
  }

  close() {
    if (this.isClosed) return;
    this.conn.engine.closeChannel(this.id);
    this.conn.pump();
  }
}
