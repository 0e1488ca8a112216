// The baseline download both download benchmarks compare with: the `ssh2` npm client (native
// crypto binding when it built, Node's OpenSSL otherwise) straight to sshd, reading `command`
// from an exec channel. Resolves { ms, cpu } (wall and this process's CPU milliseconds).
import ssh2 from 'ssh2';

/** `cipher` or `cipher+mac`. */
export const splitCipher = (name) => {
  const [cipher, mac] = name.split('+');
  return { cipher, mac };
};

/** This process's CPU milliseconds (user + system, every thread) since `from`. */
export const cpuMs = (from) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};

export function viaSsh2({ name, port, user, privateKey, command, bytes }) {
  const { cipher, mac } = splitCipher(name);
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on('error', reject);
    c.on('ready', () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      c.exec(command, (err, stream) => {
        if (err) return reject(err);
        let got = 0;
        stream.on('data', (d) => (got += d.length));
        stream.on('close', () => {
          const ms = performance.now() - t0;
          const cpu = cpuMs(c0);
          c.end();
          if (got !== bytes) reject(new Error(`ssh2: got ${got} of ${bytes} bytes`));
          else resolve({ ms, cpu });
        });
      });
    });
    c.connect({
      host: '127.0.0.1',
      port,
      username: user,
      privateKey,
      algorithms: { cipher: [cipher], kex: ['curve25519-sha256'], ...(mac ? { hmac: [mac] } : {}) },
    });
  });
}
