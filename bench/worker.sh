#!/usr/bin/env bash
# The page's main thread during a DH group16 + RSA-3072 login in headless Chromium, the engine in
# the page (`worker: false`) against the engine in its Web Worker (the default): the longest
# main-thread stall of each and their ratio (bench/wasm/browser-worker.mjs). Needs what
# scripts/setup.sh installs. From the repository root:  bash bench/worker.sh
# Honoured: RUNS (5 logins per mode), SKIP_BUILD=1 (reuse target/, pkg/ and www/dist),
# SSHGATE_HOST (another sshgate-host build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  cargo build --release -p sshgate-host
  npm run --silent build
fi
export SSHGATE_HOST="${SSHGATE_HOST:-$PWD/target/release/sshgate-host}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
node bench/wasm/browser-worker.mjs | tee "$out"

mkdir -p bench/results
{
  echo "### The engine off the page's thread"
  echo
  echo "- command: \`bash bench/worker.sh\`"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  cat "$out"
} > bench/results/worker.md
echo "== wrote bench/results/worker.md" >&2
