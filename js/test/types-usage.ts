// Compiled (not run) by types.test.mjs against pkg/index.d.ts: the README's example and the
// shapes a caller relies on must type-check.
import { connect, init, Engine, SshError, checkKnownHosts, knownHostKeyTypes, knownHostsEntry, privateKeyInfo } from '../../pkg/index.js';
import { CertificateCredential, certificateCredential, forTerminal, forLog } from '../../pkg/index.js';
import { SftpError } from '../../pkg/index.js';
import type { Connection, Sftp, SftpEntry } from '../../pkg/index.js';
import type { AuthMethod, HostKeyInfo, NegotiatedAlgorithms, ErrorCode, CertificateRefusalCode } from '../../pkg/index.js';
import type { JumpHost, TcpChannel } from '../../pkg/index.js';
import { registerSecurityKey } from '../../pkg/index.js';
import type { SecurityKeyAuth, RegisteredSecurityKey, AssertionRequest } from '../../pkg/index.js';

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
    onBanner: (banner) => console.log(forTerminal(banner), forLog(banner, 80)),
  });
  conn.on('banner', (t: string) => t.length).on('close', (why) => why.code);
  conn.on('reconnecting', (i) => i.attempt + i.delay + i.code).on('resumed', (i) => i.attempts + i.replayed);
  const a: NegotiatedAlgorithms | null = conn.algorithms;
  const { stdout, code } = await conn.exec('show ip ssh');
  const shell = await conn.shell({ term: 'xterm-256color', cols: 80, rows: 24 });
  shell.onData((bytes: Uint8Array) => bytes.length).onExit((x) => x.code);
  shell.write('show ssh\r');
  shell.resize(120, 40);
  shell.signal('INT');
  const r = checkKnownHosts(text, 'router1', 22, conn.hostKey!.publicKey);
  const line: string = knownHostsEntry('router1', 22, conn.hostKey!.publicKey);
  const types: string[] = knownHostKeyTypes(text, 'router1', 22);
  privateKeyInfo(key, undefined);
  const e = Engine.client({ algorithms: { kex: ['curve25519-sha256'] } }, new Uint8Array(32), performance.now());
  void e;
  await conn.close();
  const err = new SshError('x');
  const c: ErrorCode = err.code;
  return a && stdout.length + line.length + r.line + types.length && c ? code : null;
}

// RFC 6187: certificate logins and server certificates under trusted CAs.
export async function certificates(p12: Uint8Array, chain: string, key: string, ca: string): Promise<string> {
  await init();
  const loaded: CertificateCredential = certificateCredential({ type: 'certificate', pkcs12: p12, passphrase: 's3cret' });
  const who: string = `${loaded.info.subject} ${loaded.userName()}`;
  const auth: AuthMethod[] = [
    { type: 'certificate', pkcs12: p12.buffer as ArrayBuffer, passphrase: 'x' },
    { type: 'certificate', certificate: chain, privateKey: key },
    { type: 'certificate', credential: loaded },
  ];
  const conn = await connect({
    websocket: 'wss://bridge.example/ssh/router1',
    userFromCert: true,
    auth,
    hostKey: {
      trustedCAs: [ca],
      crls: [ca],
      revocation: 'ocsp-crl',
      revocationSoftFail: false,
      hostName: 'router1.example.com',
      verify: (info: HostKeyInfo) => {
        const c = info.certificate;
        if (!c || c.valid) return false;
        const why: CertificateRefusalCode | undefined = c.refusal?.code;
        const top = c.chain.filter((x) => x.isCa).pop();
        return why === 'MISSING_INTERMEDIATE' && top !== undefined && top.pem.length > 0 && c.leaf!.notAfter > Date.now();
      },
    },
  }).catch((e: SshError) => {
    const r: string | undefined = e.code === 'HOST_CERTIFICATE_REFUSED' ? e.refusal : undefined;
    throw new Error(r);
  });
  const subject = conn.hostKey?.certificate?.leaf?.subject ?? '';
  return who + subject + conn.username;
}

export async function files(conn: Connection): Promise<number> {
  const sftp: Sftp = await conn.sftp();
  const names: SftpEntry[] = await sftp.readdir('/tmp');
  await sftp.put('/tmp/x', 'hi', { onProgress: (n: number) => void n });
  const data: Uint8Array = await sftp.get('/tmp/x');
  const rs: ReadableStream<Uint8Array> = sftp.createReadStream('/tmp/x');
  await conn.scpPut('/tmp/y', data, { mode: 0o600 });
  const viaScp: Uint8Array = await conn.scpGet('/tmp/y');
  void viaScp;
  void rs;
  try {
    await sftp.stat('/nope');
  } catch (e) {
    if (e instanceof SftpError && e.code === 'NO_SUCH_FILE') return e.status ?? 0;
  }
  return names.length + data.length;
}

// Jump hosts and direct-tcpip channels.
export async function jumps(key: string, knownHosts: string): Promise<number> {
  const hop: JumpHost = { username: 'ops', auth: [{ type: 'publickey', privateKey: key }], hostKey: { knownHosts, verify: () => true } };
  const conn = await connect({
    websocket: 'wss://bridge.example/ssh/bastion',
    jump: [hop, { host: '10.0.0.2', port: 2222, username: 'ops', auth: [{ type: 'password', password: 'pw' }], hostKey: knownHosts }],
    host: '10.0.0.5',
    port: 22,
    username: 'lab',
    auth: [{ type: 'password', password: 'pw' }],
    hostKey: knownHosts,
  }).catch((e: SshError) => {
    throw new Error(`${e.hop ?? 0} ${e.hopHost ?? ''} ${e.code === 'HOP_CLOSED'}`);
  });
  const bastions: Connection[] = conn.via;
  // The engine in the page's thread (a browser's default is a Web Worker).
  const inPage = await connect({ websocket: 'wss://b/ssh/r1', username: 'u', auth: [{ type: 'password', password: 'p' }], hostKey: () => true, worker: false });
  const offThread: boolean | undefined = inPage.offThread;
  void offThread;
  const ch: TcpChannel = await conn.forwardOut('127.0.0.1', 80, { originator: '127.0.0.1', originatorPort: 0 });
  ch.onData(async (d: Uint8Array) => void d.length).onEnd(() => undefined).onClose((e) => e?.code);
  await ch.write('GET / HTTP/1.0\r\n\r\n');
  await ch.end();
  const why: SshError | null = await ch.closed;
  await ch.close();
  return bastions.length + ch.pending + (why ? 1 : 0);
}

// FIDO2 security keys through WebAuthn: register, show the line, log in with it.
export async function securityKeys(): Promise<string> {
  const k: RegisteredSecurityKey = await registerSecurityKey({ user: 'lab@router1', rpId: 'example.com' });
  const entry: SecurityKeyAuth = { type: 'securityKey', credentialId: k.credentialId, publicKey: k.publicKey };
  const soft: AuthMethod = {
    ...entry,
    userVerification: 'required',
    getAssertion: async (r: AssertionRequest) => ({ authenticatorData: r.challenge, clientDataJSON: new Uint8Array(0), signature: new ArrayBuffer(0) }),
  };
  const conn = await connect({ websocket: 'wss://b/ssh/r', username: 'lab', auth: [entry, soft], hostKey: () => true });
  try {
    await conn.close();
  } catch (e) {
    if (e instanceof SshError && e.code === 'SECURITY_KEY_CANCELLED') return e.webauthnError ?? '';
  }
  return `${k.fingerprint} ${k.application} ${k.rpId}`;
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
  // @ts-expect-error: a certificate entry needs pkcs12, a PEM chain and key, or a credential
  const cert: AuthMethod = { type: 'certificate', passphrase: 'x' };
  void cert;
  // @ts-expect-error: a security key entry needs its credential id
  const sk: AuthMethod = { type: 'securityKey', publicKey: 'sk-ecdsa-sha2-nistp256@openssh.com AAAA' };
  void sk;
  // @ts-expect-error: registering needs a user name
  void registerSecurityKey({ rpId: 'example.com' });
  // @ts-expect-error: not a revocation mode
  void connect({ websocket: 'ws://x', username: 'u', auth: [], hostKey: { trustedCAs: [], revocation: 'strict' } });
  // @ts-expect-error: trustedCAs are PEM texts
  void connect({ websocket: 'ws://x', username: 'u', auth: [], hostKey: { trustedCAs: [new Uint8Array(1)] } });
  // @ts-expect-error: a jump host is reached through the one before it, not a WebSocket of its own
  const hop: JumpHost = { websocket: 'ws://x', auth: [], hostKey: () => true };
  void hop;
  // @ts-expect-error: a jump host needs its own host key policy
  void connect({ websocket: 'ws://x', host: 'h', username: 'u', auth: [], hostKey: () => true, jump: [{ username: 'u', auth: [] }] });
  void connect({ websocket: 'ws://x', username: 'u', auth: [], hostKey: () => true, resume: { timeout: 30000 }, keepalive: 15, keepaliveCountMax: 3 });
  void connect({ websocket: 'ws://x', username: 'u', auth: [], hostKey: () => true, resume: false });
}

// OpenSSH certificates: a user certificate with its key, host certificates under known_hosts
// @cert-authority lines.
export async function openSshCertificates(key: string, certLine: string, text: string): Promise<string> {
  const { checkKnownHostsCertificate, knownHostsHasCertAuthority, openSshCertificateInfo } = await import('../../pkg/index.js');
  const entry: AuthMethod = { type: 'publickey', privateKey: key, certificate: certLine };
  const conn = await connect({
    websocket: 'wss://bridge.example/ssh/router1',
    username: 'lab',
    auth: [entry],
    hostKey: { knownHosts: text, host: 'router1', verify: (info: HostKeyInfo) => info.openSshCertificate === null },
  });
  const hc = conn.hostKey?.openSshCertificate;
  const principals: string[] = hc ? hc.principals : [];
  const info = openSshCertificateInfo(certLine);
  const kind: 'user' | 'host' = info.certType;
  const check = checkKnownHostsCertificate(text, 'router1', 22, certLine, Date.now());
  const status: 'trusted' | 'revoked' | 'refused' = check.status;
  const has: boolean = knownHostsHasCertAuthority(text, 'router1', 22);
  try {
    await connect({ websocket: 'ws://x', username: 'u', auth: [entry], hostKey: text, hostName: 'router1' });
  } catch (e) {
    if (e instanceof SshError && e.code === 'HOST_CERTIFICATE_REFUSED') return `${e.refusal} ${e.openSshCertificate?.keyId}`;
  }
  return `${principals.length} ${kind} ${status} ${has} ${info.serial} ${info.validBefore}`;
}

export function openSshCertificateMisuse(key: string): void {
  // @ts-expect-error: the certificate is the `-cert.pub` line's text
  const bad: AuthMethod = { type: 'publickey', privateKey: key, certificate: new Uint8Array(1) };
  void bad;
}
