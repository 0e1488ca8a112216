// Jump hosts (`connect({ jump: [hop1, hop2, ...], host, port, ... })`), as OpenSSH's ProxyJump:
// the WebSocket reaches the first hop; once it is authenticated, a `direct-tcpip` channel
// (RFC 4254 §7.2) is opened to the next hop, and the next connection is a second engine whose
// "WebSocket" is that channel's bytes; and so on to the destination `host:port`. Each hop is a
// full SSH connection with its own user, auth and host key policy, so a bastion sees only
// encrypted bytes of the connections behind it and a host key is checked at every step.
//
// Closing the destination's connection closes the hops (innermost first); a hop that ends
// ends every connection carried inside it. Errors name the hop that failed (`hop`, `hopHost`).

/** Options a hop takes from the destination's unless it gives its own (never credentials
 * or a host key policy: a bastion must not be offered the destination's password). */
const INHERITED = ['wasm', 'software', 'algorithms'];

/** The last path segment of a bridge URL (`wss://bridge/ssh/bastion` → `bastion`). */
function bridgeTarget(websocket) {
  const url = typeof websocket === 'string' ? websocket : websocket && websocket.url;
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() || '') || undefined;
  } catch {
    return undefined;
  }
}

const hostPort = (host, port) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** One hop's connect options: its own, a few inherited, the carrier socket, its name for keys. */
function hopOptions(options, hop, websocket) {
  const o = { ...hop, websocket };
  for (const k of INHERITED) if (o[k] === undefined && options[k] !== undefined) o[k] = options[k];
  delete o.jump;
  if (hop.host !== undefined) {
    o.hostName ||= hop.host;
    o.port ||= hop.port || 22;
    // known_hosts text in a policy object is looked up under the hop's own name by default.
    const hk = o.hostKey;
    if (hk && typeof hk === 'object' && hk.knownHosts !== undefined && !hk.host) o.hostKey = { ...hk, host: hop.host, port: o.port };
  }
  return o;
}

/** An SshError like `e`, its message prefixed with the hop's name, tagged with the hop. */
function named(SshError, e, label, hop, hopHost) {
  const base = e instanceof SshError ? e : new SshError((e && e.code) || 'PROTOCOL_ERROR', String(e && e.message ? e.message : e));
  return Object.assign(new SshError(base.code, `${label}: ${base.message}`), base, { hop, hopHost });
}

/**
 * A WebSocket-like object over a direct-tcpip channel, for the next hop's Connection. Bytes the
 * channel's window cannot take yet wait in the channel (the inner engine's own windows bound
 * them); received bytes wait in the channel, unconsumed, until the Connection listens.
 */
function channelSocket(ch, closedError) {
  let onmessage = null;
  const ws = {
    readyState: 1,
    binaryType: 'arraybuffer',
    onopen: null,
    onerror: null,
    onclose: null,
    send: (bytes) => {
      ch.write(bytes).catch(() => {});
    },
    close: () => {
      ch.close();
    },
    get onmessage() {
      return onmessage;
    },
    set onmessage(fn) {
      const first = !onmessage;
      onmessage = fn;
      if (first) ch.onData((data) => onmessage && onmessage({ data }));
    },
  };
  ch.onClose((err) => {
    ws.readyState = 3;
    if (ws.onclose) ws.onclose({ code: 1006, error: closedError(err) });
  });
  return ws;
}

function checkJump(options, SshError) {
  const { jump } = options;
  if (!Array.isArray(jump) || !jump.length) throw new SshError('BAD_OPTIONS', 'jump: a list of hops (connect options for each bastion) is needed');
  jump.forEach((hop, i) => {
    if (!hop || typeof hop !== 'object') throw new SshError('BAD_OPTIONS', `jump[${i}]: connect options for the hop are needed`);
    if (i > 0 && (typeof hop.host !== 'string' || !hop.host)) {
      throw new SshError('BAD_OPTIONS', `jump[${i}].host: the name or address jump host ${i} connects to is needed`);
    }
    if (hop.websocket !== undefined) throw new SshError('BAD_OPTIONS', `jump[${i}].websocket: only the top-level websocket (to the first hop) is used`);
  });
  if (typeof options.host !== 'string' || !options.host) {
    throw new SshError('BAD_OPTIONS', 'host: the destination the last jump host connects to is needed');
  }
}

/**
 * Connects through `options.jump` to `options.host:options.port`; resolves to the
 * destination's Connection (its `via` lists the hops' Connections, the first hop first).
 * `lib` is index.js's { Connection, SshError, checkOptions }.
 */
export async function connectThroughJumps(options, { Connection, SshError, checkOptions }) {
  checkJump(options, SshError);
  const port = options.port || 22;
  const hops = options.jump.map((hop, i) => {
    const p = hop.port || 22;
    const where = hop.host ? hostPort(hop.host, p) : bridgeTarget(options.websocket) || 'the bridge target';
    return { hop, label: `jump host ${i + 1} (${where})`, where };
  });
  const dest = { label: `destination ${hostPort(options.host, port)} via ${hops.map((h) => h.where).join(', ')}`, where: hostPort(options.host, port) };
  const via = [];
  const closeHops = () => {
    for (const c of [...via].reverse()) c.close();
  };
  let carrier = options.websocket;
  const step = async (label, index, where, opts) => {
    try {
      checkOptions(opts);
      return await new Connection(opts).ready;
    } catch (e) {
      throw named(SshError, e, label, index, where);
    }
  };
  try {
    for (const [i, { hop, label, where }] of hops.entries()) {
      const c = await step(label, i + 1, where, hopOptions(options, hop, carrier));
      via.push(c);
      const after = hops[i + 1];
      const next = after ? { host: after.hop.host, port: after.hop.port || 22, where: after.where } : { host: options.host, port, where: dest.where };
      let ch;
      try {
        ch = await c.forwardOut(next.host, next.port);
      } catch (e) {
        throw named(SshError, e, `${label} could not reach ${next.where}`, i + 2, next.where);
      }
      // The hop ending under the next connection is that connection's end, named.
      carrier = channelSocket(ch, (err) => {
        const why = err ? err.message : 'it closed the channel';
        return new SshError('HOP_CLOSED', `${label} ended the connection it carried: ${why}`, { hop: i + 1, hopHost: where });
      });
    }
    const finalOptions = { ...options, websocket: carrier, hostName: options.hostName || options.host, port };
    delete finalOptions.jump;
    const conn = await step(dest.label, hops.length + 1, dest.where, finalOptions);
    conn.via = via;
    conn.on('close', closeHops);
    if (conn.closed) closeHops();
    return conn;
  } catch (e) {
    closeHops();
    throw e;
  }
}
