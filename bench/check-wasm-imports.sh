#!/usr/bin/env bash
# CI check: builds the engine and the bench crate (whose exports link the whole engine) for
# wasm32-unknown-unknown and fails if either .wasm imports anything from the `env` module.
# From the repository root: bash bench/check-wasm-imports.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release --target wasm32-unknown-unknown -p sshgate -p sshgate-bench --lib
target_dir=$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')
wasm_dir="$target_dir/wasm32-unknown-unknown/release"
node bench/wasm/imports.mjs "$wasm_dir/sshgate.wasm" "$wasm_dir/sshgate_bench.wasm"
