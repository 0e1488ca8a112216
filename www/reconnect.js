// The page's side of a resumed WebSocket (js/resume.js): while the package reconnects, the
// tab's status line says so; once the session is resumed, the status it had comes back. The
// terminal itself needs nothing: it sees no gap.

export function installReconnectStatus(tabs, setStatus) {
  tabs.on('connected', (tab) => {
    const conn = tab.conn;
    if (!conn) return;
    let saved = null;
    conn.on('reconnecting', ({ attempt }) => {
      if (saved === null) saved = tab.status;
      setStatus(tab, `connection lost, reconnecting (attempt ${attempt})…`);
    });
    conn.on('resumed', () => {
      if (saved !== null) setStatus(tab, saved);
      saved = null;
    });
  });
}
