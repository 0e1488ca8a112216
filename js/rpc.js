// A generic RPC proxy over a MessagePort (Worker, MessageChannel), symmetric: either end can
// expose a root object and call the other's. Why generic: connect() moves into a Web Worker and
// every class it returns (Connection, Session, and whatever later features add) must work through
// it without a hand-written proxy per class.
//
// What crosses:
// - plain data by structured clone; ArrayBuffers (and the buffers under typed arrays) and
//   Readable/WritableStreams are put in the transfer list, so a packet is moved, not copied;
// - class instances (anything whose prototype is not Object's) as handles: the far end gets a
//   Proxy whose methods return Promises and whose own data properties (a snapshot, refreshed
//   after every call on it and by `state` messages) read synchronously;
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
  if (v instanceof Error) return false;
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

/** Own enumerable data properties of a handle that are plain values: its mirrored state. */
function snapshot(obj) {
  const out = {};
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (k.startsWith('_') || typeof v === 'function') continue;
    if (v === null || typeof v !== 'object' || Array.isArray(v) || isPlainProto(Object.getPrototypeOf(v))) {
      try {
        structuredClone(v);
        out[k] = v;
      } catch {
        // not cloneable: not mirrored
      }
    }
  }
  return out;
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

export function createEndpoint(port, { root = null, errors = {} } = {}) {
  let nextId = 1;
  const handles = new Map([[0, root]]); // id -> local object or function we export
  const ids = new WeakMap(); // local object/function -> id
  const pending = new Map(); // call id -> { resolve, reject }
  const controllers = new Map(); // far signal id -> local AbortController
  const proxies = new Map(); // far handle id -> WeakRef(proxy state)
  let failure = null;

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

  // Encode a value for the wire, collecting transferables.
  function enc(v, transfer) {
    if (typeof v === 'function') return { __rpc: 'f', id: exportLocal(v) };
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof ArrayBuffer) {
      transfer.push(v);
      return v;
    }
    if (ArrayBuffer.isView(v)) {
      if (!transfer.includes(v.buffer)) transfer.push(v.buffer);
      return v;
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
    if (isHandleable(v)) {
      return { __rpc: 'h', id: exportLocal(v), cls: v.constructor && v.constructor.name, state: snapshot(v) };
    }
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
        return remoteHandle(v.id, v.cls, v.state);
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
    if (failure) return Promise.reject(failure);
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

  function remoteHandle(hid, cls, state) {
    const known = proxies.get(hid);
    const live = known && known.deref();
    if (live) {
      Object.assign(live.state, state);
      return live.proxy;
    }
    const rec = { state: { ...state }, proxy: null };
    rec.proxy = new Proxy(Object.create(null), {
      get(_, prop) {
        if (prop === 'then' || typeof prop === 'symbol') return undefined;
        if (prop === '__rpcClass') return cls;
        if (Object.prototype.hasOwnProperty.call(rec.state, prop)) return rec.state[prop];
        return (...args) => request({ t: 'call', h: hid, m: prop, args });
      },
      has(_, prop) {
        return Object.prototype.hasOwnProperty.call(rec.state, prop);
      },
    });
    proxies.set(hid, new WeakRef(rec));
    // Keep the record alive as long as the proxy is.
    ids.set(rec.proxy, rec);
    if (registry) registry.register(rec.proxy, hid);
    return rec.proxy;
  }

  async function handleCall(msg) {
    const target = handles.get(msg.h);
    let value;
    let ok = true;
    try {
      if (target === undefined) throw new Error(`rpc: handle ${msg.h} is gone`);
      const args = msg.args.map(dec);
      if (msg.m === null) value = await target(...args);
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
      let encoded;
      try {
        encoded = enc(value, transfer);
      } catch (e) {
        post({ t: 'err', id: msg.id, e: encodeError(e) });
        return;
      }
      const state = msg.m !== null && target && typeof target === 'object' ? snapshot(target) : undefined;
      post({ t: 'ret', id: msg.id, v: encoded, state }, transfer);
    } else {
      post({ t: 'err', id: msg.id, e: encodeError(value) });
    }
  }

  function onMessage(ev) {
    const msg = ev.data;
    if (!msg || typeof msg !== 'object') return;
    switch (msg.t) {
      case 'call':
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
          if (live) Object.assign(live.state, msg.state);
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
        if (live) Object.assign(live.state, msg.state);
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
    remote: () => remoteHandle(0, 'root', {}),
    /** Push a fresh snapshot of a local object's state to the far end's proxy for it. */
    publish(obj) {
      const id = ids.get(obj);
      if (id !== undefined && !failure) post({ t: 'state', h: id, state: snapshot(obj) });
    },
    /** The far end died: reject everything pending and everything after. */
    fail(err) {
      if (failure) return;
      failure = err;
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    },
    get failed() {
      return failure;
    },
  };
}
