#!/usr/bin/env bash
# Runs every test: formatting and lints, the engine's unit and in-memory tests, the interop tests
# against real OpenSSH and asyncssh, the wasm build checks, then the browser side: the npm package
# and the page are built once (npm run build), the wasm bindings' tests run in Node and headless
# Chromium, the package's Node tests go through the bridge to serve and sshd, and Playwright drives
# Chromium through the page against the demo. One release build of sshgate-host serves them all.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --release -- -D warnings
cargo clippy -p sshgate --lib --release --target wasm32-unknown-unknown -- -D warnings
# The npm package's build: the engine without the server role (scripts/build-pkg.sh).
cargo clippy -p sshgate --lib --release --target wasm32-unknown-unknown --no-default-features -- -D warnings
# The wasm SIMD128 kernels are compiled only with the flag the package is built with.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
    cargo clippy -p sshgate-bulk-crypto --all-targets --release --target wasm32-unknown-unknown \
    --target-dir target/wasm-simd -- -D warnings

step "dependencies: licences, bans, sources and advisories (cargo-deny, deny.toml)"
# Offline: the crates are already fetched, and this machine reaches no advisory database online.
# Advisories are checked against the copy in ~/.cargo/advisory-dbs when one is there.
if compgen -G "$HOME/.cargo/advisory-dbs/advisory-db-*" >/dev/null; then
    cargo deny --offline --workspace check
else
    echo "cargo-deny: no copy of the RustSec advisory database in ~/.cargo/advisory-dbs;" \
        "checking licences, bans and sources only (run 'cargo deny fetch' where GitHub is reachable)"
    cargo deny --offline --workspace check bans licenses sources
fi

step "wasm build: the engine must not import anything from env (no libc, no clock)"
bash bench/check-wasm-imports.sh

step "tests (unit, in-memory pair, interop with OpenSSH and asyncssh)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --release --workspace --no-fail-fast --lib --bins --tests 2>&1 | tee "$log" || status=$?

step "npm package (pkg/) and the page (www/dist)"
cargo build --release -p sshgate-host
npm run --silent build 2>&1 | tee -a "$log" || status=$?

wasm_runner=${WASM_BINDGEN_TEST_RUNNER:-$(command -v wasm-bindgen-test-runner || echo "$HOME/.cargo/bin/wasm-bindgen-test-runner")}
wasm_test() {
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$wasm_runner" \
        cargo test --release --target wasm32-unknown-unknown -p sshgate --test wasm_bindings --test wasm_x509 2>&1 | tee -a "$log"
}
step "wasm bindings (wasm-bindgen-test) in Node"
wasm_test || status=$?
step "wasm bindings (wasm-bindgen-test) in headless Chromium"
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
    WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/wasm/webdriver.json" wasm_test || status=$?

# The bulk ciphers' wasm SIMD128 kernels (bulk-crypto/src/chacha_simd128.rs) against RustCrypto,
# compiled as the npm package is (+simd128), in Node and Chromium; their own target directory, so
# the flag does not rebuild the wasm tests above.
bulk_simd_test() {
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$wasm_runner" \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128" \
        cargo test --release --target wasm32-unknown-unknown -p sshgate-bulk-crypto \
        --target-dir target/wasm-simd 2>&1 | tee -a "$log"
}
step "bulk crypto with wasm SIMD128 (wasm-bindgen-test) in Node"
bulk_simd_test || status=$?
step "bulk crypto with wasm SIMD128 (wasm-bindgen-test) in headless Chromium"
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
    WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/wasm/webdriver.json" bulk_simd_test || status=$?

step "npm package in Node: through the bridge to serve and sshd"
SSHGATE_HOST="$PWD/target/release/sshgate-host" \
    node --test --test-reporter=spec --test-concurrency=1 js/test/*.test.mjs 2>&1 | tee -a "$log" || status=$?

step "the page in Chromium (Playwright) against sshgate-host demo"
SSHGATE_HOST="$PWD/target/release/sshgate-host" \
    node --test --test-reporter=spec www/test/*.test.mjs 2>&1 | tee -a "$log" || status=$?

# One closing line for the whole run, summed over every test binary and Node test file
# (cargo's and wasm-bindgen-test's `test result:` lines, node's `ℹ pass N` / `ℹ fail N`).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^ℹ pass [0-9]+$/ { p += $3 }  /^ℹ fail [0-9]+$/ { f += $3 }
     END { printf "\ntotal: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
