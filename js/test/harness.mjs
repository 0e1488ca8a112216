// Test harness for the npm package: starts `sshgate-host serve` (a temporary device file),
// `sshgate-host bridge` and a private OpenSSH `sshd` on free loopback ports. The package talks
// to them through the bridge with the `ws` package's WebSocket, or straight over TCP through a
// WebSocket-like adapter (the package takes any WebSocket-like object).

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, chmodSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const hostBin = process.env.SSHGATE_HOST || path.join(root, 'target/release/sshgate-host');

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A user `command` that runs what the client asks (an exec line through sh, else a shell):
// serve's `command` is a forced command (sshd's ForceCommand), the request only in
// SSH_ORIGINAL_COMMAND. `run_as` the test's own account (root in CI, written out as serve wants).
export const shellUser = () => ({
  command: 'eval "${SSH_ORIGINAL_COMMAND:-exec /bin/sh}"',
  run_as: os.userInfo().username,
});

export function passwordHash(pw) {
  return execFileSync(hostBin, ['passwd'], { input: `${pw}\n${pw}\n` }).toString().trim();
}

export function keygen(dir, name, type = 'ed25519') {
  const file = path.join(dir, name);
  execFileSync(hostBin, ['keygen', '-t', type, '-f', file, '-C', 'js-test'], { stdio: 'pipe' });
  return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/**
 * Starts serve with `users` (TOML [[users]] tables as objects); resolves { port, dir, stop }.
 * `port`: listen there (one taken from freePort() earlier, e.g. a bridge target set up first).
 */
export async function startServe(users, extra = '', hostKeys = null, port = null) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-'));
  port ||= await freePort();
  const toml = (v) => (Array.isArray(v) ? `[${v.map(toml).join(', ')}]` : typeof v === 'string' ? JSON.stringify(v) : String(v));
  const userTables = users
    .map((u) => '[[users]]\n' + Object.entries(u).map(([k, v]) => `${k} = ${toml(v)}`).join('\n'))
    .join('\n\n');
  writeFileSync(
    path.join(dir, 'device.toml'),
    `[server]\nlisten = ["127.0.0.1:${port}"]\nhostname = "router1"\nhost_keys = ${JSON.stringify(hostKeys || [path.join(dir, 'host_ed25519')])}\n${extra}\n\n${userTables}\n`,
  );
  const child = spawn(hostBin, ['serve', '--config', path.join(dir, 'device.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 20000;
  for (;;) {
    if (log.includes('listening')) break;
    if (child.exitCode !== null) throw new Error(`serve exited: ${log}`);
    if (Date.now() > deadline) throw new Error(`serve did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const hostKey = readFileSync(`${(hostKeys || [path.join(dir, 'host_ed25519')])[0]}.pub`, 'utf8').trim();
  return { port, dir, hostKey, log: () => log, stop: () => child.kill('SIGTERM') };
}

/** A WebSocket-like object over TCP. */
export function tcpWebSocket(port) {
  const sock = net.connect(port, '127.0.0.1');
  const ws = {
    readyState: 0,
    binaryType: 'arraybuffer',
    onopen: null,
    onmessage: null,
    onerror: null,
    onclose: null,
    send: (b) => sock.write(b),
    close: () => sock.end(),
  };
  sock.on('connect', () => {
    ws.readyState = 1;
    if (ws.onopen) ws.onopen({});
  });
  sock.on('data', (d) => ws.onmessage && ws.onmessage({ data: d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) }));
  sock.on('close', () => {
    ws.readyState = 3;
    if (ws.onclose) ws.onclose({ code: 1006 });
  });
  sock.on('error', () => {});
  return ws;
}

// serve's log without its per-connection audit lines (`sshgate::audit`): they sum a connection
// up (`authenticated=false`, the method tried) and would match a check for credential events.
export function withoutAudit(log) {
  return log
    .split('\n')
    .filter((line) => !line.includes(' sshgate::audit: '))
    .join('\n');
}

export const text = (b) => new TextDecoder().decode(b);

/** Waits until `check()` is true, or throws `what` (with the log) after `ms`. */
export async function until(check, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `sshgate-host bridge` on a free loopback port with `targets` ({ name: 'host:port' }). */
export async function startBridge(targets, args = []) {
  const port = await freePort();
  const argv = ['bridge', '--listen', `127.0.0.1:${port}`, ...args];
  for (const [name, addr] of Object.entries(targets)) argv.push('--target', `${name}=${addr}`);
  const child = spawn(hostBin, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  await until(
    () => log.includes('web listener') || child.exitCode !== null,
    () => `bridge did not start: ${log}`,
  );
  if (child.exitCode !== null) throw new Error(`bridge exited: ${log}`);
  return { port, url: (name) => `ws://127.0.0.1:${port}/ssh/${name}`, log: () => log, stop: () => child.kill('SIGTERM') };
}

const SSHD = '/usr/sbin/sshd';
export const TEST_ACCOUNT = 'sshgate-test';

/**
 * The local account `sshgate-test` (made if missing, as native-host/tests/support/account.rs
 * does) with a fresh random password; needs root, and says so rather than skipping.
 */
export function testAccount() {
  if (process.getuid() !== 0) throw new Error('the sshd tests need root to set up the sshgate-test account');
  try {
    execFileSync('id', [TEST_ACCOUNT], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', TEST_ACCOUNT]);
  }
  const pw = randomBytes(12).toString('hex');
  execFileSync('chpasswd', { input: `${TEST_ACCOUNT}:${pw}\n` });
  return { user: TEST_ACCOUNT, password: pw };
}

/**
 * A private OpenSSH sshd on a free loopback port: password and public key login (the key in
 * `authorizedKey`), `extra` sshd_config lines first (sshd takes a keyword's first value).
 */
export async function startSshd(authorizedKey, extra = []) {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing (scripts/setup.sh installs openssh-server)`);
  mkdirSync('/run/sshd', { recursive: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-js-sshd-'));
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  // sshd reads authorized_keys as the user logging in: the directory must let it in.
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'authorized_keys'), `${authorizedKey}\n`, { mode: 0o644 });
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      ...extra,
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PidFile none',
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PrintMotd no',
      'MaxStartups 100',
      'LoginGraceTime 30',
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  await until(
    () => log.includes(`Server listening on 127.0.0.1 port ${port}`) || child.exitCode !== null,
    () => `sshd did not start: ${log}`,
  );
  if (child.exitCode !== null) throw new Error(`sshd exited: ${log}`);
  const publicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return { port, dir, hostKey: publicKey, log: () => log, stop: () => child.kill('SIGTERM') };
}

/**
 * The X.509 test PKI (tests/x509/make-pki.sh, openssl CLI), in the same cached directory the
 * Rust tests use (tests/common/pki.rs names it by an FNV-1a hash of the script); built on first
 * use. Fails, never skips, without openssl.
 */
export function pkiDir() {
  const script = path.join(root, 'tests/x509/make-pki.sh');
  let h = 0xcbf29ce484222325n;
  for (const b of readFileSync(script)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  const dir = path.join(os.tmpdir(), `sshgate-x509-pki-${h.toString(16).padStart(16, '0')}`);
  if (existsSync(path.join(dir, 'READY'))) return dir;
  const tmp = `${dir}.${process.pid}`;
  execFileSync('bash', [script, tmp], { stdio: 'pipe' });
  try {
    renameSync(tmp, dir);
  } catch {
    // Another process made it first.
  }
  if (!existsSync(path.join(dir, 'READY'))) throw new Error(`make-pki.sh made no PKI at ${dir}`);
  return dir;
}

/**
 * `[[trustpoints]]` and `[certificate_profile]` for serve: the host certificate `hostCert`
 * (`server_T`: its key and chain) and user certificates checked against `userRoots` (PKI file
 * names), the login name from the common name.
 */
export function certificateConfig(hostCert, userRoots) {
  const pki = (n) => JSON.stringify(path.join(pkiDir(), n));
  return [
    '[[trustpoints]]',
    'name = "pki-server"',
    `key = ${pki(`${hostCert}.key`)}`,
    `certificate_chain = ${pki(`${hostCert}.chain.pem`)}`,
    '',
    '[[trustpoints]]',
    'name = "corp-ca"',
    `ca_certificates = [${userRoots.map(pki).join(', ')}]`,
    'username = "commonname"',
    '',
    '[certificate_profile.server]',
    'trustpoint_sign = "pki-server"',
    '',
    '[certificate_profile.user]',
    'trustpoint_verify = ["corp-ca"]',
  ].join('\n');
}
