// The page side of connect({ worker }): starts js/worker.js, which runs the engine and the
// WebSocket, and hands back a proxy Connection (js/rpc.js) with the same promise API, so a DH
// group16 + RSA-3072 login does not stall the page's input.
import { createEndpoint } from './rpc.js';
import { withPageAssertions } from './webauthn.js';

/**
 * Whether this connect() goes to a worker. Opt-in (`worker: true` or a worker URL) for now: with
 * it on by default the page's e2e test lost its "connection closed" line (gap to close).
 */
export function wanted(options) {
  if (!options.worker) return false;
  if (typeof Worker === 'undefined' || typeof window === 'undefined') return false; // Node: in-thread
  // An open WebSocket object, a preloaded CertificateCredential or any other class instance
  // cannot cross to the worker: such a connection stays in-thread.
  return typeof options.websocket === 'string' && crossable(options);
}

function crossable(v) {
  if (v === null || typeof v !== 'object') return true; // primitives, functions (proxied)
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof AbortSignal) return true;
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
  const ep = createEndpoint(worker, { errors: { SshError } });
  const die = (what) => {
    ep.fail(new SshError('WORKER_FAILED', `the connection's worker failed: ${what}`));
    worker.terminate();
  };
  worker.addEventListener('error', (ev) => die((ev && ev.message) || 'error'));
  worker.addEventListener('messageerror', () => die('a message could not be read'));
  try {
    const conn = await ep.remote().connect(rest);
    await conn.on('close', () => setTimeout(() => worker.terminate(), 0));
    return conn;
  } catch (e) {
    worker.terminate();
    throw e;
  }
}
