// Lists the import modules of cargo-built .wasm files (before wasm-bindgen) and fails if any
// import comes from `env`: that would mean some code (a C dependency, a missing getrandom backend,
// a libc shim) expects the host to provide symbols that browsers do not have.
//
// node bench/wasm/imports.mjs [file.wasm ...]
// Without arguments: sshgate.wasm and sshgate_bench.wasm under
// $CARGO_TARGET_DIR (default ./target)/wasm32-unknown-unknown/release.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let files = process.argv.slice(2);
if (files.length === 0) {
  const dir = join(process.env.CARGO_TARGET_DIR ?? 'target', 'wasm32-unknown-unknown', 'release');
  files = ['sshgate.wasm', 'sshgate_bench.wasm'].map((f) => join(dir, f));
}

let bad = false;
for (const file of files) {
  let imports;
  try {
    imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(file)));
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    process.exit(2);
  }
  const byModule = new Map();
  for (const { module, name, kind } of imports) {
    if (!byModule.has(module)) byModule.set(module, []);
    byModule.get(module).push(`${name} (${kind})`);
  }
  const summary = [...byModule].map(([m, names]) => `${m}: ${names.length}`).join(', ');
  console.log(`${file}: ${imports.length} imports${summary ? ` (${summary})` : ''}`);
  const env = byModule.get('env');
  if (env) {
    bad = true;
    console.error(`  imports from env:\n    ${env.join('\n    ')}`);
  }
}
if (bad) {
  console.error('FAIL: wasm imports from the `env` module');
  process.exit(1);
}
console.log('OK: no imports from `env`');
