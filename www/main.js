// The terminal page: a device list from the bridge (`/targets`), a login form (password, key
// file, keyboard-interactive, certificate file), the host key question (with the certificate's
// subject and issuer for an x509v3 host key) before any credential goes out, keyboard-interactive
// prompts, and xterm.js wired to an SSH shell that runs in this page (the `sshgate` package).
// The bridge sees only ciphertext.

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import * as sshgate from 'sshgate';
import * as store from './store.js';
import { attachFiles } from './files.js';
import { installJump } from './jump.js';

const $ = (id) => document.getElementById(id);
const form = $('login');
const status = $('status-text');
const message = (text) => ($('message').textContent = text);

const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000, allowProposedApi: false });
const fit = new FitAddon();
term.loadAddon(fit);
term.open($('terminal'));
fit.fit();

// What the tests (and a curious person in the console) can look at.
const { connect, init, knownHostsEntry, privateKeyInfo, certificateCredential, forTerminal, forLog } = sshgate;
const page = { term, conn: null, shell: null, ended: null, sshgate, store };
window.sshgatePage = page;

// --- copy and paste: Ctrl+Shift+C / Ctrl+Shift+V (Ctrl+C stays an interrupt for the device) ---
term.attachCustomKeyEventHandler((ev) => {
  if (ev.type !== 'keydown' || !ev.ctrlKey || !ev.shiftKey) return true;
  if (ev.code === 'KeyC' && term.hasSelection()) {
    navigator.clipboard.writeText(term.getSelection()).catch(() => {});
    return false;
  }
  if (ev.code === 'KeyV') {
    navigator.clipboard.readText().then((t) => term.paste(t), () => {});
    return false;
  }
  return true;
});

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
      return { type: 'certificate', credential: certificateCredential({ ...entry, passphrase }) };
    } catch (e) {
      if (e.code !== 'KEY_PASSPHRASE' || tries === 3) throw e;
      passphrase = await askPassphrase(tries ? 'Wrong passphrase, again' : `Passphrase of ${file.name}`);
    }
  }
}

async function credentials(method) {
  if (method === 'password') return [{ type: 'password', password: $('password').value, onPasswordChange: askPasswordChange }];
  if (method === 'keyboard-interactive') return [{ type: 'keyboard-interactive', onPrompt: askPrompts }];
  if (method === 'certificate') return [await certificateEntry()];
  const file = $('keyfile').files[0];
  const stored = $('storedkey').value;
  let text;
  if (file) text = await file.text();
  else if (stored) text = await store.get('keys', stored);
  else throw new Error('pick a key file');
  let passphrase = $('passphrase').value || undefined;
  await init();
  try {
    privateKeyInfo(text, passphrase);
  } catch (e) {
    if (e.code !== 'KEY_PASSPHRASE') throw e;
    passphrase = await askPassphrase('Key passphrase');
    privateKeyInfo(text, passphrase);
  }
  if (file && $('rememberkey').checked) await store.put('keys', file.name, text);
  return [{ type: 'publickey', privateKey: text, passphrase }];
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

let lastLogin = null;

async function login(ev) {
  ev && ev.preventDefault();
  const device = $('device').value;
  const method = $('method').value;
  const fromCert = method === 'certificate' && $('userfromcert').checked;
  const user = fromCert ? '' : $('user').value;
  message('');
  $('forget').hidden = true;
  $('connect').disabled = true;
  try {
    const auth = await credentials(method);
    localStorage.setItem('sshgate.last', JSON.stringify({ device, user, method }));
    lastLogin = { device, user, auth, fromCert };
    await start(lastLogin);
  } catch (e) {
    message(e.message);
    status.textContent = 'not connected';
  } finally {
    $('connect').disabled = false;
  }
}

async function start({ device, user, auth, fromCert }) {
  status.textContent = `connecting to ${device}…`;
  term.reset();
  const knownHosts = await store.knownHostsText();
  // x509v3 host keys are offered even with no CA kept yet, so the question can show the
  // certificate and offer to trust its CA; the device name is what its certificate must name.
  const trustedCAs = await store.trustedCAs();
  // "via bastion" (jump.js): the device is a jump host to the one named behind it.
  const conn = await connect(page.via.options({
    websocket: wsUrl(device),
    username: user,
    userFromCert: fromCert,
    auth,
    hostKey: { knownHosts, host: device, port: 22, trustedCAs, verify: (info) => askHostKey(device, info) },
    // The device chose every byte: escaped, so it cannot retitle the window or clear the screen.
    onBanner: (text) => term.write(forTerminal(text).replace(/\n/g, '\r\n')),
  }, { device, knownHosts, trustedCAs, askHostKey, askPrompts })).catch((e) => {
    if (e.code === 'HOST_CERTIFICATE_REFUSED') throw new Error(`${e.message}. Nothing was sent to the device.`);
    if (e.code === 'CERTIFICATE_REFUSED') throw new Error(`${e.message}. Ask the device's administrator which CA and user name it accepts.`);
    if (e.code === 'HOST_KEY_MISMATCH') {
      $('forget').hidden = false;
      throw new Error(`${e.message}. Someone may be in the middle. Only if you know the device's key changed, forget the old one and connect again.`);
    }
    throw e;
  });
  page.conn = conn;
  page.files = attachFiles(conn, $('files'));
  $('files-toggle').hidden = false;
  form.hidden = true;
  $('reconnect').hidden = true;
  $('disconnect').hidden = false;
  status.textContent = showSsh(conn, conn.username);
  fit.fit();
  const shell = await conn.shell({ term: 'xterm-256color', cols: term.cols, rows: term.rows });
  page.shell = shell;
  page.ended = null;
  const input = term.onData((d) => shell.write(d));
  shell.onData((d) => term.write(d));
  term.focus();
  const done = (why) => {
    if (page.ended) return;
    page.ended = why;
    input.dispose();
    // `why` may quote the device (its disconnect reason): one escaped line inside our colours.
    term.write(`\r\n\x1b[1;33m[sshgate: ${forLog(why, 1024)}]\x1b[0m\r\n`);
    status.textContent = `${device}: ${why}`;
    $('reconnect').hidden = false;
    $('disconnect').hidden = true;
    page.shell = null;
    page.files.close();
    $('files-toggle').hidden = true;
    conn.close();
  };
  shell.onExit((x) => {
    if (conn.closed) done(`connection closed: ${conn.closeReason.message}`);
    else if (x.code !== null) done(`session ended (exit status ${x.code})`);
    else done(x.signal ? `session ended (signal ${x.signal})` : 'session ended');
  });
  conn.on('close', (r) => done(`connection closed: ${r.message}`));
}

// --- resize follows the window ------------------------------------------------------------------
new ResizeObserver(() => {
  fit.fit();
}).observe($('terminal'));
term.onResize(({ cols, rows }) => page.shell && page.shell.resize(cols, rows));

$('reconnect').addEventListener('click', () => {
  if (lastLogin && lastLogin.auth[0].type !== 'password') {
    // A key (held in memory for this page only) or prompts that will ask again.
    start(lastLogin).catch((e) => term.write(`\r\n[sshgate: ${forLog(e.message, 1024)}]\r\n`));
  } else {
    // Passwords are not kept: ask again.
    form.hidden = false;
    $('password').value = '';
    $('password').focus();
  }
});
$('disconnect').addEventListener('click', () => page.conn && page.conn.close());
$('files-toggle').addEventListener('click', () => page.files && page.files.toggle());

$('forget').addEventListener('click', async () => {
  await page.forget($('device').value);
  $('forget').hidden = true;
  message('forgotten: the next connection asks again');
});
page.forget = (device) => store.keys('knownHosts').then((ks) => Promise.all(ks.filter((k) => k.startsWith(`${device} `)).map((k) => store.remove('knownHosts', k))));

page.via = installJump(form, $('connect'));
form.addEventListener('submit', login);
showMethodFields();
loadDevices();
loadStoredKeys();
init().catch((e) => message(`could not load the SSH engine: ${e.message}`));
