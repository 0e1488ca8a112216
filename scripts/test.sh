#!/usr/bin/env bash
# Runs every test: formatting and lints, the engine's unit and in-memory tests, the interop tests
# against real OpenSSH and asyncssh, and the wasm build checks. One release build serves them all.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --release -- -D warnings
cargo clippy -p sshgate --lib --release --target wasm32-unknown-unknown -- -D warnings

step "wasm build: the engine must not import anything from env (no libc, no clock)"
cargo build --release -p sshgate -p sshgate-bench --lib --target wasm32-unknown-unknown
node bench/wasm/imports.mjs \
    target/wasm32-unknown-unknown/release/sshgate.wasm \
    target/wasm32-unknown-unknown/release/sshgate_bench.wasm

step "tests (unit, in-memory pair, interop with OpenSSH and asyncssh)"
cargo test --release --workspace --no-fail-fast
