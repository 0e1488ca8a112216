// The "security key" login method: FIDO2/WebAuthn keys used as OpenSSH security keys
// (sk-ecdsa-sha2-nistp256@openssh.com, signed as webauthn-sk-ecdsa-sha2-nistp256@openssh.com).
// "Register a security key" asks the browser for a new credential bound to this page's host name
// (the relying party, which becomes the key's application), shows its authorized_keys line to
// copy to the device, and keeps { credentialId, publicKey } in IndexedDB (store.js,
// `securityKeys`, by fingerprint; nothing secret: the private key never leaves the
// authenticator). Logging in with it makes the browser ask for a touch of the key.

const FIELDS = `
  <label>Security key <select id="sk-select"><option value="">(none registered in this browser)</option></select></label>
  <button id="sk-register" type="button">Register a new security key</button>
  <div id="sk-line-box" hidden>
    <p class="hint">Put this line in the user's <code>authorized_keys</code> on the device (OpenSSH: <code>~/.ssh/authorized_keys</code>), then connect:</p>
    <textarea id="sk-line" readonly rows="5" spellcheck="false"></textarea>
    <button id="sk-copy" type="button">Copy</button>
    <button id="sk-forget" type="button">Forget this key</button>
  </div>`;

/**
 * Adds the method's fields after `after` (an element of the login form) and returns
 * `{ entry(), refresh() }`: `entry()` is the auth entry of the chosen key for connect().
 * `ctx`: `{ sshgate, store, user(), device(), message(text), notice(text) }`.
 */
export function installSecurityKey(after, ctx) {
  const wrap = document.createElement('div');
  wrap.dataset.for = 'securityKey';
  wrap.className = 'security-key';
  wrap.innerHTML = FIELDS;
  after.after(wrap);
  const $ = (id) => wrap.querySelector(`#${id}`);
  const select = $('sk-select');
  let keys = [];

  function show() {
    const k = keys.find((x) => x.fingerprint === select.value);
    $('sk-line-box').hidden = !k;
    $('sk-line').value = k ? k.publicKey : '';
  }

  async function refresh(chosen) {
    keys = await ctx.store.all('securityKeys').catch(() => []);
    keys.sort((a, b) => a.created - b.created);
    select.replaceChildren(new Option(keys.length ? '(choose one)' : '(none registered in this browser)', ''));
    for (const k of keys) select.append(new Option(`${k.name} — ${k.fingerprint}`, k.fingerprint));
    select.value = chosen || (keys.length === 1 ? keys[0].fingerprint : '');
    show();
  }

  select.addEventListener('change', show);

  $('sk-register').addEventListener('click', async () => {
    const user = ctx.user();
    const device = ctx.device();
    const name = user ? `${user}@${device}` : device || 'sshgate';
    ctx.message('touch your security key (or confirm) to create the key…');
    $('sk-register').disabled = true;
    try {
      const k = await ctx.sshgate.registerSecurityKey({ user: name, comment: `${name} (${location.hostname})` });
      await ctx.store.put('securityKeys', k.fingerprint, { ...k, name, created: Date.now() });
      await refresh(k.fingerprint);
      ctx.message("registered: add its line (below) to the device's authorized_keys");
    } catch (e) {
      // Browsers refuse an IP address as a relying party: the page needs a name.
      const ip = /^[\d.]+$|:/.test(location.hostname);
      if (e.code === 'SECURITY_KEY_CANCELLED') ctx.message('no key was registered (cancelled or timed out)');
      else if (ip) ctx.message(`could not register: security keys need the page opened by a name (e.g. localhost), not ${location.hostname}`);
      else ctx.message(`could not register: ${e.message}`);
    } finally {
      $('sk-register').disabled = false;
    }
  });

  $('sk-copy').addEventListener('click', () => {
    $('sk-line').select();
    navigator.clipboard.writeText($('sk-line').value).then(
      () => ctx.notice('copied'),
      () => ctx.notice('select the line and copy it'),
    );
  });

  $('sk-forget').addEventListener('click', async () => {
    if (!select.value) return;
    await ctx.store.remove('securityKeys', select.value);
    await refresh('');
    ctx.message('forgotten in this browser (the credential stays on the key; remove the line from the device)');
  });

  refresh();

  return {
    refresh,
    /** The auth entry for connect() with the chosen key. */
    entry() {
      const k = keys.find((x) => x.fingerprint === select.value);
      if (!k) throw new Error(keys.length ? 'choose a security key' : 'register a security key first, and add its line to the device');
      return { type: 'securityKey', credentialId: k.credentialId, publicKey: k.publicKey };
    },
  };
}
