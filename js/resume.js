// Surviving a dropped WebSocket (docs/resume-protocol.md, `sshgate.resume.v1`). When the bridge
// or serve accepts the subprotocol, the Connection's "WebSocket" is this object: every byte the
// engine sends is framed and kept until the server acknowledges it; when the socket drops, it
// reconnects with backoff, says RESUME (session id, bytes received, bytes sent), and the server
// and this side each replay what the other did not get. The engine sees one unbroken byte
// stream: no gap, nothing twice. A server that does not answer the subprotocol gets the plain
// bytes, as before (the offer is `ssh, sshgate.resume.v1`, and older bridges pick `ssh`).

export const SUBPROTOCOL = 'sshgate.resume.v1';

const DATA = 0;
const ACK = 1;
const SESSION = 2;
const RESUME = 3;
const RESUMED = 4;
const MAX_PAYLOAD = 64 * 1024;
/** An ACK goes out once this many bytes arrived unacknowledged, or ACK_DELAY ms after the first. */
const ACK_EVERY = 64 * 1024;
const ACK_DELAY = 1000;
/** Reconnect backoff: 250 ms doubling to 5 s, jittered. */
const BACKOFF_FIRST = 250;
const BACKOFF_MAX = 5000;
/** Close codes after which the session is over (the server said so); others are drops. */
const RETRY = new Set([1005, 1006, 1012, 1013, 1014, 4409]);

function frame(tag, body) {
  const m = new Uint8Array(1 + body.length);
  m[0] = tag;
  m.set(body, 1);
  return m;
}

function u64(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

function dataFrame(ack, payload) {
  const m = new Uint8Array(9 + payload.length);
  m[0] = DATA;
  new DataView(m.buffer).setBigUint64(1, BigInt(ack));
  m.set(payload, 9);
  return m;
}

function toBytes(d) {
  if (d instanceof Uint8Array) return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  return new TextEncoder().encode(String(d));
}

/**
 * The Connection's socket for a `websocket` URL: resumable unless `resume: false`. `emit` gets
 * ('reconnecting', { attempt, delay, code }) and ('resumed', { attempts, replayed }).
 */
export function openSocket(url, options, emit) {
  const r = options.resume;
  const Ctor = (r && r.WebSocket) || globalThis.WebSocket;
  if (typeof Ctor !== 'function') throw new TypeError('no WebSocket here: pass a WebSocket object, or resume: { WebSocket }');
  if (r === false) return new Ctor(url);
  return new ResumableSocket(url, Ctor, r && typeof r === 'object' ? r : {}, emit);
}

/** A WebSocket-like object (readyState, send, close, on* handlers) over successive sockets. */
export class ResumableSocket {
  constructor(url, Ctor, { timeout = 60000 } = {}, emit = () => {}) {
    this.url = url;
    this.Ctor = Ctor;
    this.timeout = timeout;
    this.emit = emit;
    this.readyState = 0;
    this.binaryType = 'arraybuffer';
    this.protocol = '';
    this.onopen = this.onmessage = this.onerror = this.onclose = null;
    /** null until the first socket opens, then 'plain' or 'resume'. */
    this.mode = null;
    this.sid = null;
    this.recv = 0; // server bytes received
    this.sent = 0; // bytes sent (framed) in all
    this.acked = 0; // of those, acknowledged by the server
    this.held = []; // unacknowledged chunks, oldest first: sent - acked bytes
    this.ackedOut = 0;
    this.ackTimer = null;
    this.retryTimer = null;
    this.attached = false; // a socket is open and resumed (or new)
    this.droppedAt = 0;
    this.attempt = 0;
    this.closing = false;
    this.open(true);
  }

  open(first) {
    let ws;
    try {
      ws = new this.Ctor(this.url, first ? ['ssh', SUBPROTOCOL] : [SUBPROTOCOL]);
    } catch (e) {
      if (first) throw e;
      this.retry(1006);
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => this.ws === ws && this.opened(ws, first);
    ws.onmessage = (ev) => this.ws === ws && this.message(ev.data);
    ws.onerror = (ev) => this.ws === ws && !this.mode && this.onerror && this.onerror(ev);
    ws.onclose = (ev) => this.ws === ws && this.dropped(ev);
  }

  opened(ws, first) {
    if (!first) {
      // The session id and both counts: the server checks them and answers RESUMED.
      const body = new Uint8Array(32);
      body.set(this.sid, 0);
      body.set(u64(this.recv), 16);
      body.set(u64(this.sent), 24);
      ws.send(frame(RESUME, body));
      return;
    }
    this.protocol = ws.protocol || '';
    this.mode = this.protocol === SUBPROTOCOL ? 'resume' : 'plain';
    this.attached = true;
    this.readyState = 1;
    if (this.onopen) this.onopen({});
  }

  /** Bytes from the engine. */
  send(data) {
    if (this.readyState !== 1) return;
    const bytes = toBytes(data);
    if (this.mode === 'plain') {
      this.ws.send(bytes);
      return;
    }
    for (let at = 0; at < bytes.length; at += MAX_PAYLOAD) {
      const chunk = bytes.slice(at, at + MAX_PAYLOAD);
      this.held.push(chunk);
      this.sent += chunk.length;
      if (this.attached) this.ws.send(dataFrame(this.recv, chunk));
    }
    if (this.attached) this.ackSent();
  }

  ackSent() {
    this.ackedOut = this.recv;
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  sendAck() {
    if (!this.attached || this.recv === this.ackedOut) return;
    this.ws.send(frame(ACK, u64(this.recv)));
    this.ackSent();
  }

  /** The server has `n` of our bytes: what it holds is released. */
  release(n) {
    if (n < this.acked || n > this.sent) throw new Error(`acknowledgement ${n} outside ${this.acked}..${this.sent}`);
    let drop = n - this.acked;
    while (drop > 0) {
      const head = this.held[0];
      if (head.length <= drop) {
        this.held.shift();
        drop -= head.length;
      } else {
        this.held[0] = head.subarray(drop);
        drop = 0;
      }
    }
    this.acked = n;
  }

  message(data) {
    if (this.mode === 'plain') {
      if (this.onmessage) this.onmessage({ data });
      return;
    }
    const m = toBytes(data);
    const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
    const num = (at) => Number(view.getBigUint64(at));
    try {
      switch (m[0]) {
        case DATA: {
          if (m.length < 10) throw new Error('short DATA');
          this.release(num(1));
          const payload = m.slice(9);
          this.recv += payload.length;
          if (this.recv - this.ackedOut >= ACK_EVERY) this.sendAck();
          else if (!this.ackTimer) this.ackTimer = setTimeout(() => this.sendAck(), ACK_DELAY);
          if (this.onmessage) this.onmessage({ data: payload.buffer });
          break;
        }
        case ACK:
          if (m.length !== 9) throw new Error('bad ACK');
          this.release(num(1));
          break;
        case SESSION:
          if (m.length !== 17) throw new Error('bad SESSION');
          this.sid = m.slice(1);
          break;
        case RESUMED: {
          if (m.length !== 9 || this.attached) throw new Error('unexpected RESUMED');
          this.release(num(1));
          // Everything the server did not get, again, in order.
          for (const chunk of this.held) this.ws.send(dataFrame(this.recv, chunk));
          this.ackSent();
          this.attached = true;
          const info = { attempts: this.attempt, replayed: this.sent - this.acked };
          this.attempt = 0;
          this.droppedAt = 0;
          this.emit('resumed', info);
          break;
        }
        default:
          throw new Error(`unknown frame ${m[0]}`);
      }
    } catch (e) {
      this.end({ code: 1002, reason: `resume protocol: ${e.message}` });
      try {
        this.ws.close(1002);
      } catch {}
    }
  }

  dropped(ev) {
    const code = (ev && ev.code) || 1006;
    this.attached = false;
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.closing || this.mode !== 'resume' || !this.sid || !RETRY.has(code)) {
      this.end(ev && ev.code ? ev : { code, reason: (ev && ev.reason) || '' });
      return;
    }
    this.retry(code);
  }

  retry(code) {
    if (!this.droppedAt) this.droppedAt = Date.now();
    if (Date.now() - this.droppedAt > this.timeout) {
      this.end({ code, reason: `could not resume within ${this.timeout} ms` });
      return;
    }
    this.attempt += 1;
    const base = Math.min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (this.attempt - 1));
    const delay = Math.round(base * (0.8 + 0.4 * Math.random()));
    this.emit('reconnecting', { attempt: this.attempt, delay, code });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closing) this.open(false);
    }, delay);
  }

  /** The session is over: the Connection gets its close. */
  end(ev) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    clearTimeout(this.retryTimer);
    clearTimeout(this.ackTimer);
    if (this.onclose) this.onclose(ev);
  }

  close(code = 1000, reason = '') {
    this.closing = true;
    clearTimeout(this.retryTimer);
    if (this.ws && this.ws.readyState <= 1) {
      try {
        this.ws.close(code, reason);
      } catch {}
    } else this.end({ code, reason });
  }
}
