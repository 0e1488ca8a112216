// The package's two WebAssembly modules: the SIMD one where the engine has SIMD (Node does), the
// other where WebAssembly.validate refuses the SIMD probe; and the no-SIMD module doing real work:
// a login and 8 MiB through each bulk cipher to `sshgate-host serve`, byte-exact. (Node runs
// each test file in its own process, so this one can load the no-SIMD module.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { connect, init } from '../../pkg/index.js';
import { simdSupported, wasmFile, WASM_SIMD, WASM_NO_SIMD } from '../../pkg/wasm-pick.js';
import { startServe, startBridge, passwordHash, shellUser, text } from './harness.mjs';

const PW = 'pick-test-password';
let srv;
let bridge;

before(async () => {
  srv = await startServe([{ name: 'ops', password_hash: passwordHash(PW), ...shellUser() }]);
  bridge = await startBridge({ router1: `127.0.0.1:${srv.port}` });
});

after(() => {
  bridge && bridge.stop();
  srv && srv.stop();
});

test('the SIMD module where SIMD validates, the other where it does not', () => {
  assert.equal(simdSupported(), true, 'Node 20 has wasm SIMD');
  assert.equal(wasmFile(), WASM_SIMD);
  assert.equal(wasmFile(() => false), WASM_NO_SIMD);
  assert.equal(
    wasmFile(() => {
      throw new Error('no WebAssembly.validate');
    }),
    WASM_NO_SIMD,
  );
  // Both files are there and differ (scripts/build-pkg.sh has wasm-opt validate the no-SIMD
  // one without the SIMD feature, so it holds no SIMD instruction).
  const simd = readFileSync(new URL(`../../pkg/${WASM_SIMD}`, import.meta.url));
  const plain = readFileSync(new URL(`../../pkg/${WASM_NO_SIMD}`, import.meta.url));
  assert.ok(WebAssembly.validate(simd) && WebAssembly.validate(plain));
  assert.notDeepEqual(simd, plain);
});

test('the no-SIMD module logs in and carries 8 MiB byte-exact with each bulk cipher', async () => {
  await init(readFileSync(new URL(`../../pkg/${WASM_NO_SIMD}`, import.meta.url)));
  const n = 8 * 1024 * 1024;
  for (const cipher of ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes128-ctr']) {
    const c = await connect({
      websocket: new WebSocket(bridge.url('router1')),
      username: 'ops',
      auth: [{ type: 'password', password: PW }],
      hostKey: () => true,
      algorithms: { cipher: [cipher] },
    });
    assert.equal(c.algorithms.cipherServerToClient, cipher);
    const r = await c.exec(`f=$(mktemp) && head -c ${n} /dev/urandom > "$f" && sha256sum < "$f" >&2 && cat "$f"; rm -f "$f"`);
    assert.equal(r.stdout.length, n, cipher);
    const ours = createHash('sha256').update(r.stdout).digest('hex');
    assert.ok(text(r.stderr).includes(ours), `${cipher}: remote checksum differs`);
    await c.close();
  }
});
