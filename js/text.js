// Text from an SSH server made safe to show: the JavaScript twin of the engine's `sshgate::text`
// (src/text.rs), with the same rules, so a page shows a banner or a disconnect reason as the
// native `sshgate-host ssh` does. A server chooses every byte of its banner, prompts, DEBUG and
// DISCONNECT texts; written raw into a terminal (xterm.js), `\x1b]0;...\x07` retitles the window
// and `\x1b[2J` clears it. As OpenSSH's `stravis(3)` with VIS_SAFE | VIS_OCTAL:
//
// - C0 controls, DEL and backslash become `\ooo` / `\\`, except newline and tab in
//   `forTerminal` (where `\r\n` becomes `\n`);
// - C1 controls (U+0080-U+009F), bidi embeddings, overrides and isolates, line and paragraph
//   separators and U+FEFF become `\u{XXXX}`; a lone surrogate becomes U+FFFD;
// - past `maxChars` characters the rest is cut, with a note of how many UTF-8 bytes were left out.

/** Longest text `forTerminal` keeps by default (a banner of a few screens). */
export const TERMINAL_MAX_CHARS = 32 * 1024;
/** Longest text `forLog` keeps by default (as the engine's `LOG_MAX_CHARS`). */
export const LOG_MAX_CHARS = 256;

/** Text for a terminal: newlines and tabs kept, every other control escaped. */
export function forTerminal(text, maxChars = TERMINAL_MAX_CHARS) {
  return escape(String(text), maxChars, true);
}

/** One line (a log, a status line): every control escaped, newlines too. */
export function forLog(text, maxChars = LOG_MAX_CHARS) {
  return escape(String(text), maxChars, false);
}

function needsUnicodeEscape(cp) {
  return (
    (cp >= 0x80 && cp <= 0x9f) || // C1 controls: CSI (U+009B) and OSC (U+009D) on some terminals
    cp === 0x2028 ||
    cp === 0x2029 || // line and paragraph separators
    (cp >= 0x202a && cp <= 0x202e) || // bidi embeddings and overrides ("Trojan Source")
    (cp >= 0x2066 && cp <= 0x2069) || // bidi isolates
    cp === 0xfeff // zero-width no-break space / BOM
  );
}

function escape(text, maxChars, multiLine) {
  const chars = Array.from(text, (c) => {
    const cp = c.codePointAt(0);
    return cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : c;
  });
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    if (i === maxChars) {
      const rest = new TextEncoder().encode(chars.slice(i).join('')).length;
      out += `...[${rest} more bytes]`;
      break;
    }
    const c = chars[i];
    const cp = c.codePointAt(0);
    if (multiLine && (c === '\n' || c === '\t')) out += c;
    // A CR that ends a line is the line end a terminal expects; any other CR moves the cursor
    // back over what was already shown.
    else if (multiLine && c === '\r' && chars[i + 1] === '\n') continue;
    else if (c === '\\') out += '\\\\';
    else if (cp < 0x20 || cp === 0x7f) out += `\\${cp.toString(8).padStart(3, '0')}`;
    else if (needsUnicodeEscape(cp)) out += `\\u{${cp.toString(16).toUpperCase().padStart(4, '0')}}`;
    else out += c;
  }
  return out;
}
