// A key bar for touch screens, whose soft keyboards lack Esc, Ctrl, Alt, Tab and arrows. Ctrl
// and Alt are sticky: tapped once, they apply to the next key typed on the soft keyboard (as in
// Termux and Blink). Arrows and Home/End follow the terminal's application cursor mode
// (DECCKM), as a real keyboard's do in xterm.

const CSI = '\x1b[';

/** The bar's keys: label → name. */
export const KEYBAR = ['Esc', 'Ctrl', 'Alt', 'Tab', '←', '↑', '↓', '→', 'Home', 'End', 'PgUp', 'PgDn', '|', '~', '/'];

/** The bytes a key of the bar sends (null for the modifiers). */
export function keySequence(key, { appCursor = false } = {}) {
  const cursor = (c) => (appCursor ? `\x1bO${c}` : `${CSI}${c}`);
  switch (key) {
    case 'Esc':
      return '\x1b';
    case 'Tab':
      return '\t';
    case '↑':
      return cursor('A');
    case '↓':
      return cursor('B');
    case '→':
      return cursor('C');
    case '←':
      return cursor('D');
    case 'Home':
      return cursor('H');
    case 'End':
      return cursor('F');
    case 'PgUp':
      return `${CSI}5~`;
    case 'PgDn':
      return `${CSI}6~`;
    case '|':
    case '~':
    case '/':
      return key;
    default:
      return null;
  }
}

/** `data` with Ctrl and/or Alt applied (to a single typed character; other input unchanged). */
export function applyModifiers(data, { ctrl = false, alt = false } = {}) {
  let out = data;
  if (ctrl && data.length === 1) {
    const c = data.toUpperCase().charCodeAt(0);
    if (c >= 0x40 && c <= 0x5f) out = String.fromCharCode(c & 0x1f);
    else if (data === ' ' || data === '2') out = '\0';
    else if (data === '?' || data === '8') out = '\x7f';
  }
  return alt ? `\x1b${out}` : out;
}

/**
 * Builds the bar into `container`. `send(bytes)` writes to the active session; `appCursor()`
 * says whether the active terminal is in application cursor mode. Returns `{ transform(data),
 * show(on) }`: main.js passes what the terminal types through transform (the sticky modifiers).
 */
export function installKeyBar(container, { send, appCursor = () => false, focus = () => {} }) {
  const sticky = { ctrl: false, alt: false };
  const buttons = {};
  const refresh = () => {
    buttons.Ctrl.classList.toggle('on', sticky.ctrl);
    buttons.Alt.classList.toggle('on', sticky.alt);
    buttons.Ctrl.setAttribute('aria-pressed', String(sticky.ctrl));
    buttons.Alt.setAttribute('aria-pressed', String(sticky.alt));
  };
  for (const key of KEYBAR) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = key;
    b.dataset.key = key;
    // pointerdown + preventDefault: the terminal keeps the focus, so the soft keyboard stays up.
    b.addEventListener('pointerdown', (ev) => ev.preventDefault());
    b.addEventListener('click', () => {
      if (key === 'Ctrl' || key === 'Alt') {
        sticky[key.toLowerCase()] = !sticky[key.toLowerCase()];
        refresh();
      } else {
        // The modifiers apply to the bar's keys too (Alt+arrow is ESC then the arrow, as xterm's metaSendsEscape).
        let seq = keySequence(key, { appCursor: appCursor() });
        if (sticky.ctrl) seq = applyModifiers(seq, { ctrl: true });
        if (sticky.alt) seq = `\x1b${seq}`;
        send(seq);
        sticky.ctrl = sticky.alt = false;
        refresh();
      }
      focus();
    });
    buttons[key] = b;
    container.append(b);
  }
  refresh();
  return {
    transform(data) {
      if (!sticky.ctrl && !sticky.alt) return data;
      const out = applyModifiers(data, sticky);
      sticky.ctrl = sticky.alt = false;
      refresh();
      return out;
    },
    show(on) {
      container.hidden = !on;
    },
  };
}
