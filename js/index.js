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
// Nothing here knows SSH: every protocol decision is the engine's; this file moves bytes, time
// and the user's answers.

import initWasm, { initSync, Engine } from './sshgate_wasm.js';

export { Engine };

let ready = null;

/** Loads the WebAssembly module (once). In Node it is read from the package directory. */
export function init(wasm) {
  if (!ready) {
    ready = (async () => {
      if (wasm !== undefined) {
        return initWasm({ module_or_path: wasm });
      }
      if (typeof process !== 'undefined' && process.versions && process.versions.node) {
        const { readFile } = await import('node:fs/promises');
        const bytes = await readFile(new URL('./sshgate_wasm_bg.wasm', import.meta.url));
        return initSync({ module: bytes });
      }
      return initWasm();
    })();
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

function openSocket(websocket) {
  const ws = typeof websocket === 'string' ? new WebSocket(websocket) : websocket;
  ws.binaryType = 'arraybuffer';
  return ws;
}

/** Matches a host key against known_hosts text (plain entries; `host` or `[host]:port`). */
export function knownHostsMatch(text, hostName, info) {
  const want = info.publicKey.split(' ').slice(0, 2).join(' ');
  let sawHost = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, type, key] = line.split(/\s+/);
    if (!hosts || !type || !key) continue;
    if (!hosts.split(',').includes(hostName)) continue;
    if (`${type} ${key}` === want) return 'known';
    if (type === info.keyType) sawHost = true;
  }
  return sawHost ? 'changed' : 'unknown';
}

/**
 * Connects, verifies the host key, authenticates; resolves to a Connection.
 * options: { websocket, username, auth: [...], hostKey, hostName, algorithms, onBanner,
 *            onPrompt(prompt) => Promise<string[]>, onPasswordChange(prompt) => Promise<[old,new]> }
 */
export async function connect(options) {
  // The socket's handlers are attached at once (a server speaks first, and an already open
  // WebSocket-like object may deliver data before the module is loaded); input waits in a
  // queue until the engine exists.
  const conn = new Connection(options);
  return conn.ready;
}

/** One SSH connection. */
export class Connection {
  constructor(options) {
    this.options = options;
    this.engine = null;
    this.early = [];
    this.ws = openSocket(options.websocket);
    this.timer = null;
    this.sessions = new Map();
    this.algorithms = null;
    this.closed = false;
    this.closeReason = null;
    this.listeners = { banner: [], close: [], algorithms: [] };
    this.methodsTried = [];
    this.authQueue = [...(options.auth || [])];
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ws.onopen = () => this.engine && this.pump();
    this.ws.onmessage = (ev) => (this.engine ? this.input(ev.data) : this.early.push(ev.data));
    this.ws.onerror = () => {};
    this.ws.onclose = (ev) => this.socketClosed(ev);
    init(options.wasm).then(
      () => {
        try {
          this.engine = Engine.client({ algorithms: options.algorithms, software: options.software }, seed(), now());
        } catch (e) {
          this.rejectReady(new SshError('BAD_OPTIONS', e.message));
          this.ws.close();
          return;
        }
        for (const d of this.early.splice(0)) this.input(d);
        if (this.ws.readyState === 1) this.pump();
      },
      (e) => this.rejectReady(new SshError('WASM_LOAD_FAILED', String(e))),
    );
  }

  /** 'banner' (text), 'close' (reason), 'algorithms' (negotiated names). */
  on(name, fn) {
    (this.listeners[name] ||= []).push(fn);
    return this;
  }

  emit(name, value) {
    for (const fn of this.listeners[name] || []) fn(value);
  }

  input(data) {
    if (this.closed) return;
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : toBytes(data);
    try {
      this.engine.handleInput(bytes, now());
    } catch (e) {
      // The engine recorded why; a DISCONNECT may be queued. pump() reports it.
    }
    this.pump();
  }

  /** The run loop's drain: send output, handle events, re-arm the timer. */
  pump() {
    for (let i = 0; i < 10000; i++) {
      let progressed = false;
      const out = this.engine.pollTransmit();
      if (out !== undefined) {
        progressed = true;
        if (this.ws.readyState === 1) this.ws.send(out);
      }
      let ev;
      while ((ev = this.engine.pollEvent()) !== undefined) {
        progressed = true;
        this.handle(ev);
      }
      if (!progressed) break;
    }
    clearTimeout(this.timer);
    const t = this.engine.pollTimeout();
    if (t !== undefined && !this.closed) {
      this.timer = setTimeout(() => {
        this.engine.handleTimeout(now());
        this.pump();
      }, Math.max(0, t - now()));
    }
  }

  handle(ev) {
    switch (ev.type) {
      case 'hostKey':
        this.hostKey = ev;
        this.verifyHostKey(ev).then(
          (ok) => {
            if (!ok) this.hostKeyRejected = true;
            try {
              this.engine.answerHostKey(ok);
            } catch (e) {}
            this.pump();
          },
          () => {
            this.hostKeyRejected = true;
            this.engine.answerHostKey(false);
            this.pump();
          },
        );
        break;
      case 'kexComplete':
        this.algorithms = ev.algorithms;
        this.emit('algorithms', ev.algorithms);
        if (ev.initial) this.engine.requestUserAuth();
        break;
      case 'serviceAccepted':
        this.engine.authNone(this.options.username);
        break;
      case 'banner':
        if (this.options.onBanner) this.options.onBanner(ev.message);
        this.emit('banner', ev.message);
        break;
      case 'authFailure':
        this.nextAuth(ev.methods, ev.partialSuccess);
        break;
      case 'authSuccess':
        this.authenticated = true;
        this.resolveReady(this);
        break;
      case 'prompt':
        this.answerPrompt(ev).catch((e) => this.abort(e));
        break;
      case 'passwordChange':
        this.answerPasswordChange(ev).catch((e) => this.abort(e));
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

  async verifyHostKey(info) {
    const hk = this.options.hostKey;
    if (typeof hk === 'function') return Boolean(await hk(info));
    if (typeof hk === 'string') {
      const name = this.options.hostName;
      if (!name) throw new SshError('BAD_OPTIONS', 'hostName is needed to check known_hosts text');
      return knownHostsMatch(hk, name, info) === 'known';
    }
    // No policy given: refuse, as a strict client does.
    return false;
  }

  nextAuth(allowed) {
    const user = this.options.username;
    while (this.authQueue.length) {
      const m = this.authQueue.shift();
      const method = { password: 'password', key: 'publickey', keyboardInteractive: 'keyboard-interactive' }[m.type];
      if (!method || !allowed.includes(method)) continue;
      this.methodsTried.push(method);
      try {
        if (m.type === 'password') this.engine.authPassword(user, m.password);
        else if (m.type === 'key') this.engine.authPublicKey(user, m.privateKey, m.passphrase);
        else this.engine.authKeyboardInteractive(user);
        this.currentAuth = m;
        return;
      } catch (e) {
        this.methodsTried.push(`${method} (${e.message})`);
      }
    }
    const tried = this.methodsTried.length ? this.methodsTried.join(', ') : 'none usable';
    const err = new SshError('AUTH_FAILED', `Permission denied (${allowed.join(',')}); tried: ${tried}`, {
      methods: allowed,
      tried: this.methodsTried,
    });
    this.rejectReady(err);
    this.engine.disconnect('no more authentication methods to try');
    this.pump();
  }

  async answerPrompt(ev) {
    const m = this.currentAuth || {};
    const cb = m.onPrompt || this.options.onPrompt;
    let answers;
    if (cb) answers = await cb(ev);
    else if (m.password !== undefined && ev.prompts.length === 1) answers = [m.password];
    else answers = ev.prompts.map(() => '');
    this.engine.answerPrompts(ev.id, answers);
    this.pump();
  }

  async answerPasswordChange(ev) {
    const cb = (this.currentAuth && this.currentAuth.onPasswordChange) || this.options.onPasswordChange;
    if (!cb) {
      this.rejectReady(new SshError('PASSWORD_EXPIRED', ev.prompt));
      this.engine.disconnect('password change needed');
      this.pump();
      return;
    }
    const [oldPw, newPw] = await cb(ev);
    this.engine.changePassword(ev.id, oldPw, newPw);
    this.pump();
  }

  /** A callback failed: end the connection with its error. */
  abort(e) {
    this.rejectReady(e instanceof SshError ? e : new SshError('CALLBACK_FAILED', String(e && e.message ? e.message : e)));
    this.engine.disconnect('authentication cancelled');
    this.pump();
  }

  finish(error) {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    let err = error;
    if (this.hostKeyRejected) {
      err = { ...error, code: 'HOST_KEY_REJECTED', message: `host key ${this.hostKey.fingerprint} was not trusted` };
    }
    this.closeReason = err;
    const e = new SshError(err.code, err.message, { reason: err.reason });
    if (!this.authenticated) this.rejectReady(e);
    for (const s of this.sessions.values()) s.connectionClosed(e);
    this.emit('close', err);
    try {
      this.ws.close();
    } catch (x) {}
  }

  socketClosed(ev) {
    if (this.closed) return;
    if (!this.engine) {
      this.closed = true;
      this.rejectReady(new SshError('CONNECTION_LOST', 'the WebSocket closed before the SSH handshake'));
      return;
    }
    this.finish({
      code: 'CONNECTION_LOST',
      reason: 10,
      message: `the WebSocket closed (${ev && ev.code ? ev.code : 'no code'}${ev && ev.reason ? `: ${ev.reason}` : ''})`,
    });
  }

  openSession() {
    const id = this.engine.openSession();
    const s = new Session(this, id);
    this.sessions.set(id, s);
    this.pump();
    return s;
  }

  /** An interactive shell with a PTY. */
  async shell({ term = 'xterm-256color', cols = 80, rows = 24 } = {}) {
    const s = this.openSession();
    await s.opened;
    this.engine.requestPty(s.id, term, cols, rows);
    this.engine.requestShell(s.id);
    this.pump();
    await s.request();
    await s.request();
    return s;
  }

  /** Runs `command`; resolves to { stdout, stderr, code, signal } (bytes as Uint8Array). */
  async exec(command, { stdin } = {}) {
    const s = this.openSession();
    const out = [];
    const err = [];
    s.onData((d) => out.push(d));
    s.onStderr((d) => err.push(d));
    await s.opened;
    this.engine.requestExec(s.id, command);
    this.pump();
    await s.request();
    if (stdin !== undefined) s.write(stdin);
    s.end();
    const exit = await s.exited;
    const cat = (parts) => {
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      return all;
    };
    return { stdout: cat(out), stderr: cat(err), code: exit.code, signal: exit.signal };
  }

  close() {
    if (!this.closed) {
      this.engine.disconnect('disconnected by user');
      this.pump();
    }
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
    this.outQueue = [];
    this.eofWanted = false;
    this.exitInfo = { code: null, signal: null };
    this.opened = new Promise((res, rej) => {
      this.openOk = res;
      this.openFail = rej;
    });
    this.exited = new Promise((res) => {
      this.exitDone = res;
    });
  }

  request() {
    return new Promise((res, rej) => this.pendingReplies.push({ res, rej }));
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
        if (p) {
          if (ev.success) p.res();
          else p.rej(new SshError('REQUEST_REFUSED', 'the server refused the request'));
        }
        break;
      }
      case 'data':
        for (const fn of this.dataFns) fn(ev.data);
        e.consume(this.id, ev.data.length);
        break;
      case 'extendedData':
        for (const fn of this.stderrFns.length ? this.stderrFns : this.dataFns) fn(ev.data);
        e.consume(this.id, ev.data.length);
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
        for (const fn of this.exitFns) fn(this.exitInfo);
        this.exitDone(this.exitInfo);
        break;
      default:
    }
  }

  connectionClosed(err) {
    this.isClosed = true;
    this.openFail(err);
    for (const p of this.pendingReplies.splice(0)) p.rej(err);
    for (const fn of this.exitFns) fn(this.exitInfo);
    this.exitDone(this.exitInfo);
  }

  onData(fn) {
    this.dataFns.push(fn);
    return this;
  }

  onStderr(fn) {
    this.stderrFns.push(fn);
    return this;
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

  flush() {
    const e = this.conn.engine;
    if (this.isClosed) {
      // The remote side closed: nothing more can be sent.
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
