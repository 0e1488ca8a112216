#!/usr/bin/env bash
# Browser-side benchmarks, every figure measured in this one run:
#  1. the npm package's .wasm size, raw and gzipped (goal <= 350 KB gzipped, all algorithms in);
#  2. bulk download: the `sshgate` package in Node → sshgate-host bridge → OpenSSH sshd, against
#     the `ssh2` npm client straight to the same sshd, same cipher, best of RUNS interleaved
#     downloads each, with each client's CPU per GB (goal: ratio >= 1.0);
#  3. the bulk primitives in wasm (SIMD128, as the package) beside libsodium.js and
#     @noble/ciphers in the same Node (goal: our ChaCha20-Poly1305 >= libsodium.js);
#  4. the same download in headless Chromium (the page's worker and main thread) vs ssh2;
#  5. the longest single engine call in headless Chromium for an RSA-3072 / DH group16 login.
# Needs root (a private sshd and the sshgate-test account, as the Node tests) and what
# scripts/setup.sh installs. From the repository root:  bash bench/web.sh
# Honoured: DOWNLOAD_MIB (256), CIPHERS, RUNS (3), PKG, KEX_RUNS (3), SKIP_BUILD=1 (reuse pkg/ and
# www/dist).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  cargo build --release -p sshgate-host
  npm run --silent build
  # The bench crate's primitives, for wasm with SIMD128 as the package is built (own target dir).
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
    cargo build --release --target wasm32-unknown-unknown -p sshgate-bench --lib --target-dir target/wasm-simd
  wasm_bindgen=${WASM_BINDGEN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}
  "$wasm_bindgen" --target nodejs --out-dir bench/wasm/pkg-simd \
    target/wasm-simd/wasm32-unknown-unknown/release/sshgate_bench.wasm
  # wasm-bindgen's nodejs output is CommonJS; the workspace's package.json says "module".
  echo '{"type":"commonjs"}' > bench/wasm/pkg-simd/package.json
fi
export SSHGATE_HOST="$PWD/target/release/sshgate-host"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

raw=$(wc -c < pkg/sshgate_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/sshgate_wasm_bg.wasm | wc -c)
js=$(cat pkg/index.js pkg/sshgate_wasm.js | gzip -9 | wc -c)
{
  echo "#### npm package size"
  echo
  echo "| file | bytes | gzip -9 |"
  echo "|---|---:|---:|"
  echo "| sshgate_wasm_bg.wasm | $raw | $gz |"
  echo "| index.js + sshgate_wasm.js | $(cat pkg/index.js pkg/sshgate_wasm.js | wc -c) | $js |"
  echo
} | tee "$tmp/size.md"

status=0
node bench/wasm/download.mjs | tee "$tmp/download.md" || status=1
node bench/wasm/primitives.mjs | tee "$tmp/primitives.md" || status=1
node bench/wasm/browser-download.mjs | tee "$tmp/browser-download.md" || status=1
node bench/wasm/browser-kex.mjs | tee "$tmp/kex.md" || status=1

mkdir -p bench/results
{
  echo "### Browser-side benchmarks"
  echo
  echo "- command: \`bash bench/web.sh\`"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Node $(node --version), $(/usr/sbin/sshd -V 2>&1 | head -1 || true)"
  echo
  cat "$tmp/size.md" "$tmp/download.md" "$tmp/primitives.md" "$tmp/browser-download.md" "$tmp/kex.md"
} > bench/results/web.md
echo "== wrote bench/results/web.md" >&2
exit "$status"
