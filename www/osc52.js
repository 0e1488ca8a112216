// OSC 52 copy: a program on the device (tmux, vim, a shell function) puts text on this
// computer's clipboard with `ESC ] 52 ; c ; <base64> BEL`. Only writes to the clipboard
// selection are honoured, with a size cap; reads (`?`) are refused, as most terminals do, since
// they would let the device read whatever was copied last from any other program.

/** Largest text (decoded bytes) a device may copy in one sequence. */
export const OSC52_MAX_BYTES = 1 << 20;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * What an OSC 52 payload (`Pc;Pd`, after the `52;`) asks for: `{ copy: text }`, or
 * `{ refused: why }`. Pure, so it is tested in Node.
 */
export function decodeOsc52(data, maxBytes = OSC52_MAX_BYTES) {
  const semi = data.indexOf(';');
  if (semi < 0) return { refused: 'malformed' };
  const selection = data.slice(0, semi);
  const payload = data.slice(semi + 1);
  // `c` is the clipboard; an empty list is xterm's default, which terminals map to it too.
  if (selection !== '' && !selection.includes('c')) return { refused: 'not the clipboard' };
  if (payload === '?') return { refused: 'clipboard reads are not allowed' };
  // The length is checked before decoding anything.
  if (payload.length > Math.ceil(maxBytes / 3) * 4) return { refused: 'too large' };
  if (payload.length % 4 === 1 || !BASE64.test(payload)) return { refused: 'not base64' };
  const bin = atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '='));
  if (bin.length > maxBytes) return { refused: 'too large' };
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return { copy: new TextDecoder().decode(bytes) };
}

/**
 * Registers the OSC 52 handler on an xterm Terminal. `write(text)` puts text on the clipboard
 * (navigator.clipboard.writeText by default), `notify(message)` shows a brief notice.
 * Returns xterm's disposable.
 */
export function installOsc52(term, { write = (t) => navigator.clipboard.writeText(t), notify = () => {}, maxBytes } = {}) {
  return term.parser.registerOscHandler(52, (data) => {
    const r = decodeOsc52(data, maxBytes);
    if (r.refused) notify(`clipboard request refused: ${r.refused}`);
    else
      Promise.resolve(write(r.copy)).then(
        () => notify(`copied ${r.copy.length} characters`),
        (e) => notify(`could not copy: ${e.message}`),
      );
    // Handled either way: a refused sequence must not reach another handler.
    return true;
  });
}
