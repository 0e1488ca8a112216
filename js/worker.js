// The worker side of connect() in browsers (js/offthread.js): runs connect() here and exposes
// what it returns through js/rpc.js. `offThread` tells the page (and the tests) where the engine
// ran.
import { connect, SshError } from './index.js';
import { Sftp, SftpError } from './sftp.js';
import { createEndpoint } from './rpc.js';

let conn = null;
let closedShown = false;

/** Host key info the page is asked about is a copy: the connection keeps its own (conn.hostKey). */
const copying = (fn) => (typeof fn === 'function' ? (info) => fn(structuredClone(info)) : fn);
function ownHostKeyInfo(o) {
  const hk = o.hostKey;
  const hostKey = hk && typeof hk === 'object' && !Array.isArray(hk) ? { ...hk, verify: copying(hk.verify) } : copying(hk);
  return { ...o, hostKey };
}

const ep = createEndpoint(self, {
  errors: { SshError, SftpError },
  // What this side sends (received data, results) is its own to give away: transferred.
  transfer: true,
  // Methods that return a stream at once in-thread do so through the proxy too.
  streamMethods: new Map([[Sftp, { createReadStream: 'readable', createWriteStream: 'writable' }]]),
  // The page reads conn.closed / closeReason synchronously when a session's exit reaches it
  // (the connection ending ends its sessions first): the state goes ahead of that callback.
  beforeCallback() {
    if (conn && conn.closed && !closedShown) {
      closedShown = true;
      ep.publish(conn);
    }
  },
  root: {
    async connect(options) {
      const opts = ownHostKeyInfo(options);
      if (Array.isArray(opts.jump)) opts.jump = opts.jump.map((h) => (h && typeof h === 'object' ? ownHostKeyInfo(h) : h));
      const c = await connect({ ...opts, worker: false });
      c.offThread = true;
      // A host key seen again (a rekey) reaches page listeners as a copy too.
      const emit = c.emit;
      c.emit = (name, v) => emit.call(c, name, name === 'hostKey' ? structuredClone(v) : v);
      conn = c;
      // State the page reads synchronously (closed, closeReason) follows the close event; a
      // jump host's connection closes after the destination's.
      c.on('close', () => {
        closedShown = true;
        ep.publish(c);
      });
      for (const hop of c.via || []) hop.on('close', () => ep.publish(hop));
      return c;
    },
    /** Answered after everything sent before it: the page lets the worker go after this. */
    drain() {},
  },
});
