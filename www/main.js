// The terminal page: a device list from the bridge (`/targets`), a login form (password, key
// file, keyboard-interactive, certificate file), the host key question (with the certificate's
// subject and issuer for an x509v3 host key) before any credential goes out, keyboard-interactive
// prompts, and xterm.js wired to an SSH shell that runs in this page (the `sshgate` package).
// The bridge sees only ciphertext.

import '@xterm/xterm/css/xterm.css';
import * as sshgate from 'sshgate';
import * as store from './store.js';
import { TabManager } from './tabs.js';
import { installOsc52 } from './osc52.js';
import { installKeyBar } from './keybar.js';
import { parseDeepLink, formatTarget } from './deeplink.js';
import { installSettings, loadSettings } from './settings.js';
import { attachFiles } from './files.js';
import { installJump, parseTarget, keyName } from './jump.js';
import { installHostCas } from './hostcas.js';
import { installSecurityKey } from './securitykey.js';
import { installReconnectStatus } from './reconnect.js';

const $ = (id) => document.getElementById(id);
const form = $('login');
const status = $('status-text');
const message = (text) => ($('message').textContent = text);

// --- tabs: one TerminalTab per session ------------------------------------------------------------
const tabs = new TabManager({
  bar: $('tabs'),
  panes: $('terminal'),
  newButton: $('new-tab'),
  termOptions: { cursorBlink: true, fontSize: loadSettings().fontSize, scrollback: loadSettings().scrollback, allowProposedApi: false },
  // A new tab starts at the login form.
  onNew: () => {
    message('');
    form.hidden = false;
  },
});

// What the tests (and a curious person in the console) can look at: the active tab's session.
const { connect, init, knownHostsEntry, privateKeyInfo, certificateCredential, forTerminal, forLog } = sshgate;
const page = {
  sshgate,
  store,
  tabs,
  get tab() {
    return tabs.active;
  },
  get term() {
    return tabs.active && tabs.active.term;
  },
  get conn() {
    return tabs.active && tabs.active.conn;
  },
  get shell() {
    return (tabs.active && tabs.active.shell) || null;
  },
  get ended() {
    return tabs.active && tabs.active.ended;
  },
};
window.sshgatePage = page;

// --- copy and paste: Ctrl+Shift+C / Ctrl+Shift+V (Ctrl+C stays an interrupt for the device) ---
tabs.addKeyHandler((ev, tab) => {
  if (ev.type !== 'keydown' || !ev.ctrlKey || !ev.shiftKey) return true;
  if (ev.code === 'KeyC' && tab.term.hasSelection()) {
    navigator.clipboard.writeText(tab.term.getSelection()).catch(() => {});
    return false;
  }
  if (ev.code === 'KeyV') {
    navigator.clipboard.readText().then((t) => tab.term.paste(t), () => {});
    return false;
  }
  return true;
});

/** The status bar and its buttons follow the active tab. */
function showTab(tab) {
  status.textContent = tab ? tab.status : 'not connected';
  $('reconnect').hidden = !tab || tab.state !== 'ended';
  $('disconnect').hidden = !tab || !tab.live;
  form.hidden = Boolean(tab) && tab.state !== 'new';
}
function setStatus(tab, text) {
  tab.status = text;
  if (tab === tabs.active) showTab(tab);
}
tabs.on('active', showTab);
installReconnectStatus(tabs, setStatus);

/** A brief notice over the terminal ("copied", a refused clipboard read). */
let noticeTimer;
function notice(text) {
  const el = $('notice');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (el.hidden = true), 2000);
}
page.notice = notice;
// Every terminal: OSC 52 copy from the device into the clipboard.
tabs.on('opened', (tab) => installOsc52(tab.term, { notify: notice }));

// --- the key bar for touch screens (Esc, sticky Ctrl/Alt, Tab, arrows…): shown on coarse pointers ---
const keybar = installKeyBar($('keybar'), {
  send: (bytes) => page.shell && page.shell.write(bytes),
  appCursor: () => Boolean(page.term && page.term.modes.applicationCursorKeysMode),
  focus: () => page.term && page.term.focus(),
});
page.keybar = keybar;
keybar.show(matchMedia('(pointer: coarse)').matches);
$('keybar-toggle').addEventListener('click', () => {
  keybar.show($('keybar').hidden);
  tabs.active && tabs.active.fit();
});
tabs.on('removed', () => showTab(tabs.active));

// --- the form -----------------------------------------------------------------------------------
function showMethodFields() {
  const m = $('method').value;
  for (const el of form.querySelectorAll('[data-for]')) el.hidden = el.dataset.for !== m;
  // A certificate may name the user itself.
  $('user').required = !(m === 'certificate' && $('userfromcert').checked);
}
$('method').addEventListener('change', showMethodFields);
$('userfromcert').addEventListener('change', showMethodFields);

async function loadDevices() {
  const select = $('device');
  try {
    const res = await fetch('targets', { cache: 'no-store' });
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    for (const t of await res.json()) {
      const o = new Option(t.description ? `${t.name} — ${t.description}` : t.name, t.name);
      select.append(o);
    }
  } catch (e) {
    message(`could not list the devices: ${e.message}`);
  }
  const last = localStorage.getItem('sshgate.last');
  if (last) {
    const { device, user, method } = JSON.parse(last);
    if ([...select.options].some((o) => o.value === device)) select.value = device;
    $('user').value = user || '';
    $('method').value = method || 'password';
  }
}

async function loadStoredKeys() {
  const select = $('storedkey');
  const names = await store.keys('keys').catch(() => []);
  for (const n of names) select.append(new Option(n, n));
  form.querySelector('[data-if-stored]').hidden = names.length === 0;
}

// --- dialogs --------------------------------------------------------------------------------------
function ask(dialog) {
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true });
    dialog.showModal();
  });
}

const day = (ms) => new Date(ms).toISOString().slice(0, 10);

// Refusals that only say "no trusted CA issued this": trusting the CA the device sent fixes
// them. Others (wrong name, expired, wrong purpose) a CA would not fix.
const ISSUER_UNKNOWN = ['MISSING_INTERMEDIATE', 'UNTRUSTED_ISSUER'];

/** The x509v3 part of the question: whose certificate, who issued it, why it is not trusted. */
function showCertificate(cert) {
  $('hk-cert').hidden = !cert;
  $('hk-trust-ca').hidden = true;
  $('hk-ca-line').hidden = true;
  if (!cert) return null;
  const leaf = cert.leaf || { subject: '?', issuer: '?', dnsNames: [], ipAddresses: [] };
  $('hk-cert-alg').textContent = cert.algorithm;
  $('hk-subject').textContent = leaf.subject;
  $('hk-issuer').textContent = leaf.issuer;
  $('hk-validity').textContent = cert.leaf ? `${day(leaf.notBefore)} to ${day(leaf.notAfter)}` : '?';
  $('hk-names').textContent = [...leaf.dnsNames, ...leaf.ipAddresses].join(', ') || '(none)';
  $('hk-refusal').textContent = cert.refusal ? cert.refusal.message : 'no trusted CA';
  // The top CA certificate the device sent is what "trust this CA" keeps.
  const ca = cert.chain.filter((c) => c.isCa).pop();
  if (ca && cert.refusal && ISSUER_UNKNOWN.includes(cert.refusal.code)) {
    $('hk-ca').textContent = `${ca.subject} (issuer ${ca.issuer}, valid to ${day(ca.notAfter)})`;
    $('hk-ca-line').hidden = false;
    $('hk-trust-ca').hidden = false;
    return ca;
  }
  return null;
}

/** Trust once / always / this CA always / cancel for a key the browser does not know yet. */
async function askHostKey(device, info, port = 22) {
  const name = port === 22 ? device : `[${device}]:${port}`;
  $('hk-host').textContent = name;
  $('hk-type').textContent = info.certificate ? `${info.keyType} (the certificate's key)` : info.keyType;
  $('hk-fingerprint').textContent = info.fingerprint;
  const ca = showCertificate(info.certificate);
  const answer = await ask($('hostkey'));
  if (answer === 'always') {
    await init();
    await store.put('knownHosts', `${name} ${info.keyType}`, knownHostsEntry(device, port, info.publicKey));
  }
  if (answer === 'ca' && ca) await store.put('cas', ca.subject, ca.pem);
  return answer === 'once' || answer === 'always' || (answer === 'ca' && Boolean(ca));
}

/** Keyboard-interactive prompts (and the expired-password change, which servers send as them). */
async function askPrompts({ name, instruction, prompts }) {
  if (!prompts.length && !instruction) return [];
  $('pr-name').textContent = name || 'The device asks';
  $('pr-instruction').textContent = instruction || '';
  const fields = $('pr-fields');
  fields.replaceChildren();
  const inputs = prompts.map((p, i) => {
    const label = document.createElement('label');
    label.textContent = p.text;
    const input = document.createElement('input');
    input.type = p.echo ? 'text' : 'password';
    input.id = `pr-${i}`;
    label.append(input);
    fields.append(label);
    return input;
  });
  const answer = await ask($('prompt'));
  if (answer !== 'ok') throw Object.assign(new Error('cancelled at the prompt'), { code: 'CANCELLED' });
  return inputs.map((i) => i.value);
}

/** The password method's change request (RFC 4252 §8): old, new, new again. */
async function askPasswordChange(ev) {
  for (;;) {
    const [now, a, b] = await askPrompts({
      name: 'Password expired',
      instruction: ev.prompt || 'The device wants a new password.',
      prompts: [
        { text: 'Current password', echo: false },
        { text: 'New password', echo: false },
        { text: 'New password again', echo: false },
      ],
    });
    if (a === b && a) return [now, a];
    message('the new passwords differ');
  }
}

// --- connecting -----------------------------------------------------------------------------------
const askPassphrase = async (name) =>
  (await askPrompts({ name, instruction: '', prompts: [{ text: 'Passphrase', echo: false }] }))[0];

/**
 * The certificate entry from the picked files: a .p12/.pfx (bytes), or a PEM chain with its key
 * file. Loaded here, so a missing or wrong passphrase is asked for before connecting; the
 * files and the passphrase stay in this page's memory only (nothing is stored).
 */
async function certificateEntry() {
  const file = $('certfile').files[0];
  if (!file) throw new Error('pick a certificate file (.p12/.pfx, or a PEM chain with its key file)');
  const head = new Uint8Array(await file.slice(0, 64).arrayBuffer());
  const isPem = new TextDecoder().decode(head).includes('-----BEGIN');
  let entry;
  if (isPem) {
    const keyFile = $('certkeyfile').files[0];
    if (!keyFile) throw new Error('a PEM certificate chain needs its key file');
    entry = { type: 'certificate', certificate: await file.text(), privateKey: await keyFile.text() };
  } else {
    entry = { type: 'certificate', pkcs12: new Uint8Array(await file.arrayBuffer()) };
  }
  await init();
  let passphrase = $('certpassphrase').value || undefined;
  for (let tries = 0; ; tries++) {
    try {
      // Loaded here to check the passphrase; the connection's worker loads its own from the entry.
      certificateCredential({ ...entry, passphrase }).free();
      return { ...entry, passphrase };
    } catch (e) {
      if (e.code !== 'KEY_PASSPHRASE' || tries === 3) throw e;
      passphrase = await askPassphrase(tries ? 'Wrong passphrase, again' : `Passphrase of ${file.name}`);
    }
  }
}

/** The kept key the last login used (null: a file not kept, or no key). */
let keyUsed = null;

async function credentials(method) {
  keyUsed = null;
  if (method === 'password') return [{ type: 'password', password: $('password').value, onPasswordChange: askPasswordChange }];
  if (method === 'keyboard-interactive') return [{ type: 'keyboard-interactive', onPrompt: askPrompts }];
  if (method === 'certificate') return [await certificateEntry()];
  if (method === 'securityKey') return [page.securityKey.entry()];
  const file = $('keyfile').files[0];
  const stored = $('storedkey').value;
  let text;
  if (file) text = await file.text();
  else if (stored) text = await store.get('keys', stored);
  else throw new Error('pick a key file');
  keyUsed = file ? null : stored;
  let passphrase = $('passphrase').value || undefined;
  await init();
  let info;
  try {
    info = privateKeyInfo(text, passphrase);
  } catch (e) {
    if (e.code !== 'KEY_PASSPHRASE') throw e;
    passphrase = await askPassphrase('Key passphrase');
    info = privateKeyInfo(text, passphrase);
  }
  if (file && $('rememberkey').checked) {
    await store.put('keys', file.name, text);
    keyUsed = file.name;
  }
  // An OpenSSH certificate of the key (ssh-keygen -s): offered first, as ssh does.
  const certFile = $('keycertfile').files[0];
  const certificate = certFile ? (await certFile.text()).trim() : undefined;
  if (certificate && sshgate.openSshCertificateInfo(certificate).fingerprint !== info.fingerprint) {
    throw new Error(`${certFile.name} is not a certificate of this key`);
  }
  return [{ type: 'publickey', privateKey: text, passphrase, certificate }];
}

function wsUrl(device) {
  const u = new URL(`ssh/${encodeURIComponent(device)}`, location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

/** The seed's `show ssh` row, from the client's side. */
function showSsh(conn, user) {
  const a = conn.algorithms;
  const mac = (m) => m || '(aead)';
  return [
    `Version 2.0`,
    `Encryption in ${a.cipherServerToClient} out ${a.cipherClientToServer}`,
    `HMAC in ${mac(a.macServerToClient)} out ${mac(a.macClientToServer)}`,
    `kex ${a.kex}`,
    `host key ${a.hostKey}`,
    `user ${user}`,
    conn.serverVersion || '',
  ].join(' | ');
}

async function login(ev) {
  ev && ev.preventDefault();
  const device = $('device').value;
  const method = $('method').value;
  const fromCert = method === 'certificate' && $('userfromcert').checked;
  const user = fromCert ? '' : $('user').value;
  message('');
  $('forget').hidden = true;
  $('connect').disabled = true;
  // The form logs in the active tab, or a new one if that tab holds a live session.
  const tab = tabs.active && !tabs.active.live ? tabs.active : tabs.open();
  try {
    const auth = await credentials(method);
    localStorage.setItem('sshgate.last', JSON.stringify({ device, user, method }));
    const used = keyUsed;
    await start(tab, { device, user, auth, fromCert, via: page.via.snapshot() });
    // A saved profile for deep links: this user on this device logs in with this kept key.
    if (used && user) localStorage.setItem(`sshgate.keyFor ${user}@${device}`, used);
  } catch (e) {
    message(e.message);
    if (tab.state === 'connecting') tab.state = 'new';
    setStatus(tab, 'not connected');
    if (tabs.active === tab) form.hidden = false;
  } finally {
    $('connect').disabled = false;
  }
}

/**
 * The options `connect()` gets for a login. Features that add login fields (a jump host, a
 * security key) extend this one place: `connectHooks.push((opts, login, tab) => ...)`; a hook
 * changes `opts` in place or returns the options to use instead.
 */
const connectHooks = [];
page.connectHooks = connectHooks;
async function connectOptions(tab, { device, user, auth, fromCert }) {
  const knownHosts = await store.knownHostsText();
  // x509v3 host keys are offered even with no CA kept yet, so the question can show the
  // certificate and offer to trust its CA; the device name is what its certificate must name.
  const trustedCAs = await store.trustedCAs();
  let opts = {
    websocket: wsUrl(device),
    username: user,
    userFromCert: fromCert,
    auth,
    hostKey: { knownHosts, host: device, port: 22, trustedCAs, verify: (info) => askHostKey(device, info) },
    // The device chose every byte: escaped, so it cannot retitle the window or clear the screen.
    onBanner: (text) => tab.term.write(forTerminal(text).replace(/\n/g, '\r\n')),
  };
  for (const hook of connectHooks) opts = (await hook(opts, tab.login, tab)) || opts;
  return opts;
}

/** The known_hosts name the last HOST_KEY_MISMATCH was about. */
let forgetName = null;
const keyNameOf = (hostPort) => {
  const { host, port } = parseTarget(hostPort);
  return keyName(host, port);
};

/** Logs `tab` in with `login` ({ device, user, auth, fromCert, ... }) and runs a shell in it. */
async function start(tab, login) {
  const { device } = login;
  tab.login = login;
  tab.state = 'connecting';
  tab.ended = null;
  tabs.rename(tab, login.user ? `${login.user}@${device}` : device);
  setStatus(tab, `connecting to ${device}…`);
  tab.term.reset();
  const conn = await connect(await connectOptions(tab, login)).catch((e) => {
    if (e.code === 'HOST_CERTIFICATE_REFUSED') throw new Error(`${e.message}. Nothing was sent to the device.`);
    if (e.code === 'CERTIFICATE_REFUSED') throw new Error(`${e.message}. Ask the device's administrator which CA and user name it accepts.`);
    if (e.code === 'HOST_KEY_MISMATCH') {
      // Through a bastion the key that differs may be the device's behind it (hop 2): forget
      // that one, under the name it was kept as, not the bastion's.
      forgetName = e.hop > 1 && e.hopHost ? keyNameOf(e.hopHost) : device;
      $('forget').hidden = false;
      throw new Error(`${e.message}. Someone may be in the middle. Only if you know the device's key changed, forget the old one and connect again.`);
    }
    throw e;
  });
  if (!tabs.tabs.includes(tab)) {
    // The tab was closed while logging in.
    conn.close();
    return;
  }
  tab.conn = conn;
  if (tab === tabs.active) form.hidden = true;
  if (login.user === '') tabs.rename(tab, `${conn.username}@${device}`);
  setStatus(tab, showSsh(conn, conn.username));
  tab.fit();
  const term = tab.term;
  const shell = await conn.shell({ term: 'xterm-256color', cols: term.cols, rows: term.rows });
  tab.shell = shell;
  // Typed keys pass the key bar's sticky Ctrl/Alt.
  const input = term.onData((d) => shell.write(keybar.transform(d)));
  const resize = term.onResize(({ cols, rows }) => tab.shell === shell && shell.resize(cols, rows));
  shell.onData((d) => term.write(d));
  term.focus();
  let over = false;
  const done = (why) => {
    if (over) return;
    over = true;
    input.dispose();
    resize.dispose();
    conn.close();
    tabs.ended(tab, why);
    if (!tabs.tabs.includes(tab)) return; // closed with its tab: no terminal left to write to
    // `why` may quote the device (its disconnect reason): one escaped line inside our colours.
    term.write(`\r\n\x1b[1;33m[sshgate: ${forLog(why, 1024)}]\x1b[0m\r\n`);
    setStatus(tab, `${device}: ${why}`);
  };
  shell.onExit((x) => {
    if (conn.closed) done(`connection closed: ${conn.closeReason.message}`);
    else if (x.code !== null) done(`session ended (exit status ${x.code})`);
    else done(x.signal ? `session ended (signal ${x.signal})` : 'session ended');
  });
  conn.on('close', (r) => done(`connection closed: ${r.message}`));
  tabs.connected(tab);
  setStatus(tab, tab.status);
}
page.start = start;

// --- resize follows the window ------------------------------------------------------------------
new ResizeObserver(() => tabs.active && tabs.active.fit()).observe($('terminal'));

$('reconnect').addEventListener('click', () => {
  const tab = tabs.active;
  if (!tab) return;
  const last = tab.login;
  if (last && last.auth[0].type !== 'password') {
    // A key (held in memory for this page only) or prompts that will ask again.
    start(tab, last).catch((e) => {
      tab.state = 'ended';
      tab.term.write(`\r\n[sshgate: ${forLog(e.message, 1024)}]\r\n`);
    });
  } else {
    // Passwords are not kept: ask again.
    tab.state = 'new';
    form.hidden = false;
    $('password').value = '';
    $('password').focus();
  }
});
$('disconnect').addEventListener('click', () => tabs.active && tabs.active.conn && tabs.active.conn.close());

$('forget').addEventListener('click', async () => {
  await page.forget(forgetName || $('device').value);
  $('forget').hidden = true;
  message('forgotten: the next connection asks again');
});
page.forget = (device) => store.keys('knownHosts').then((ks) => Promise.all(ks.filter((k) => k.startsWith(`${device} `)).map((k) => store.remove('knownHosts', k))));

// "via bastion" (jump.js): the login's device is a jump host to the one named behind it. The
// fields are read when the form is submitted (kept in the tab's login, so Reconnect goes the same
// way); a deep-linked login goes direct.
page.via = installJump(form, $('connect'));
connectHooks.push((opts, login) =>
  page.via.options(opts, {
    via: login.via,
    device: login.device,
    knownHosts: opts.hostKey.knownHosts,
    trustedCAs: opts.hostKey.trustedCAs,
    askHostKey,
    askPrompts,
  }),
);

// Security keys (securitykey.js): register one here (its authorized_keys line shown), log in with it.
page.securityKey = installSecurityKey(form.querySelector('div[data-for="certificate"]'), {
  sshgate,
  store,
  user: () => $('user').value,
  device: () => $('device').value,
  message,
  notice,
});

// --- files (files.js): each tab has its own panel beside the terminal, opened on demand --------
function showFiles(tab) {
  for (const t of tabs.tabs) if (t.filesPane) t.filesPane.classList.toggle('other-tab', t !== tab);
  $('files').hidden = !(tab && tab.filesPane && !tab.filesPane.hidden);
  $('files-toggle').hidden = !(tab && tab.live);
}
$('files-toggle').addEventListener('click', async () => {
  const tab = tabs.active;
  if (!tab || !tab.conn) return;
  if (!tab.files) {
    tab.filesPane = document.createElement('div');
    tab.filesPane.className = 'files-pane';
    tab.filesPane.hidden = true;
    $('files').append(tab.filesPane);
    tab.files = attachFiles(tab.conn, tab.filesPane);
  }
  const shown = tab.files.toggle();
  showFiles(tab);
  await shown;
  tab.fit();
});
const dropFiles = (tab) => {
  if (!tab.files) return;
  tab.files.close();
  tab.filesPane.remove();
  tab.files = tab.filesPane = null;
  if (tab === tabs.active) showFiles(tab);
};
tabs.on('active', showFiles);
tabs.on('connected', (tab) => tab === tabs.active && showFiles(tab));
tabs.on('closed', dropFiles);
tabs.on('removed', dropFiles);
tabs.on('removed', () => showFiles(tabs.active));

form.addEventListener('submit', login);
tabs.open();
showMethodFields();
const devicesLoaded = loadDevices();
loadStoredKeys();
// The SSH engine loads in each connection's worker; the page loads it only for its own helpers
// (key files, certificates, known_hosts lines), when they are first needed.

// --- leaving the page: every session ends with SSH_MSG_DISCONNECT, and a live one asks first ---
page.confirmClose = true;
addEventListener('pagehide', () => tabs.closeAll());
addEventListener('beforeunload', (ev) => {
  if (page.confirmClose && tabs.liveCount) ev.preventDefault();
});

// --- deep links: #router1, #admin@router1, #r1,admin@r2 (one tab each) ------------------------
/** Puts a link's target into the form (form values only: nothing from the link becomes HTML). */
function prefill(t) {
  if ([...$('device').options].some((o) => o.value === t.device)) $('device').value = t.device;
  else message(`no device named ${t.device} on this bridge`);
  if (t.user) $('user').value = t.user;
}

/** A saved credential for a link: the kept key this user logged in to this device with, if it needs no passphrase. */
async function savedAuth({ user, device }) {
  const name = localStorage.getItem(`sshgate.keyFor ${user}@${device}`);
  const text = name && (await store.get('keys', name).catch(() => null));
  if (!text) return null;
  await init();
  try {
    privateKeyInfo(text);
  } catch {
    return null; // encrypted: the form asks for the passphrase
  }
  return [{ type: 'publickey', privateKey: text }];
}

async function openLinks() {
  const targets = parseDeepLink(location.hash);
  if (!targets.length) return;
  await devicesLoaded;
  const devices = new Set([...$('device').options].map((o) => o.value));
  for (const [i, t] of targets.entries()) {
    const tab = i === 0 && tabs.active && tabs.active.state === 'new' ? tabs.active : tabs.open();
    tab.prefill = t;
    tabs.rename(tab, formatTarget(t));
    if (tab === tabs.active) prefill(t);
    const auth = t.user && devices.has(t.device) ? await savedAuth(t) : null;
    if (!auth) continue;
    // One after another: each may ask its host key question in the one dialog.
    await start(tab, { device: t.device, user: t.user, auth, fromCert: false, port: t.port }).catch((e) => {
      tab.state = 'new';
      setStatus(tab, `${t.device}: ${e.message}`);
      if (tab === tabs.active) message(e.message);
    });
  }
  if (tabs.tabs.length > 1) tabs.activate(tabs.tabs.find((t) => t.prefill) || tabs.active);
}

/** The address names the active tab's session, so it can be bookmarked or shared. */
function linkFor(tab) {
  const t = tab.login || tab.prefill;
  const hash = t ? `#${formatTarget(t)}` : '';
  if (location.hash !== hash) history.replaceState(null, '', hash || location.pathname + location.search);
}
tabs.on('active', (tab) => {
  if (tab.state === 'new' && tab.prefill) prefill(tab.prefill);
  linkFor(tab);
});
tabs.on('connected', (tab) => tab === tabs.active && linkFor(tab));
openLinks();
// A link followed or typed while the page is open (replaceState above fires no hashchange).
addEventListener('hashchange', openLinks);

// --- OpenSSH host CAs (hostcas.js): @cert-authority lines in the settings dialog -----------------
installHostCas($('set-hostCas'), $('settings-open'), store);

// --- settings (settings.js): applied to every tab's terminal and to the page ---------------------
installSettings($('settings'), $('settings-open'), (s) => {
  tabs.termOptions.fontSize = s.fontSize;
  tabs.termOptions.scrollback = s.scrollback;
  for (const t of tabs.tabs) {
    t.term.options.fontSize = s.fontSize;
    t.term.options.scrollback = s.scrollback;
    t.fit();
  }
  page.confirmClose = s.confirmClose;
  keybar.show(s.keyBar === 'on' || (s.keyBar === 'auto' && matchMedia('(pointer: coarse)').matches));
});
