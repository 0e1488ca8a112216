// `conn.forwardOut(host, port)`: a `direct-tcpip` channel (RFC 4254 §7.2), the server's TCP
// connection to host:port as a byte stream. Backpressure both ways goes through the channel's
// windows: `write` resolves once the peer's window has taken the bytes, and received bytes are
// given back to the peer's window only after the `onData` handler (or the promise it returns)
// is done, so a slow reader stops the sender rather than filling memory.

/** Any bytes as a Uint8Array (strings as UTF-8). */
function bytesOf(data) {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('expected a string, Uint8Array or ArrayBuffer');
}

/** One direct-tcpip channel; made by `Connection.forwardOut`. */
export class TcpChannel {
  constructor(conn, id, SshError, { host, port }) {
    this.conn = conn;
    this.id = id;
    this.SshError = SshError;
    this.host = host;
    this.port = port;
    this.dataFns = [];
    this.endFns = [];
    this.closeFns = [];
    // Received data not yet handed to a handler (none registered yet, or one still busy).
    this.inbox = [];
    this.delivering = false;
    this.peerEnded = false;
    // Writes not yet taken by the window: { bytes, resolve, reject } in order.
    this.outQueue = [];
    this.eofWanted = false;
    this.isClosed = false;
    this.closeError = null;
    this.opened = new Promise((res, rej) => {
      this.openOk = res;
      this.openFail = rej;
    });
    this.opened.catch(() => {});
    this.closedPromise = new Promise((res) => (this.closeDone = res));
  }

  /** Engine events for this channel (dispatched by the connection). */
  handle(ev) {
    switch (ev.type) {
      case 'opened':
        this.openOk(this);
        break;
      case 'openFailed':
        this.isClosed = true;
        this.conn.sessions.delete(this.id);
        this.openFail(
          new this.SshError('CHANNEL_REFUSED', `the server could not connect to ${this.host}:${this.port}: ${ev.description}`, {
            reason: ev.reason,
          }),
        );
        this.ended(null);
        break;
      case 'data':
      case 'extendedData':
        this.inbox.push(ev.data);
        this.drain();
        break;
      case 'eof':
        this.peerEnded = true;
        this.drain();
        break;
      case 'writable':
        this.flush();
        break;
      case 'channelClosed':
        this.isClosed = true;
        this.conn.sessions.delete(this.id);
        this.endedWhenDrained();
        break;
      default:
    }
  }

  /** Hands received bytes to the handlers one chunk at a time, each after the last is done. */
  async drain() {
    if (this.delivering || !this.dataFns.length) return;
    this.delivering = true;
    try {
      while (this.inbox.length) {
        const chunk = this.inbox.shift();
        // A handler in the page's thread is handed the buffer itself (js/worker.js): the
        // length is read first, and with several handlers each but the last gets a copy.
        const n = chunk.length;
        const fns = this.dataFns;
        const waits = fns.map((fn, i) => fn(i === fns.length - 1 ? chunk : chunk.slice()));
        if (waits.some((w) => w && typeof w.then === 'function')) await Promise.all(waits);
        if (!this.isClosed) {
          this.conn.engine.consume(this.id, n);
          this.conn.pump();
        }
      }
      if (this.peerEnded && !this.endReported) {
        this.endReported = true;
        for (const fn of this.endFns) fn();
      }
    } catch (e) {
      // A handler that throws ends the stream: nothing after it would be in order.
      this.fail(e);
    } finally {
      this.delivering = false;
      if (this.isClosed) this.endedWhenDrained();
    }
  }

  /** Reports the close once the bytes received before it were handled. */
  endedWhenDrained() {
    if (this.delivering || (this.inbox.length && this.dataFns.length)) return;
    this.ended(null);
  }

  /** Received bytes; a returned promise holds the window until it settles. */
  onData(fn) {
    this.dataFns.push(fn);
    this.drain();
    return this;
  }

  /** The peer sent EOF (after every byte before it was handled). */
  onEnd(fn) {
    this.endFns.push(fn);
    if (this.endReported) fn();
    return this;
  }

  /** The channel closed: `null` when it closed normally, else why (the connection's error). */
  onClose(fn) {
    this.closeFns.push(fn);
    if (this.isClosed && this.closeReported) fn(this.closeError);
    return this;
  }

  /** Resolves with `null` or the error once the channel is closed. */
  get closed() {
    return this.closedPromise;
  }

  /** Sends bytes; resolves once the peer's window has taken all of them. */
  write(data) {
    if (this.isClosed || this.eofWanted) {
      return Promise.reject(new this.SshError('CHANNEL_CLOSED', `the channel to ${this.host}:${this.port} is ${this.isClosed ? 'closed' : 'ended'}`));
    }
    const bytes = bytesOf(data);
    const p = new Promise((resolve, reject) => this.outQueue.push({ bytes, resolve, reject }));
    this.flush();
    return p;
  }

  /** Bytes accepted by write() but not yet taken by the peer's window. */
  get pending() {
    return this.outQueue.reduce((n, w) => n + w.bytes.length, 0);
  }

  flush() {
    if (this.isClosed) return;
    const e = this.conn.engine;
    while (this.outQueue.length) {
      const head = this.outQueue[0];
      let n;
      try {
        n = e.sendData(this.id, head.bytes);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (n < head.bytes.length) {
        head.bytes = head.bytes.subarray(n);
        break;
      }
      this.outQueue.shift();
      head.resolve();
    }
    if (!this.outQueue.length && this.eofWanted && !this.eofSent) {
      this.eofSent = true;
      e.sendEof(this.id);
      this.eofDone();
    }
    this.conn.pump();
  }

  /** EOF after the queued bytes; resolves once it is sent. */
  end() {
    if (this.isClosed) return Promise.resolve();
    if (!this.eofWanted) {
      this.eofWanted = true;
      this.eofSentPromise = new Promise((res) => (this.eofDone = res));
      this.flush();
    }
    return this.eofSentPromise;
  }

  /** Closes the channel (queued bytes are dropped); resolves once the peer has closed it too. */
  close() {
    if (!this.isClosed && !this.closeSent) {
      this.closeSent = true;
      try {
        this.conn.engine.closeChannel(this.id);
      } catch {
        // The connection is already gone: connectionClosed() ends this channel.
      }
      this.conn.pump();
    }
    return this.closedPromise.then(() => undefined);
  }

  fail(err) {
    this.closeError ||= err;
    this.close();
  }

  /** The connection ended under the channel. */
  connectionClosed(err) {
    this.isClosed = true;
    this.openFail(err);
    this.ended(err);
  }

  ended(err) {
    if (this.closeReported) return;
    this.closeReported = true;
    this.closeError ||= err;
    const why = this.closeError || new this.SshError('CHANNEL_CLOSED', `the channel to ${this.host}:${this.port} was closed`);
    for (const w of this.outQueue.splice(0)) w.reject(why);
    if (this.eofDone) this.eofDone();
    for (const fn of this.closeFns) fn(this.closeError);
    this.closeDone(this.closeError);
  }
}
