// Host certificate authorities for OpenSSH host certificates: `@cert-authority` lines kept with
// the page's known_hosts lines (IndexedDB, keyed by the line itself) and edited in the settings
// dialog. A device whose host certificate one of them signed for its name (valid now) logs in
// without the host key question; the package judges it (hostKey.knownHosts).

const PREFIX = '@cert-authority ';
// `@cert-authority hosts keytype base64 [comment]`.
const LINE = /^@cert-authority\s+\S+\s+\S+\s+[A-Za-z0-9+/]+=*(\s.*)?$/;

/** The kept `@cert-authority` lines. */
export async function caLines(store) {
  const keys = (await store.keys('knownHosts')).filter((k) => String(k).startsWith(PREFIX));
  return Promise.all(keys.map((k) => store.get('knownHosts', k)));
}

/** Wires `textarea` (one line each) to the kept lines: filled when `openButton` opens the dialog,
 * saved on change; a line that is not a `@cert-authority` line is reported and nothing saved. */
export function installHostCas(textarea, openButton, store) {
  openButton.addEventListener('click', async () => {
    textarea.value = (await caLines(store)).join('\n');
  });
  textarea.addEventListener('change', async () => {
    const lines = textarea.value
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const bad = lines.find((l) => !LINE.test(l));
    textarea.setCustomValidity(bad ? `not a @cert-authority line: ${bad.slice(0, 60)}` : '');
    if (bad) {
      textarea.reportValidity();
      return;
    }
    for (const k of await store.keys('knownHosts')) if (String(k).startsWith(PREFIX)) await store.remove('knownHosts', k);
    for (const l of lines) await store.put('knownHosts', l, l);
    textarea.dispatchEvent(new CustomEvent('saved'));
  });
}
