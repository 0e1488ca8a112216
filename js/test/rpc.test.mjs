// js/rpc.js, the proxy that carries connect() into a Web Worker, checked in Node over a
// MessageChannel: handles for returned class instances, callbacks both ways, errors, AbortSignal,
// transferred buffers, mirrored state and a crashed far end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { createEndpoint } from '../rpc.js';

class TestError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'TestError';
    this.code = code;
  }
}

class Session {
  constructor() {
    this.closed = false;
    this.listeners = new Set();
    this.received = [];
  }
  async write(bytes) {
    this.received.push(bytes);
    return bytes.byteLength;
  }
  async echo(bytes) {
    return bytes;
  }
  on(name, fn) {
    this.listeners.add(fn);
  }
  off(name, fn) {
    this.listeners.delete(fn);
  }
  async emit(v) {
    for (const fn of this.listeners) await fn(v);
    return this.listeners.size;
  }
  async close() {
    this.closed = true;
  }
}

class Connection {
  constructor(opts) {
    this.state = 'open';
    this.user = opts.user;
    this.verify = opts.verify;
  }
  async session() {
    return new Session();
  }
  async fail() {
    throw new TestError('AUTH_FAILED', 'no');
  }
  async wait(signal) {
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new TestError('ABORTED', 'aborted')));
    });
  }
  async end() {
    this.state = 'closed';
  }
}

function pair(root) {
  const { port1, port2 } = new MessageChannel();
  const far = createEndpoint(port2, { root, errors: { TestError } });
  const near = createEndpoint(port1, { errors: { TestError } });
  return { near, far, port1, port2, close: () => (port1.close(), port2.close()) };
}

test('handles, callbacks, state and errors cross', async () => {
  const api = {
    async connect(opts) {
      const c = new Connection(opts);
      const ok = await opts.verify({ fingerprint: 'SHA256:abc' });
      if (!ok) throw new TestError('HOST_KEY_REJECTED', 'rejected');
      return c;
    },
  };
  const { near, close } = pair(api);
  const remote = near.remote();
  const seen = [];
  const conn = await remote.connect({
    user: 'root',
    verify: async (info) => {
      seen.push(info.fingerprint);
      return true;
    },
  });
  assert.deepEqual(seen, ['SHA256:abc']);
  assert.equal(conn.state, 'open');
  assert.equal(conn.user, 'root');
  assert.equal(conn.__rpcClass, 'Connection');

  await assert.rejects(
    remote.connect({ user: 'x', verify: () => false }),
    (e) => e instanceof TestError && e.code === 'HOST_KEY_REJECTED' && e.message === 'rejected',
  );
  await assert.rejects(conn.fail(), (e) => e instanceof TestError && e.code === 'AUTH_FAILED');
  // A name the object does not have reads as undefined, as it would in-thread.
  assert.equal(conn.nope, undefined);
  assert.equal('nope' in conn, false);

  // A method's result that is a class instance becomes its own handle.
  const s = await conn.session();
  assert.equal(s.__rpcClass, 'Session');
  assert.equal(s.closed, false);
  await s.close();
  assert.equal(s.closed, true, 'state refreshed after a call');

  await conn.end();
  assert.equal(conn.state, 'closed');
  close();
});

test('listeners: the same function is the same callback, so off() finds it', async () => {
  const { near, close } = pair({ make: async () => new Session() });
  const s = await near.remote().make();
  const got = [];
  const fn = (v) => got.push(v);
  await s.on('data', fn);
  await s.on('data', fn);
  assert.equal(await s.emit(1), 1);
  await s.off('data', fn);
  assert.equal(await s.emit(2), 0);
  assert.deepEqual(got, [1]);
  close();
});

test('buffers are transferred, not copied', async () => {
  let far;
  const { near, close } = pair({ make: async () => (far = new Session()) });
  const s = await near.remote().make();
  const buf = new Uint8Array([1, 2, 3, 4]);
  assert.equal(await s.write(buf), 4);
  assert.equal(buf.byteLength, 0, 'the sender gave the buffer away');
  assert.deepEqual([...far.received[0]], [1, 2, 3, 4]);

  const back = await s.echo(new Uint8Array(1024));
  assert.ok(back instanceof Uint8Array);
  assert.equal(back.byteLength, 1024);
  close();
});

test('an AbortSignal aborts on the far end', async () => {
  const { near, close } = pair({ make: async (o) => new Connection(o) });
  const conn = await near.remote().make({ user: 'u', verify: null });
  const ac = new AbortController();
  const p = conn.wait(ac.signal);
  ac.abort();
  await assert.rejects(p, (e) => e instanceof TestError && e.code === 'ABORTED');
  close();
});

test('a dead far end rejects pending and later calls', async () => {
  const { near, close } = pair({ hang: () => new Promise(() => {}) });
  const remote = near.remote();
  const p = remote.hang();
  const dead = new TestError('WORKER_FAILED', 'worker crashed');
  near.fail(dead);
  await assert.rejects(p, (e) => e === dead);
  await assert.rejects(remote.hang(), (e) => e === dead);
  close();
});

test('user data that looks like a marker stays data', async () => {
  const { near, close } = pair({ id: async (x) => x });
  const v = { __rpc: 'f', id: 0, nested: [{ __rpc: 'h' }] };
  assert.deepEqual(await near.remote().id(v), v);
  close();
});

test('the copying side leaves the caller its buffer; a view sends its own bytes only', async () => {
  let far;
  const { port1, port2 } = new MessageChannel();
  createEndpoint(port2, { root: { make: async () => (far = new Session()) } });
  const near = createEndpoint(port1, { transfer: false });
  const s = await near.remote().make();
  const big = new Uint8Array(4096).fill(7);
  const view = big.subarray(10, 14);
  assert.equal(await s.write(view), 4);
  assert.equal(big.byteLength, 4096, 'the caller keeps its buffer');
  assert.equal(far.received[0].buffer.byteLength, 4, 'only the view crossed');
  port1.close();
  port2.close();
});

class Channel {
  constructor(peer) {
    this.peer = peer;
    this.hops = [peer];
    this.done = new Promise((res) => (this.finish = res));
    this._secret = 'x';
  }
  get count() {
    return 42;
  }
  readable() {
    return new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array([1, 2]));
        c.close();
      },
    });
  }
}

test('nested handles, getters and promises read as Promises, sync stream methods', async () => {
  const { port1, port2 } = new MessageChannel();
  let ch;
  createEndpoint(port2, {
    root: { make: async () => (ch = new Channel(new Connection({ user: 'hop' }))) },
    streamMethods: new Map([[Channel, { readable: 'readable' }]]),
  });
  const near = createEndpoint(port1);
  const c = await near.remote().make();
  assert.equal(c.peer.user, 'hop', 'a class instance in the state is a handle with its state');
  assert.equal(c.hops[0].user, 'hop');
  assert.equal(await c.hops[0].session().then((s) => s.__rpcClass), 'Session');
  assert.equal(await c.count, 42, 'a getter reads as a Promise');
  assert.equal(c._secret, undefined, 'underscored names stay private');
  ch.finish('over');
  assert.equal(await c.done, 'over', 'a promise property reads as a Promise of its value');
  const r = c.readable();
  assert.ok(r instanceof ReadableStream, 'returned at once');
  const chunks = [];
  for await (const x of r) chunks.push(...x);
  assert.deepEqual(chunks, [1, 2]);
  port1.close();
  port2.close();
});

test('after fail(err, { settle }) the settled methods resolve, the rest reject', async () => {
  const { near, close } = pair({ make: async () => new Session() });
  const s = await near.remote().make();
  const gone = new TestError('CLOSED', 'gone');
  near.fail(gone, { settle: ['close'] });
  assert.equal(await s.close(), undefined);
  await assert.rejects(s.write(new Uint8Array(1)), (e) => e === gone);
  close();
});

class Sink {
  constructor() {
    this.got = [];
    this.closedAt = null;
  }
  writable() {
    return new WritableStream({
      write: (c) => this.got.push(...c),
      close: async () => {
        await new Promise((r) => setTimeout(r, 20));
        this.closedAt = 'closed';
      },
    });
  }
}

test("a stream method's writable closes once the far sink has closed", async () => {
  const { port1, port2 } = new MessageChannel();
  const sink = new Sink();
  createEndpoint(port2, { root: { make: async () => sink }, streamMethods: new Map([[Sink, { writable: 'writable' }]]) });
  const near = createEndpoint(port1, { transfer: false });
  const s = await near.remote().make();
  const w = s.writable();
  assert.ok(w instanceof WritableStream, 'returned at once');
  const writer = w.getWriter();
  await writer.write(new Uint8Array([5, 6]));
  await writer.close();
  assert.equal(sink.closedAt, 'closed', 'close() waited for the far sink');
  assert.deepEqual(sink.got, [5, 6]);
  port1.close();
  port2.close();
});
