// The page's settings (font size, scrollback, confirm before closing live sessions, key bar),
// kept in localStorage: nothing secret, and this browser only.

const KEY = 'sshgate.settings';

export const DEFAULTS = Object.freeze({ fontSize: 14, scrollback: 5000, confirmClose: true, keyBar: 'auto' });

const clamp = (v, lo, hi, d) => (Number.isFinite(Number(v)) ? Math.min(hi, Math.max(lo, Math.round(Number(v)))) : d);

/** Settings from any stored value: unknown keys dropped, numbers clamped, the rest defaulted. */
export function normalize(raw) {
  const r = raw && typeof raw === 'object' ? raw : {};
  return {
    fontSize: clamp(r.fontSize, 8, 32, DEFAULTS.fontSize),
    scrollback: clamp(r.scrollback, 0, 100000, DEFAULTS.scrollback),
    confirmClose: typeof r.confirmClose === 'boolean' ? r.confirmClose : DEFAULTS.confirmClose,
    keyBar: ['auto', 'on', 'off'].includes(r.keyBar) ? r.keyBar : DEFAULTS.keyBar,
  };
}

export function loadSettings(storage = localStorage) {
  try {
    return normalize(JSON.parse(storage.getItem(KEY) || '{}'));
  } catch {
    return normalize({});
  }
}

export function saveSettings(settings, storage = localStorage) {
  const s = normalize(settings);
  storage.setItem(KEY, JSON.stringify(s));
  return s;
}

/**
 * Wires the settings dialog (inputs #set-fontSize, #set-scrollback, #set-confirmClose,
 * #set-keyBar) to `apply(settings)`, called now and on every change.
 */
export function installSettings(dialog, openButton, apply) {
  const field = (k) => dialog.querySelector(`#set-${k}`);
  let current = loadSettings();
  const fill = () => {
    field('fontSize').value = current.fontSize;
    field('scrollback').value = current.scrollback;
    field('confirmClose').checked = current.confirmClose;
    field('keyBar').value = current.keyBar;
  };
  dialog.addEventListener('change', () => {
    current = saveSettings({
      fontSize: field('fontSize').value,
      scrollback: field('scrollback').value,
      confirmClose: field('confirmClose').checked,
      keyBar: field('keyBar').value,
    });
    apply(current);
  });
  openButton.addEventListener('click', () => {
    fill();
    dialog.showModal();
  });
  fill();
  apply(current);
  return () => current;
}
