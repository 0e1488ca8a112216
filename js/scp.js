// Legacy SCP (rcp's protocol, as `scp -O` speaks it; the engine's src/scp.rs describes it) over
// an `exec` channel running `scp -f PATH` (download) or `scp -t PATH` (upload), for servers
// without an sftp subsystem. One regular file each way. Control lines are bounded (4096 bytes,
// as src/scp.rs's MAX_LINE) and a download's size by `maxBytes` before anything is allocated.

import { SftpError } from './sftp.js';

const MAX_LINE = 4096;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** `'...'` for the remote shell (as src/scp.rs Command::to_line). */
const quote = (p) => `'${p.replace(/'/g, "'\\''")}'`;

/** Bytes of one channel, read as the protocol asks for them. */
class ByteReader {
  constructor(session) {
    this.chunks = [];
    this.have = 0;
    this.waiter = null;
    this.ended = false;
    session.onData((d) => {
      this.chunks.push(d.slice());
      this.have += d.length;
      this.wake();
    });
    session.onExit(() => {
      this.ended = true;
      this.wake();
    });
  }
  wake() {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }
  async wait() {
    if (this.ended) throw new SftpError('CLOSED', 'scp ended early');
    await new Promise((r) => (this.waiter = r));
  }
  async byte() {
    while (!this.have) await this.wait();
    const b = this.chunks[0][0];
    this.take(1);
    return b;
  }
  take(n) {
    const out = new Uint8Array(n);
    let p = 0;
    while (p < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - p);
      out.set(c.subarray(0, k), p);
      p += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.have -= n;
    return out;
  }
  async line() {
    const bytes = [];
    for (;;) {
      const b = await this.byte();
      if (b === 10) return dec.decode(Uint8Array.from(bytes));
      if (bytes.length >= MAX_LINE) throw new SftpError('PROTOCOL', 'scp control line too long');
      bytes.push(b);
    }
  }
  /** `\0`, or the warning/fatal message as an error. */
  async ack() {
    const b = await this.byte();
    if (b === 0) return;
    if (b === 1 || b === 2) throw new SftpError('FAILURE', `scp: ${(await this.line()).trim()}`);
    throw new SftpError('PROTOCOL', `scp: unexpected byte ${b}`);
  }
  async bytes(n, onChunk) {
    const out = new Uint8Array(n);
    let p = 0;
    while (p < n) {
      while (!this.have) await this.wait();
      const k = Math.min(this.have, n - p);
      out.set(this.take(k), p);
      p += k;
      if (onChunk) onChunk(p);
    }
    return out;
  }
}

async function start(conn, command) {
  const s = conn.openSession();
  const r = new ByteReader(s);
  await s.opened;
  await s.exec(command);
  return { s, r };
}

/** Downloads one file with `scp -f`; resolves to its bytes. */
export async function scpGet(conn, path, { onProgress, maxBytes = 2 ** 31 } = {}) {
  const { s, r } = await start(conn, `scp -f ${quote(path)}`);
  try {
    s.write(Uint8Array.of(0));
    for (;;) {
      const first = await r.byte();
      if (first === 1 || first === 2) throw new SftpError('NO_SUCH_FILE', `scp: ${(await r.line()).trim()}`);
      const rest = await r.line();
      const line = String.fromCharCode(first) + rest;
      if (line[0] === 'T') {
        s.write(Uint8Array.of(0));
        continue;
      }
      const m = /^C([0-7]{4}) (\d{1,19}) ([^/\n]+)$/.exec(line);
      if (!m) throw new SftpError('PROTOCOL', `scp: unexpected record ${JSON.stringify(line.slice(0, 80))}`);
      const size = Number(m[2]);
      if (!Number.isSafeInteger(size) || size > maxBytes) throw new SftpError('FAILURE', `scp: the file is larger than ${maxBytes} bytes`);
      s.write(Uint8Array.of(0));
      const data = await r.bytes(size, onProgress);
      await r.ack();
      s.write(Uint8Array.of(0));
      s.end();
      return data;
    }
  } finally {
    s.close();
  }
}

/** Uploads `data` to `path` with `scp -t`. */
export async function scpPut(conn, path, data, { mode = 0o644, onProgress } = {}) {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  const name = path.split('/').filter(Boolean).pop() || 'file';
  const { s, r } = await start(conn, `scp -t ${quote(path)}`);
  try {
    await r.ack();
    s.write(enc.encode(`C${(mode & 0o7777).toString(8).padStart(4, '0')} ${bytes.length} ${name}\n`));
    await r.ack();
    const CHUNK = 256 * 1024;
    for (let p = 0; p < bytes.length; p += CHUNK) {
      s.write(bytes.subarray(p, p + CHUNK));
      // Wait for the window to take what is queued: memory stays bounded, progress is real.
      while (s.pending > CHUNK && !s.isClosed) await new Promise((res) => setTimeout(res, 5));
      if (onProgress) onProgress(Math.min(p + CHUNK, bytes.length));
    }
    s.write(Uint8Array.of(0));
    await r.ack();
    s.end();
    await s.exited;
  } finally {
    s.close();
  }
}
