// Bulk download, measured in one run: the `sshgate` package (wasm engine in Node) through
// `sshgate-host bridge` to OpenSSH sshd, against the `ssh2` npm client straight to the same sshd,
// both with the same cipher, both reading `head -c N /dev/zero` from an exec channel.
// Prints a markdown table and the ratio (goal >= 1.0). Run by bench/web.sh (root: it sets up the
// sshgate-test account and a private sshd, as the Node tests do).
// Environment: DOWNLOAD_MIB (default 256), CIPHERS (comma list, default
// chacha20-poly1305@openssh.com,aes128-gcm@openssh.com), SSHGATE_HOST.
import { mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import ssh2 from 'ssh2';
import { createRequire } from 'node:module';
import { connect } from '../../pkg/index.js';
import { startSshd, startBridge, testAccount } from '../../js/test/harness.mjs';

const ssh2Binding = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js').bindingAvailable ? 'yes' : 'no';
const mib = Number(process.env.DOWNLOAD_MIB || 256);
const ciphers = (process.env.CIPHERS || 'chacha20-poly1305@openssh.com,aes128-gcm@openssh.com').split(',');
const bytes = mib * 1024 * 1024;
const command = `head -c ${bytes} /dev/zero`;

const account = testAccount();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sshgate-bench-'));
const keyFile = path.join(dir, 'id_ed25519');
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
const privateKey = readFileSync(keyFile, 'utf8');
const sshd = await startSshd(readFileSync(`${keyFile}.pub`, 'utf8').trim());
const bridge = await startBridge({ sshd: `127.0.0.1:${sshd.port}` });

async function viaWasm(cipher) {
  const conn = await connect({
    websocket: new WebSocket(bridge.url('sshd')),
    username: account.user,
    auth: [{ type: 'publickey', privateKey }],
    hostKey: (info) => info.publicKey === sshd.hostKey,
    algorithms: { cipher: [cipher], kex: ['curve25519-sha256'] },
  });
  const s = conn.openSession();
  await s.opened;
  let got = 0;
  s.onData((d) => (got += d.length));
  const t0 = performance.now();
  conn.engine.requestExec(s.id, command);
  conn.pump();
  await s.exited;
  const ms = performance.now() - t0;
  const longest = conn.longestCall;
  await conn.close();
  if (got !== bytes) throw new Error(`wasm: got ${got} of ${bytes} bytes`);
  return { ms, longest };
}

function viaSsh2(cipher) {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on('error', reject);
    c.on('ready', () => {
      const t0 = performance.now();
      c.exec(command, (err, stream) => {
        if (err) return reject(err);
        let got = 0;
        stream.on('data', (d) => (got += d.length));
        stream.on('close', () => {
          const ms = performance.now() - t0;
          c.end();
          if (got !== bytes) reject(new Error(`ssh2: got ${got} of ${bytes} bytes`));
          else resolve({ ms });
        });
      });
    });
    c.connect({
      host: '127.0.0.1',
      port: sshd.port,
      username: account.user,
      privateKey,
      algorithms: { cipher: [cipher], kex: ['curve25519-sha256'] },
    });
  });
}

const mbs = (ms) => bytes / 1e6 / (ms / 1e3);
let ok = true;
const rows = [];
try {
  for (const cipher of ciphers) {
    // One warm-up download each (JIT, page cache), then one measured run each, interleaved.
    await viaWasm(cipher);
    await viaSsh2(cipher);
    const w = await viaWasm(cipher);
    const n = await viaSsh2(cipher);
    rows.push({ cipher, wasm: mbs(w.ms), ssh2: mbs(n.ms), longest: w.longest });
  }
} catch (e) {
  console.error(e);
  ok = false;
} finally {
  bridge.stop();
  sshd.stop();
}
console.log(`#### Bulk download, Node ${process.version}: sshgate (wasm) → bridge → sshd vs ssh2 → sshd\n`);
console.log(`${mib} MiB of \`head -c\` from an exec channel, kex curve25519-sha256, after one warm-up each; ssh2's native crypto binding: ${ssh2Binding}.\n`);
console.log('| cipher | sshgate wasm MB/s | ssh2 MB/s | wasm/ssh2 | longest engine call |');
console.log('|---|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.cipher} | ${r.wasm.toFixed(1)} | ${r.ssh2.toFixed(1)} | ${(r.wasm / r.ssh2).toFixed(2)} | ${r.longest.name} ${r.longest.ms.toFixed(1)} ms |`);
}
console.log();
if (!ok) process.exit(1);

