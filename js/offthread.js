// The page side of connect() in browsers: starts js/worker.js, which runs the engine and the
// WebSocket, and hands back a proxy Connection (js/rpc.js) with the same promise API, so a DH
// group16 + RSA-3072 login does not stall the page's input. `worker: false` keeps the engine in
// the page's thread; Node always keeps it in-thread.
import { createEndpoint } from './rpc.js';
import { SftpError } from './sftp.js';
import { withPageAssertions } from './webauthn.js';

// After the connection closed and its worker was let go: closing, ending, writing to or
// listening on what is closed is not an error (as in-thread); anything else rejects.
const SETTLE = ['close', 'end', 'write', 'resize', 'signal', 'on', 'off', 'onData', 'onStderr', 'onExit', 'onEnd', 'onClose'];

/** Whether this connect() goes to a worker. */
export function wanted(options) {
  if (options.worker === false) return false;
  if (typeof Worker === 'undefined' || typeof window === 'undefined') return false; // Node, or a worker already
  // An open WebSocket object, a preloaded CertificateCredential or any other class instance
  // cannot cross to the worker: such a connection stays in-thread.
  return typeof options.websocket === 'string' && crossable(options);
}

function crossable(v) {
  if (v === null || typeof v !== 'object') return true; // primitives, functions (proxied)
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof AbortSignal) return true;
  if (typeof WebAssembly !== 'undefined' && v instanceof WebAssembly.Module) return true;
  if (Array.isArray(v)) return v.every(crossable);
  const p = Object.getPrototypeOf(v);
  if (p !== Object.prototype && p !== null) return false;
  return Object.entries(v).every(([k, x]) => k === 'worker' || crossable(x));
}

export async function connect(options, { SshError }) {
  const { worker: where, ...given } = options;
  // A security key signs through this page's WebAuthn: the worker has none.
  const rest = withPageAssertions(given);
  const worker =
    where instanceof URL || typeof where === 'string'
      ? new Worker(where, { type: 'module' })
      : new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  // Buffers the page passes are copied (the caller may reuse them); what the worker sends
  // (received data) is transferred.
  const ep = createEndpoint(worker, { errors: { SshError, SftpError }, transfer: false });
  const root = ep.remote();
  const die = (what) => {
    ep.fail(new SshError('WORKER_FAILED', `the connection's worker failed: ${what}`));
    worker.terminate();
  };
  worker.addEventListener('error', (ev) => die((ev && ev.message) || 'error'));
  worker.addEventListener('messageerror', () => die('a message could not be read'));
  let released = false;
  // Once closed, the worker is let go, but only after every message it sent before is handled
  // (the answer to drain() comes after them): a terminated worker's queued messages are lost,
  // and with them the session's last output and its exit.
  const release = async (reason) => {
    if (released) return;
    released = true;
    await root.drain().catch(() => {});
    const r = reason || {};
    ep.fail(new SshError(r.code || 'CLOSED_LOCALLY', `the connection is closed: ${r.message || 'closed'}`), { settle: SETTLE });
    worker.terminate();
  };
  try {
    const conn = await root.connect(rest);
    await conn.on('close', (r) => release(r));
    if (conn.closed) release(conn.closeReason);
    return conn;
  } catch (e) {
    worker.terminate();
    throw e;
  }
}
