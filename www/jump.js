// "Via bastion" on the login form: the device picked from the bridge's list becomes a jump host
// (OpenSSH's ProxyJump) and the person names the device behind it (host:port, as the bastion
// reaches it) and who they are on each. The package does the rest: an SSH connection to the
// bastion, a direct-tcpip channel through it, and the device's own SSH connection inside that
// channel, each host key checked against this browser's known_hosts (asked about if new).
//
// The User and Method fields above are the device's (the destination's); the bastion logs in
// with its own user and password, or with the same key file (as OpenSSH offers its identities
// to every hop; a key signs for one session and does not travel), or answers its prompts.
// Deep links: `?via=1&behind=10.0.0.5:22&user=lab&bastionUser=ops` (or the same after `#...?`)
// fill the form; connecting puts them in the address bar.

const FIELDS = `
  <label class="check"><input id="via" type="checkbox" /> via bastion: the device above is a jump host</label>
  <div id="via-fields" hidden>
    <label>Device behind it <input id="behind" placeholder="host or host:port, as the bastion reaches it" autocomplete="off" /></label>
    <label>User on the bastion <input id="bastion-user" autocomplete="off" /></label>
    <label>Bastion password <input id="bastion-password" type="password" autocomplete="off" placeholder="if it asks for one" /></label>
    <p class="hint">User, method and credentials above are for the device behind the bastion.</p>
  </div>`;

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address → { host, port }. */
export function parseTarget(text) {
  const t = String(text || '').trim();
  if (!t) throw new Error('name the device behind the bastion (host or host:port)');
  let host = t;
  let port = 22;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) {
    host = v6[1];
    if (v6[2]) port = Number(v6[2]);
  } else if ((t.match(/:/g) || []).length === 1) {
    [host, port] = [t.slice(0, t.indexOf(':')), Number(t.slice(t.indexOf(':') + 1))];
  }
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a host:port: ${t}`);
  return { host, port };
}

/** The name a host key is kept under: `host`, or `[host]:port` off port 22 (as known_hosts). */
export const keyName = (host, port) => (port === 22 ? host : `[${host}]:${port}`);

/** Deep-link parameters from the query string and from `#...?k=v` in the hash. */
function linkParams() {
  const p = new URLSearchParams(location.search);
  const i = location.hash.indexOf('?');
  if (i >= 0) for (const [k, v] of new URLSearchParams(location.hash.slice(i + 1))) p.set(k, v);
  return p;
}

/**
 * Adds the fields to `form` (before `before`, e.g. the Connect button) and returns
 * `{ options(base, ctx) }`: the connect options for a login, `base` as is when the box is not
 * ticked. `ctx`: `{ device, knownHosts, trustedCAs, askHostKey(name, info, port), askPrompts }`.
 */
export function installJump(form, before) {
  const wrap = document.createElement('div');
  wrap.className = 'via';
  wrap.innerHTML = FIELDS;
  form.insertBefore(wrap, before);
  const $ = (id) => wrap.querySelector(`#${id}`);
  const show = () => ($('via-fields').hidden = !$('via').checked);
  $('via').addEventListener('change', show);

  const link = linkParams();
  const saved = JSON.parse(localStorage.getItem('sshgate.via') || '{}');
  $('via').checked = link.has('behind') ? link.get('via') !== '0' : Boolean(saved.on);
  $('behind').value = link.get('behind') || saved.behind || '';
  $('bastion-user').value = link.get('bastionUser') || saved.bastionUser || '';
  show();
  // The device and user of a link win over the last login's, which the page fills in once the
  // bridge's device list arrives (this observer runs after that fill).
  if (link.has('device') || link.has('user')) {
    const select = form.querySelector('#device');
    const apply = () => {
      if ([...select.options].some((o) => o.value === link.get('device'))) select.value = link.get('device');
      if (link.has('user')) form.querySelector('#user').value = link.get('user');
    };
    apply();
    new MutationObserver(apply).observe(select, { childList: true });
  }

  /** Puts the login in the address bar (no secrets), so it can be bookmarked or shared. */
  function remember(device, user, { on, behind, bastionUser }) {
    localStorage.setItem('sshgate.via', JSON.stringify({ on, behind, bastionUser }));
    const p = new URLSearchParams(location.search);
    for (const k of ['via', 'behind', 'bastionUser', 'device', 'user']) p.delete(k);
    if (on) {
      p.set('via', '1');
      p.set('device', device);
      p.set('behind', behind.trim());
      p.set('bastionUser', bastionUser);
      if (user) p.set('user', user);
    }
    const q = p.toString();
    history.replaceState(null, '', `${location.pathname}${q ? `?${q}` : ''}${location.hash}`);
  }

  /** The fields as they are now: what a login keeps, so a reconnect goes the same way. */
  function snapshot() {
    return { on: $('via').checked, behind: $('behind').value, bastionUser: $('bastion-user').value, password: $('bastion-password').value };
  }

  /** `ctx.via`: a snapshot() taken at login (absent: the login did not come from the form, so direct). */
  function options(base, { via, device, knownHosts, trustedCAs, askHostKey, askPrompts }) {
    if (via) remember(device, base.username, via);
    if (!via || !via.on) return base;
    const { host, port } = parseTarget(via.behind);
    const bastionUser = via.bastionUser.trim();
    if (!bastionUser) throw new Error('the user on the bastion is needed');
    const password = via.password;
    const keys = base.auth.filter((m) => m.type === 'publickey');

    const bastionAuth = [...keys];
    if (password) bastionAuth.push({ type: 'password', password });
    // Prompts (an OTP, or a password not typed above) are asked in the page's dialog.
    bastionAuth.push({ type: 'keyboard-interactive', onPrompt: password ? undefined : askPrompts, password: password || undefined });
    return {
      ...base,
      jump: [
        {
          username: bastionUser,
          auth: bastionAuth,
          hostKey: { knownHosts, host: device, port: 22, trustedCAs, verify: (info) => askHostKey(device, info, 22) },
        },
      ],
      host,
      port,
      hostKey: { knownHosts, host, port, trustedCAs, hostName: host, verify: (info) => askHostKey(host, info, port) },
    };
  }

  return { options, snapshot, label: (device) => ($('via').checked ? `${$('behind').value.trim()} via ${device}` : device) };
}
