// A generic RPC proxy over a MessagePort (Worker, MessageChannel), symmetric: either end can
// expose a root object and call the other's. Why generic: connect() moves into a Web Worker and
// every class it returns (Connection, Session, and whatever later features add) must work through
// it without a hand-written proxy per class.
//
// What crosses:
// - plain data by structured clone; Readable/WritableStreams are transferred. Buffers: with
//   `transfer: true` (the worker's side: what it sends, engine output, is its own to give away)
//   ArrayBuffers and the buffers under typed arrays are put in the transfer list, so a packet is
//   moved, not copied; with `transfer: false` (the page's side: the caller may reuse what it
//   passed) they are copied, a view into a larger buffer as its own bytes only;
// - class instances (anything whose prototype is not Object's) as handles: the far end gets a
//   Proxy whose methods return Promises and whose own data properties (a snapshot, refreshed
//   after every call on it and by `state` messages) read synchronously. Class instances among
//   those properties (and arrays of them) are handles too (`conn.via`); other properties and
//   prototype getters (`closed`, `pending`, promises like `exited`) read as Promises; a name the
//   object does not have reads as undefined, as it would in-thread;
// - `streamMethods` (a Map of Class -> { method: 'readable' | 'writable' }, on the side that
//   owns the objects): methods that return a stream synchronously keep doing so through the
//   proxy (a local stream, piped to or from the far one when it arrives);
// - functions (verify, onBanner, `on()` listeners...) as callbacks: calling one runs it on the
//   side that passed it and returns a Promise of its result; the same function always gets the
//   same id, so `off(name, fn)` finds it;
// - AbortSignals as signals mirrored by an AbortController on the far end;
// - errors as { name, message, code, ...own props }, rebuilt through the `errors` map.
// `fail(err)` (the worker crashed) rejects every pending call and every later one with err.

const isPlainProto = (p) => p === Object.prototype || p === null;

function isHandleable(v) {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return false;
  if (v instanceof Date || v instanceof RegExp || v instanceof Map || v instanceof Set) return false;
  if (v instanceof Error || v instanceof Promise) return false;
  if (typeof AbortSignal !== 'undefined' && v instanceof AbortSignal) return false;
  if (typeof ReadableStream !== 'undefined' && (v instanceof ReadableStream || v instanceof WritableStream))
    return false;
  return !isPlainProto(Object.getPrototypeOf(v));
}

function isStream(v) {
  return (
    (typeof ReadableStream !== 'undefined' && v instanceof ReadableStream) ||
    (typeof WritableStream !== 'undefined' && v instanceof WritableStream)
  );
}

// Per prototype: its methods and its getters (read through the proxy as Promises).
const shapes = new WeakMap();
function shapeOf(obj) {
  const proto = Object.getPrototypeOf(obj);
  let shape = shapes.get(proto);
  if (shape) return shape;
  const methods = new Set();
  const getters = new Set();
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (k === 'constructor' || methods.has(k) || getters.has(k)) continue;
      if (d.get) getters.add(k);
      else if (typeof d.value === 'function') methods.add(k);
    }
  }
  shape = { methods: [...methods], getters: [...getters] };
  shapes.set(proto, shape);
  return shape;
}

function cloneable(v) {
  if (v === null || typeof v !== 'object') return true;
  if (!Array.isArray(v) && !isPlainProto(Object.getPrototypeOf(v)) && !ArrayBuffer.isView(v)) return false;
  try {
    structuredClone(v);
    return true;
  } catch {
    return false;
  }
}

function encodeError(e) {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const out = { name: e.name, message: e.message };
  for (const k of Object.keys(e)) {
    try {
      out[k] = structuredClone(e[k]);
    } catch {
      // dropped
    }
  }
  return out;
}

export function createEndpoint(port, { root = null, errors = {}, transfer: give = true, streamMethods = new Map(), beforeCallback = null } = {}) {
  let nextId = 1;
  const handles = new Map([[0, root]]); // id -> local object or function we export
  const ids = new WeakMap(); // local object/function -> id
  const pending = new Map(); // call id -> { resolve, reject }
  const controllers = new Map(); // far signal id -> local AbortController
  const proxies = new Map(); // far handle id -> WeakRef(proxy state)
  let failure = null;
  let settled = new Set();
  const streamsOf = (proto) => {
    for (const [Cls, m] of streamMethods) if (Cls.prototype === proto) return m;
    return {};
  };

  const registry =
    typeof FinalizationRegistry !== 'undefined'
      ? new FinalizationRegistry((h) => {
          if (!failure) post({ t: 'free', h });
        })
      : null;

  function post(msg, transfer = []) {
    port.postMessage(msg, transfer);
  }

  function exportLocal(v) {
    let id = ids.get(v);
    if (id === undefined) {
      id = nextId++;
      ids.set(v, id);
      handles.set(id, v);
    }
    return id;
  }

  /**
   * A handle's description for the far end: its mirrored state (plain data, and handles for
   * class instances), the names read as Promises, its methods. `depth`: how many levels of
   * nested handles get their own state too (a snapshot never walks a cycle); deeper ones go
   * bare, their proxies keeping the state they had.
   */
  function describe(obj, depth) {
    const state = {};
    const lazy = [];
    const { methods, getters } = shapeOf(obj);
    const streams = streamsOf(Object.getPrototypeOf(obj));
    const own = [];
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      if (k.startsWith('_')) continue;
      if (typeof v === 'function') own.push(k);
      else if (isHandleable(v)) state[k] = handleRef(v, depth - 1);
      else if (Array.isArray(v) && v.length && v.every(isHandleable)) state[k] = v.map((x) => handleRef(x, depth - 1));
      else if (cloneable(v)) state[k] = v;
      else lazy.push(k);
    }
    return { state, lazy: [...lazy, ...getters], methods: own.length ? [...methods, ...own] : methods, streams };
  }

  function handleRef(v, depth) {
    const ref = { __rpc: 'h', id: exportLocal(v), cls: v.constructor && v.constructor.name };
    if (depth >= 0) ref.d = describe(v, depth);
    else {
      const { getters, methods } = shapeOf(v);
      ref.d = { state: {}, lazy: getters, methods, streams: streamsOf(Object.getPrototypeOf(v)), bare: true };
    }
    return ref;
  }

  // Encode a value for the wire, collecting transferables.
  function enc(v, transfer) {
    if (typeof v === 'function') return { __rpc: 'f', id: exportLocal(v) };
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof ArrayBuffer) {
      if (!give) return v;
      if (!transfer.includes(v)) transfer.push(v);
      return v;
    }
    if (ArrayBuffer.isView(v)) {
      const whole = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;
      // A view into a larger buffer: its own bytes only (structured clone would copy them all).
      const own = whole || typeof v.slice !== 'function' ? v : v.slice();
      if (give || own !== v) {
        if (!transfer.includes(own.buffer)) transfer.push(own.buffer);
      }
      return own;
    }
    if (isStream(v)) {
      transfer.push(v);
      return v;
    }
    if (typeof AbortSignal !== 'undefined' && v instanceof AbortSignal) {
      const id = exportLocal(v);
      if (!v.aborted) v.addEventListener('abort', () => post({ t: 'abort', id }), { once: true });
      return { __rpc: 's', id, aborted: v.aborted };
    }
    if (v instanceof Error) return { __rpc: 'e', e: encodeError(v) };
    if (isHandleable(v)) return handleRef(v, 1);
    if (Array.isArray(v)) return v.map((x) => enc(x, transfer));
    if (!isPlainProto(Object.getPrototypeOf(v))) return v;
    const out = {};
    for (const k of Object.keys(v)) out[k] = enc(v[k], transfer);
    // Keys that look like our markers are escaped so user data is never mistaken for one.
    if ('__rpc' in out) return { __rpc: 'o', v: out };
    return out;
  }

  function dec(v) {
    if (v === null || typeof v !== 'object') return v;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || isStream(v)) return v;
    if (Array.isArray(v)) return v.map(dec);
    if (!isPlainProto(Object.getPrototypeOf(v))) return v;
    switch (v.__rpc) {
      case 'f':
        return remoteFunction(v.id);
      case 'h':
        return remoteHandle(v.id, v.cls, v.d);
      case 's': {
        const c = new AbortController();
        if (v.aborted) c.abort();
        else controllers.set(v.id, c);
        return c.signal;
      }
      case 'e':
        return decodeError(v.e);
      case 'o': {
        const out = {};
        for (const k of Object.keys(v.v)) out[k] = dec(v.v[k]);
        return out;
      }
      default: {
        const out = {};
        for (const k of Object.keys(v)) out[k] = dec(v[k]);
        return out;
      }
    }
  }

  function decodeError(e) {
    const Cls = errors[e.name];
    let err;
    if (Cls) {
      err = Object.create(Cls.prototype);
      Object.defineProperty(err, 'stack', { value: `${e.name}: ${e.message}`, writable: true, configurable: true });
    } else {
      err = new Error(e.message);
    }
    Object.assign(err, e);
    return err;
  }

  function request(msg) {
    if (failure) return settled.has(msg.m) ? Promise.resolve() : Promise.reject(failure);
    if (msg.m === null && beforeCallback) beforeCallback();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, target: msg.h });
      const transfer = [];
      const args = msg.args.map((a) => enc(a, transfer));
      try {
        post({ ...msg, id, args }, transfer);
      } catch (e) {
        pending.delete(id);
        reject(e);
      }
    });
  }

  // One local function per far function, so the far `off(name, fn)` gets the one `on` got.
  const remoteFns = new Map();
  function remoteFunction(fid) {
    let fn = remoteFns.get(fid);
    if (!fn) {
      fn = (...args) => request({ t: 'call', h: fid, m: null, args });
      remoteFns.set(fid, fn);
    }
    return fn;
  }

  /** Mirrored state as it came (handles inside it become proxies). */
  function decState(state) {
    const out = {};
    for (const k of Object.keys(state)) out[k] = dec(state[k]);
    return out;
  }

  function refresh(rec, d) {
    Object.assign(rec.state, decState(d.state));
    if (d.bare) return;
    rec.lazy = new Set(d.lazy);
    rec.methods = new Set(d.methods);
    rec.streams = d.streams || {};
  }

  function remoteHandle(hid, cls, d) {
    const known = proxies.get(hid);
    const live = known && known.deref();
    if (live) {
      refresh(live, d);
      return live.proxy;
    }
    const rec = { state: {}, lazy: new Set(), methods: new Set(), streams: {}, proxy: null };
    refresh(rec, { ...d, bare: false });
    rec.proxy = new Proxy(Object.create(null), {
      get(_, prop) {
        if (prop === 'then' || typeof prop === 'symbol') return undefined;
        if (prop === '__rpcClass') return cls;
        if (Object.prototype.hasOwnProperty.call(rec.state, prop)) return rec.state[prop];
        if (rec.lazy.has(prop)) return request({ t: 'get', h: hid, m: prop, args: [] });
        if (hid !== 0 && !rec.methods.has(prop)) return undefined;
        const kind = rec.streams[prop];
        if (kind) return (...args) => localStream(kind, request({ t: 'call', h: hid, m: prop, args, asHandle: true }));
        return (...args) => request({ t: 'call', h: hid, m: prop, args });
      },
      has(_, prop) {
        return Object.prototype.hasOwnProperty.call(rec.state, prop) || rec.lazy.has(prop) || rec.methods.has(prop);
      },
    });
    proxies.set(hid, new WeakRef(rec));
    // Keep the record alive as long as the proxy is.
    ids.set(rec.proxy, rec);
    if (registry) registry.register(rec.proxy, hid);
    return rec.proxy;
  }

  /**
   * A stream here, at once, fed by (or feeding) the far one through its reader (writer): each
   * read, write and close is a call answered when the far stream did it, so a writable's close
   * resolves once the far sink closed (a transferred stream's would not wait for it).
   */
  function localStream(kind, farPromise) {
    if (kind === 'readable') {
      const reader = farPromise.then((far) => far.getReader());
      return new ReadableStream(
        {
          async pull(c) {
            const { value, done } = await (await reader).read();
            if (done) c.close();
            else c.enqueue(value);
          },
          async cancel(reason) {
            await (await reader).cancel(reason);
          },
        },
        { highWaterMark: 0 },
      );
    }
    const writer = farPromise.then((far) => far.getWriter());
    return new WritableStream({
      async write(chunk) {
        await (await writer).write(chunk);
      },
      async close() {
        await (await writer).close();
      },
      async abort(reason) {
        await (await writer).abort(reason);
      },
    });
  }

  async function handleCall(msg) {
    const target = handles.get(msg.h);
    let value;
    let ok = true;
    try {
      if (target === undefined) throw new Error(`rpc: handle ${msg.h} is gone`);
      const args = msg.args.map(dec);
      if (msg.t === 'get') value = await target[msg.m];
      else if (msg.m === null) value = await target(...args);
      else {
        if (typeof target[msg.m] !== 'function') throw new TypeError(`rpc: ${msg.m} is not a method`);
        value = await target[msg.m](...args);
      }
    } catch (e) {
      ok = false;
      value = e;
    }
    if (ok) {
      const transfer = [];
      try {
        // A stream method's stream is kept here and driven through its reader or writer.
        const encoded = msg.asHandle && isStream(value) ? handleRef(value, 0) : enc(value, transfer);
        const state = msg.m !== null && target && typeof target === 'object' ? describe(target, 0) : undefined;
        post({ t: 'ret', id: msg.id, v: encoded, state }, transfer);
      } catch (e) {
        post({ t: 'err', id: msg.id, e: encodeError(e) });
      }
    } else {
      post({ t: 'err', id: msg.id, e: encodeError(value) });
    }
  }

  function onMessage(ev) {
    const msg = ev.data;
    if (!msg || typeof msg !== 'object') return;
    switch (msg.t) {
      case 'call':
      case 'get':
        handleCall(msg);
        break;
      case 'ret':
      case 'err': {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.state) {
          const rec = proxies.get(p.target);
          const live = rec && rec.deref();
          if (live) refresh(live, msg.state);
        }
        if (msg.t === 'ret') p.resolve(dec(msg.v));
        else p.reject(decodeError(msg.e));
        break;
      }
      case 'abort': {
        const c = controllers.get(msg.id);
        controllers.delete(msg.id);
        if (c) c.abort();
        break;
      }
      case 'state': {
        const rec = proxies.get(msg.h);
        const live = rec && rec.deref();
        if (live) refresh(live, msg.state);
        break;
      }
      case 'free': {
        const v = handles.get(msg.h);
        handles.delete(msg.h);
        if (v !== undefined && v !== null && (typeof v === 'object' || typeof v === 'function')) ids.delete(v);
        break;
      }
    }
  }

  if (typeof port.addEventListener === 'function') {
    port.addEventListener('message', onMessage);
    if (typeof port.start === 'function') port.start();
  } else {
    port.onmessage = onMessage;
  }

  return {
    /** A proxy for the far end's root object. */
    remote: () => remoteHandle(0, 'root', { state: {}, lazy: [], methods: [] }),
    /** Push a fresh snapshot of a local object's state to the far end's proxy for it. */
    publish(obj) {
      const id = ids.get(obj);
      if (id !== undefined && !failure) post({ t: 'state', h: id, state: describe(obj, 1) });
    },
    /**
     * The far end died (or was let go): reject everything pending and everything after, except
     * calls of the methods named in `settle`, which resolve to undefined (closing what is
     * closed already is not an error).
     */
    fail(err, { settle = [] } = {}) {
      if (failure) return;
      failure = err;
      settled = new Set(settle);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    },
    get failed() {
      return failure;
    },
  };
}
