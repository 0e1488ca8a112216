// An SFTP v3 client (draft-ietf-secsh-filexfer-02, as OpenSSH's sftp-server speaks it) over a
// `subsystem sftp` session channel. The codec is in JS: replies are a handful of fixed layouts,
// and every length is checked against the packet before it is read, so a malformed reply ends
// the client with an SftpError('PROTOCOL') instead of a throw from deep in a parser.

const FXP = {
  INIT: 1, VERSION: 2, OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, LSTAT: 7, FSTAT: 8, SETSTAT: 9,
  OPENDIR: 11, READDIR: 12, REMOVE: 13, MKDIR: 14, RMDIR: 15, REALPATH: 16, STAT: 17, RENAME: 18,
  STATUS: 101, HANDLE: 102, DATA: 103, NAME: 104, ATTRS: 105,
};
const STATUS_NAMES = ['OK', 'EOF', 'NO_SUCH_FILE', 'PERMISSION_DENIED', 'FAILURE', 'BAD_MESSAGE', 'NO_CONNECTION', 'CONNECTION_LOST', 'OP_UNSUPPORTED'];
/** Largest reply accepted (sftp-server's own limit is 256 KiB). */
const MAX_PACKET = 256 * 1024 + 1024;
/** READ/WRITE size: what every server accepts. */
const CHUNK = 32 * 1024;
/** Requests in flight for get/put and the streams. */
const IN_FLIGHT = 64;

export class SftpError extends Error {
  /** code: the SFTP status name (NO_SUCH_FILE...) or PROTOCOL/CLOSED; status: the number. */
  constructor(code, message, status) {
    super(message);
    this.name = 'SftpError';
    this.code = code;
    this.status = status;
  }
}

class Reader {
  constructor(b) {
    this.b = b;
    this.p = 0;
  }
  need(n) {
    if (this.p + n > this.b.length) throw new SftpError('PROTOCOL', 'truncated SFTP reply');
  }
  u8() {
    this.need(1);
    return this.b[this.p++];
  }
  u32() {
    this.need(4);
    const v = ((this.b[this.p] << 24) >>> 0) + (this.b[this.p + 1] << 16) + (this.b[this.p + 2] << 8) + this.b[this.p + 3];
    this.p += 4;
    return v;
  }
  u64() {
    const hi = this.u32();
    return hi * 2 ** 32 + this.u32();
  }
  bytes() {
    const n = this.u32();
    this.need(n);
    const v = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return v;
  }
  str() {
    return new TextDecoder().decode(this.bytes());
  }
  attrs() {
    const flags = this.u32();
    const a = {};
    if (flags & 1) a.size = this.u64();
    if (flags & 2) {
      a.uid = this.u32();
      a.gid = this.u32();
    }
    if (flags & 4) a.mode = this.u32();
    if (flags & 8) {
      a.atime = this.u32();
      a.mtime = this.u32();
    }
    if (flags & 0x80000000) {
      const n = this.u32();
      if (n > 1024) throw new SftpError('PROTOCOL', 'too many extended attributes');
      for (let i = 0; i < n; i++) {
        this.bytes();
        this.bytes();
      }
    }
    if (a.mode !== undefined) {
      const t = a.mode & 0o170000;
      a.isDirectory = t === 0o040000;
      a.isFile = t === 0o100000;
      a.isSymbolicLink = t === 0o120000;
    }
    return a;
  }
}

class Writer {
  constructor() {
    this.parts = [];
    this.n = 0;
  }
  push(b) {
    this.parts.push(b);
    this.n += b.length;
    return this;
  }
  u8(v) {
    return this.push(Uint8Array.of(v));
  }
  u32(v) {
    return this.push(Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255));
  }
  u64(v) {
    return this.u32(Math.floor(v / 2 ** 32)).u32(v >>> 0);
  }
  bytes(b) {
    if (typeof b === 'string') b = new TextEncoder().encode(b);
    return this.u32(b.length).push(b);
  }
  attrs(a = {}) {
    return a.mode !== undefined ? this.u32(4).u32(a.mode) : this.u32(0);
  }
  packet() {
    const out = new Uint8Array(4 + this.n);
    new DataView(out.buffer).setUint32(0, this.n);
    let p = 4;
    for (const b of this.parts) {
      out.set(b, p);
      p += b.length;
    }
    return out;
  }
}

/** Opens `subsystem sftp` on a new session of `conn`; resolves to an Sftp. */
export async function openSftp(conn) {
  const s = conn.openSession();
  await s.opened;
  const answered = s.request();
  conn.engine.requestSubsystem(s.id, 'sftp');
  conn.pump();
  try {
    await answered;
  } catch {
    s.close();
    throw new SftpError('NO_SUBSYSTEM', 'the server has no sftp subsystem', undefined);
  }
  const sftp = new Sftp(s);
  await sftp.init();
  return sftp;
}

/** An SFTP session: every method returns a Promise. */
export class Sftp {
  constructor(session) {
    this.session = session;
    this.nextId = 1;
    this.pending = new Map();
    this.buf = new Uint8Array(0);
    this.failure = null;
    this.versionWaiter = null;
    session.onData((d) => this.input(d));
    session.onExit(() => this.fail(new SftpError('CLOSED', 'the SFTP channel was closed')));
  }

  init() {
    return new Promise((res, rej) => {
      this.versionWaiter = { res, rej };
      this.session.write(new Writer().u8(FXP.INIT).u32(3).packet());
    });
  }

  fail(err) {
    if (this.failure) return;
    this.failure = err;
    if (this.versionWaiter) this.versionWaiter.rej(err);
    for (const p of this.pending.values()) p.rej(err);
    this.pending.clear();
    this.session.close();
  }

  input(d) {
    const b = new Uint8Array(this.buf.length + d.length);
    b.set(this.buf);
    b.set(d, this.buf.length);
    this.buf = b;
    try {
      while (this.buf.length >= 4) {
        const n = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(0);
        if (n < 1 || n > MAX_PACKET) throw new SftpError('PROTOCOL', `bad SFTP packet length ${n}`);
        if (this.buf.length < 4 + n) break;
        const pkt = this.buf.slice(4, 4 + n);
        this.buf = this.buf.subarray(4 + n);
        this.dispatch(new Reader(pkt));
      }
    } catch (e) {
      this.fail(e instanceof SftpError ? e : new SftpError('PROTOCOL', String(e)));
    }
  }

  dispatch(r) {
    const type = r.u8();
    if (type === FXP.VERSION) {
      const v = r.u32();
      const w = this.versionWaiter;
      this.versionWaiter = null;
      if (!w) throw new SftpError('PROTOCOL', 'unexpected SSH_FXP_VERSION');
      this.version = v;
      w.res();
      return;
    }
    const id = r.u32();
    const p = this.pending.get(id);
    if (!p) throw new SftpError('PROTOCOL', `SFTP reply to unknown request ${id}`);
    this.pending.delete(id);
    if (type === FXP.STATUS) {
      const code = r.u32();
      let msg = '';
      try {
        msg = r.str();
      } catch {}
      p.status(code, msg);
    } else if (type === FXP.HANDLE) p.res(r.bytes().slice());
    else if (type === FXP.DATA) p.res(r.bytes().slice());
    else if (type === FXP.ATTRS) p.res(r.attrs());
    else if (type === FXP.NAME) {
      const n = r.u32();
      if (n > 100000) throw new SftpError('PROTOCOL', 'too many names');
      const names = [];
      for (let i = 0; i < n; i++) names.push({ filename: r.str(), longname: r.str(), attrs: r.attrs() });
      p.res(names);
    } else throw new SftpError('PROTOCOL', `unexpected SFTP reply type ${type}`);
  }

  /** Sends a request; resolves to the reply body (STATUS OK → undefined, EOF → null). */
  call(type, build, what) {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    const w = new Writer().u8(type).u32(id);
    build(w);
    return new Promise((res, rej) => {
      this.pending.set(id, {
        res,
        rej,
        status: (code, msg) => {
          if (code === 0) res(undefined);
          else if (code === 1) res(null);
          else rej(new SftpError(STATUS_NAMES[code] || 'FAILURE', `${what}: ${msg || STATUS_NAMES[code] || code}`, code));
        },
      });
      this.session.write(w.packet());
    });
  }

  async expect(kind, p) {
    const v = await p;
    if (kind === 'ok' && v !== undefined) throw new SftpError('PROTOCOL', 'expected a status reply');
    if (kind === 'handle' && !(v instanceof Uint8Array)) throw new SftpError('PROTOCOL', 'expected a handle');
    if (kind === 'attrs' && (v === null || v === undefined || Array.isArray(v) || v instanceof Uint8Array))
      throw new SftpError('PROTOCOL', 'expected attributes');
    return v;
  }

  realpath(path) {
    return this.call(FXP.REALPATH, (w) => w.bytes(path), `realpath ${path}`).then((v) => {
      if (!Array.isArray(v) || v.length !== 1) throw new SftpError('PROTOCOL', 'expected one name');
      return v[0].filename;
    });
  }
  stat(path) {
    return this.expect('attrs', this.call(FXP.STAT, (w) => w.bytes(path), `stat ${path}`));
  }
  lstat(path) {
    return this.expect('attrs', this.call(FXP.LSTAT, (w) => w.bytes(path), `lstat ${path}`));
  }
  mkdir(path, { mode = 0o755 } = {}) {
    return this.expect('ok', this.call(FXP.MKDIR, (w) => w.bytes(path).attrs({ mode }), `mkdir ${path}`));
  }
  rmdir(path) {
    return this.expect('ok', this.call(FXP.RMDIR, (w) => w.bytes(path), `rmdir ${path}`));
  }
  remove(path) {
    return this.expect('ok', this.call(FXP.REMOVE, (w) => w.bytes(path), `remove ${path}`));
  }
  rename(from, to) {
    return this.expect('ok', this.call(FXP.RENAME, (w) => w.bytes(from).bytes(to), `rename ${from}`));
  }

  /** Lists a directory (without `.` and `..`): [{ filename, longname, attrs }]. */
  async readdir(path) {
    const h = await this.expect('handle', this.call(FXP.OPENDIR, (w) => w.bytes(path), `opendir ${path}`));
    const all = [];
    try {
      for (;;) {
        const v = await this.call(FXP.READDIR, (w) => w.bytes(h), `readdir ${path}`);
        if (v === null) break;
        if (!Array.isArray(v)) throw new SftpError('PROTOCOL', 'expected names');
        for (const e of v) if (e.filename !== '.' && e.filename !== '..') all.push(e);
      }
    } finally {
      await this.close(h).catch(() => {});
    }
    return all;
  }

  /** Opens a file; flags 'r', 'w' (create, truncate) or 'a'; resolves to a handle. */
  open(path, flags = 'r', { mode = 0o644 } = {}) {
    const pflags = { r: 1, w: 2 | 8 | 16, a: 2 | 4 | 8 }[flags];
    if (pflags === undefined) return Promise.reject(new TypeError(`bad flags ${flags}`));
    return this.expect('handle', this.call(FXP.OPEN, (w) => w.bytes(path).u32(pflags).attrs({ mode }), `open ${path}`));
  }
  close(handle) {
    return this.expect('ok', this.call(FXP.CLOSE, (w) => w.bytes(handle), 'close'));
  }
  /** Up to `length` bytes at `offset`; null at end of file. */
  read(handle, offset, length) {
    return this.call(FXP.READ, (w) => w.bytes(handle).u64(offset).u32(Math.min(length, CHUNK * 8)), 'read').then((v) => {
      if (v !== null && !(v instanceof Uint8Array)) throw new SftpError('PROTOCOL', 'expected data');
      if (v && v.length > length) throw new SftpError('PROTOCOL', 'more data than asked for');
      return v;
    });
  }
  write(handle, offset, data) {
    return this.expect('ok', this.call(FXP.WRITE, (w) => w.bytes(handle).u64(offset).bytes(data), 'write'));
  }

  /** A ReadableStream of the file: up to `inFlight` READs ahead, only as the consumer pulls. */
  createReadStream(path, { inFlight = IN_FLIGHT, chunk = CHUNK, onProgress } = {}) {
    let handle = null;
    let offset = 0;
    let done = false;
    let received = 0;
    const queue = [];
    const self = this;
    const refill = () => {
      while (!done && queue.length < inFlight) {
        const at = offset;
        offset += chunk;
        const p = self.read(handle, at, chunk).then((d) => ({ at, d }));
        p.catch(() => {});
        queue.push(p);
      }
    };
    const finish = async () => {
      if (handle) {
        const h = handle;
        handle = null;
        await self.close(h).catch(() => {});
      }
    };
    return new ReadableStream(
      {
        async start() {
          handle = await self.open(path, 'r');
        },
        async pull(controller) {
          refill();
          if (!queue.length) {
            await finish();
            controller.close();
            return;
          }
          let r;
          try {
            r = await queue.shift();
          } catch (e) {
            done = true;
            await finish();
            throw e;
          }
          if (r.d === null || r.d.length === 0) {
            done = true;
            queue.length = 0;
            await finish();
            controller.close();
            return;
          }
          if (r.d.length < chunk) {
            // A short read (sftp-server reads a file in one go only up to its end): the rest of
            // this chunk is asked for again before anything later is handed out.
            if (r.at + r.d.length < offset) queue.unshift(self.read(handle, r.at + r.d.length, chunk - r.d.length).then((d) => ({ at: r.at + r.d.length, d: d === null ? new Uint8Array(0) : d })));
          }
          received += r.d.length;
          if (onProgress) onProgress(received);
          controller.enqueue(r.d);
        },
        async cancel() {
          done = true;
          queue.length = 0;
          await finish();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** A WritableStream into the file (created or truncated), with up to `inFlight` WRITEs pending. */
  createWriteStream(path, { inFlight = IN_FLIGHT, mode = 0o644, onProgress } = {}) {
    const self = this;
    let handle = null;
    let offset = 0;
    let sent = 0;
    const pending = new Set();
    let failed = null;
    const send = (data) => {
      const p = self.write(handle, offset, data).then(() => {
        pending.delete(p);
        sent += data.length;
        if (onProgress) onProgress(sent);
      });
      p.catch((e) => (failed ||= e));
      pending.add(p);
      offset += data.length;
    };
    return new WritableStream({
      async start() {
        handle = await self.open(path, 'w', { mode });
      },
      async write(chunk) {
        const b = chunk instanceof Uint8Array ? chunk : new TextEncoder().encode(String(chunk));
        for (let p = 0; p < b.length; p += CHUNK) {
          if (failed) throw failed;
          while (pending.size >= inFlight) await Promise.race(pending).catch(() => {});
          if (failed) throw failed;
          send(b.subarray(p, p + CHUNK));
        }
      },
      async close() {
        await Promise.allSettled([...pending]);
        if (failed) throw failed;
        await self.close(handle);
      },
      async abort() {
        await Promise.allSettled([...pending]);
        if (!handle) return;
        await self.close(handle).catch(() => {});
        await self.remove(path).catch(() => {});
      },
    });
  }

  /** The whole file as one Uint8Array. */
  async get(path, { onProgress } = {}) {
    const parts = [];
    let n = 0;
    const reader = this.createReadStream(path, { onProgress }).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.length;
    }
    const out = new Uint8Array(n);
    let p = 0;
    for (const b of parts) {
      out.set(b, p);
      p += b.length;
    }
    return out;
  }

  /** Writes `data` (bytes or text) to `path`. */
  async put(path, data, { mode, onProgress } = {}) {
    const w = this.createWriteStream(path, { mode, onProgress }).getWriter();
    await w.write(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    await w.close();
  }

  /** Ends the SFTP channel. */
  end() {
    this.session.close();
    return Promise.resolve();
  }
}
