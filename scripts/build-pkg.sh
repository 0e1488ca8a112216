#!/usr/bin/env bash
# Builds the npm package into pkg/ (not committed): the engine for wasm32, its wasm-bindgen
# glue, wasm-opt when npm's binaryen is installed (release size), and the JavaScript API from js/.
# From the repository root: bash scripts/build-pkg.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

wasm_bindgen=${WASM_BINDGEN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}
target_dir=$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')

cargo build --release --target wasm32-unknown-unknown -p sshgate --lib
rm -rf pkg
# --target web: an ES module for browsers; js/index.js loads it in Node with initSync.
"$wasm_bindgen" --target web --out-dir pkg --out-name sshgate_wasm \
  "$target_dir/wasm32-unknown-unknown/release/sshgate.wasm"
if [[ -x node_modules/.bin/wasm-opt ]]; then
  node_modules/.bin/wasm-opt -Oz --strip-debug --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    -o pkg/sshgate_wasm_bg.opt.wasm pkg/sshgate_wasm_bg.wasm
  mv pkg/sshgate_wasm_bg.opt.wasm pkg/sshgate_wasm_bg.wasm
fi
cp js/index.js js/index.d.ts js/package.json pkg/
size=$(wc -c < pkg/sshgate_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/sshgate_wasm_bg.wasm | wc -c)
echo "pkg/: sshgate_wasm_bg.wasm $size bytes, $gz gzipped" >&2
