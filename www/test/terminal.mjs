// What the page's terminal shows, for the Chromium tests: xterm's active buffer as text, and a
// wait until a pattern is on it (polled: xterm renders asynchronously).

/** The text of the active tab's terminal (or tab `tab`'s), lines joined with \n. */
export const screen = (page, tab = null) =>
  page.evaluate((i) => {
    const p = window.sshgatePage;
    const term = i === null ? p.term : p.tabs.tabs[i].term;
    const b = term.buffer.active;
    const lines = [];
    for (let n = 0; n < b.length; n++) lines.push(b.getLine(n).translateToString(true));
    return lines.join('\n');
  }, tab);

/**
 * Waits until `re` matches the terminal's text (`tab` as in screen()); fails after `ms` naming
 * `what`, with the screen and `context()` (e.g. a server's log) in the message.
 */
export async function waitScreen(page, re, what, { tab = null, ms = 15000, context = () => '' } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await screen(page, tab);
    if (re.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: ${re} not on the screen:\n${s}\n${context()}`);
    await page.waitForTimeout(50);
  }
}
