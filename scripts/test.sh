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
bash bench/check-wasm-imports.sh

step "tests (unit, in-memory pair, interop with OpenSSH and asyncssh)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --release --workspace --no-fail-fast --lib --bins --tests 2>&1 | tee "$log" || status=$?
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\ntotal: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
