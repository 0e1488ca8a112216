// SSH keepalives (`connect({ keepalive: seconds })`), as OpenSSH's ServerAliveInterval and
// ServerAliveCountMax: every `seconds` a `keepalive@openssh.com` global request with want-reply
// goes out; any answer (success or failure) or any input from the server shows it is alive.
// After `keepaliveCountMax` (default 3) intervals with none, the connection is closed. Idle
// sessions also stay open through proxies that cut quiet connections. While the WebSocket is
// being resumed the count waits: the server cannot answer through a dropped socket.

export function startKeepalive(conn, SshError) {
  const seconds = Number(conn.options.keepalive) || 0;
  if (seconds <= 0) return null;
  const max = Number(conn.options.keepaliveCountMax) || 3;
  let missed = 0;
  const timer = setInterval(() => {
    if (conn.closed) {
      clearInterval(timer);
      return;
    }
    if (conn.reconnecting) return;
    if (missed >= max) {
      clearInterval(timer);
      conn.abort(new SshError('KEEPALIVE_TIMEOUT', `no answer from the server to ${max} keepalives ${seconds} s apart`));
      return;
    }
    missed += 1;
    conn.call('sendKeepalive', () => conn.engine.sendKeepalive());
  }, seconds * 1000);
  return {
    alive() {
      missed = 0;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
