// The package's TypeScript types (pkg/index.d.ts and wasm-bindgen's sshgate_wasm.d.ts) compile
// against a caller's code in strict mode, and catch misuse (types-usage.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('index.d.ts type-checks a caller (strict) and rejects misuse', () => {
  const tsc = path.join(root, 'node_modules/.bin/tsc');
  const args = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom,esnext.disposable'];
  args.push('--module', 'nodenext', '--moduleResolution', 'nodenext', path.join(root, 'js/test/types-usage.ts'));
  const r = spawnSync(tsc, args, { encoding: 'utf8' });
  assert.equal(r.error, undefined, `tsc did not run: ${r.error}`);
  assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
});
