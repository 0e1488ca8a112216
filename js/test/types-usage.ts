// Compiled (not run) by types.test.mjs against pkg/index.d.ts: the README's example and the
// shapes a caller relies on must type-check.
import { connect, init, Engine, SshError, checkKnownHosts, knownHostsEntry, privateKeyInfo } from '../../pkg/index.js';
import type { AuthMethod, HostKeyInfo, NegotiatedAlgorithms, ErrorCode } from '../../pkg/index.js';

export async function example(text: string, key: string): Promise<number | null> {
  await init();
  const auth: AuthMethod[] = [
    { type: 'publickey', privateKey: key, passphrase: 'x' },
    { type: 'password', password: 'pw', onPasswordChange: async () => ['old', 'new'] },
    { type: 'keyboard-interactive', onPrompt: (p) => p.prompts.map(() => '') },
  ];
  const conn = await connect({
    websocket: 'wss://bridge.example/ssh/router1',
    username: 'lab',
    auth,
    hostKey: { knownHosts: text, host: 'router1', verify: (info: HostKeyInfo) => info.fingerprint.startsWith('SHA256:') },
    algorithms: { cipher: ['chacha20-poly1305@openssh.com'] },
  });
  conn.on('banner', (t: string) => t.length).on('close', (why) => why.code);
  const a: NegotiatedAlgorithms | null = conn.algorithms;
  const { stdout, code } = await conn.exec('show ip ssh');
  const shell = await conn.shell({ term: 'xterm-256color', cols: 80, rows: 24 });
  shell.onData((bytes: Uint8Array) => bytes.length).onExit((x) => x.code);
  shell.write('show ssh\r');
  shell.resize(120, 40);
  shell.signal('INT');
  const r = checkKnownHosts(text, 'router1', 22, conn.hostKey!.publicKey);
  const line: string = knownHostsEntry('router1', 22, conn.hostKey!.publicKey);
  privateKeyInfo(key, undefined);
  const e = Engine.client({ algorithms: { kex: ['curve25519-sha256'] } }, new Uint8Array(32), performance.now());
  void e;
  await conn.close();
  const err = new SshError('x');
  const c: ErrorCode = err.code;
  return a && stdout.length + line.length + r.line && c ? code : null;
}

// Misuse the types must catch (tsc fails if any of these compiles).
export function misuse(): void {
  // @ts-expect-error: no such method
  const bad: AuthMethod = { type: 'pasword', password: 'x' };
  // @ts-expect-error: hostKey is required
  void connect({ websocket: 'ws://x', username: 'u', auth: [bad] });
  // @ts-expect-error: not an error code
  const c: ErrorCode = 'NOT_A_CODE';
  void c;
}
