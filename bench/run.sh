#!/usr/bin/env bash
# Transport benchmarks, native and wasm under Node: bulk seal+open (engine vs raw primitives),
# key exchange time, and whole logins (plain keys against X.509 certificates). Prints markdown
# tables and writes them to bench/results/transport.md.
# From the repository root:  bash bench/run.sh        (64 MiB per cipher/MAC, 11 handshakes)
#                            QUICK=1 bash bench/run.sh (4 MiB, 3 handshakes)
# Also honoured: BENCH_MIB, BENCH_RUNS, KEX_RUNS, LOGIN_RUNS, BENCH_ONLY=transport|kex|login,
# CARGO_TARGET_DIR, WASM_BINDGEN (path to wasm-bindgen-cli, which must match the locked wasm-bindgen, 0.2.130).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

command=""
for v in QUICK BENCH_MIB BENCH_RUNS KEX_RUNS LOGIN_RUNS BENCH_ONLY; do
  if [[ -n "${!v:-}" ]]; then
    export "${v?}"
    command+="$v=${!v} "
  fi
done
command+="bash bench/run.sh"

wasm_bindgen=${WASM_BINDGEN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}
target_dir=$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')

echo "== build: native" >&2
cargo build --release -p sshgate-bench --bin transport --bin login
echo "== build: wasm (and check its imports)" >&2
bash bench/check-wasm-imports.sh
"$wasm_bindgen" --target nodejs --out-dir bench/wasm/pkg \
  "$target_dir/wasm32-unknown-unknown/release/sshgate_bench.wasm"

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
if [[ "${BENCH_ONLY:-}" == "" || "${BENCH_ONLY:-}" == login ]]; then
  # The login table's certificates (both runners read the same files).
  echo "== make the X.509 test PKI" >&2
  export X509_PKI="$tmp/pki"
  bash tests/x509/make-pki.sh "$X509_PKI" >/dev/null
fi
echo "== run: native" >&2
"$target_dir/release/transport" | tee "$tmp/native.md" || status=1
if [[ "${BENCH_ONLY:-}" == "" || "${BENCH_ONLY:-}" == login ]]; then
  "$target_dir/release/login" | tee -a "$tmp/native.md" || status=1
fi
echo "== run: wasm" >&2
node bench/wasm/run.mjs | tee "$tmp/wasm.md" || status=1

describe_run
mkdir -p bench/results
{
  echo "### Transport benchmarks"
  echo
  echo "- command: \`$command\`"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
  echo "- machine: ${cpu:-unknown CPU}, $(nproc) CPUs, $(uname -sm), load average before the runs: $load"
  echo "- toolchain: $(rustc --version), Node $(node --version), $("$wasm_bindgen" --version)"
  echo
  cat "$tmp/native.md" "$tmp/wasm.md"
} >bench/results/transport.md
echo "== wrote bench/results/transport.md" >&2
exit "$status"
