#!/usr/bin/env bash
# Builds the npm package into pkg/ (not committed): the engine for wasm32, its wasm-bindgen glue
# (an ES module for browsers; js/index.js loads it in Node with initSync), wasm-opt from npm's
# binaryen with debug info and names stripped, and the JavaScript API and types from js/.
# From the repository root: bash scripts/build-pkg.sh          (release: wasm-opt, required)
#                           bash scripts/build-pkg.sh --dev    (no wasm-opt, prebuilt std: quicker)
# Needs the wasm32-unknown-unknown target, the rust-src component (release) and wasm-bindgen-cli
# (scripts/setup.sh installs them), and `npm ci` for binaryen (npm run build does that).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dev=0
[[ "${1:-}" == "--dev" ]] && dev=1
wasm_bindgen=${WASM_BINDGEN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}
[[ -x "$wasm_bindgen" ]] || { echo "build-pkg: wasm-bindgen-cli is missing (bash scripts/setup.sh)" >&2; exit 1; }
wasm_opt=node_modules/.bin/wasm-opt
if [[ $dev == 0 && ! -x $wasm_opt ]]; then
  echo "build-pkg: $wasm_opt is missing (npm ci installs binaryen)" >&2
  exit 1
fi
target_dir=$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')

# The wasm-release profile (Cargo.toml): release with fat LTO and one codegen unit, for size
# (WASM_PROFILE=release for a quicker build). No default features: the package is a client only,
# and without the `server` feature the server role's code is left out (src/role_gate.rs).
# Wasm SIMD (every current browser, Node >= 16.4) lets LLVM vectorise the ciphers' software
# backends: chacha20-poly1305 downloads go 1.7x faster and the module gets smaller.
profile=${WASM_PROFILE:-wasm-release}
rustflags="-C target-feature=+simd128"
build_std=()
if [[ $dev == 0 ]]; then
  # The release build recompiles std for this profile with the immediate-abort panic strategy:
  # a panic is a bare wasm trap, so no panic message formatting or location strings are linked
  # (341 instead of 362.5 KB gzipped, no slower; bench/README.md). The prebuilt std for wasm32 is
  # built with panic=abort, which also traps without telling JS anything, so nothing is lost.
  # Both are unstable flags of the same pinned stable compiler (RUSTC_BOOTSTRAP, as the Linux
  # kernel builds its Rust), so no second toolchain; they need the rust-src component.
  if [[ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]]; then
    echo "build-pkg: the rust-src component is missing (bash scripts/setup.sh)" >&2
    exit 1
  fi
  rustflags+=" -Z unstable-options -C panic=immediate-abort"
  build_std=(-Z build-std=std,panic_abort)
  export RUSTC_BOOTSTRAP=1
fi
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-$rustflags}" \
  cargo build --profile "$profile" --target wasm32-unknown-unknown -p sshgate --lib --no-default-features "${build_std[@]}"
# The same engine without SIMD, for browsers that lack it (Safari before 16.4): js/wasm-pick.js
# loads it only where WebAssembly.validate refuses a SIMD probe. Its own target directory, so the
# two flag sets do not rebuild each other.
no_simd_rustflags=${rustflags/-C target-feature=+simd128/}
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$no_simd_rustflags" \
  cargo build --profile "$profile" --target wasm32-unknown-unknown -p sshgate --lib --no-default-features \
  --target-dir "$target_dir/wasm-no-simd" "${build_std[@]}"
rm -rf pkg
"$wasm_bindgen" --target web --out-dir pkg --out-name sshgate_wasm \
  "$target_dir/wasm32-unknown-unknown/$profile/sshgate.wasm"
no_simd_dir=$(mktemp -d)
trap 'rm -rf "$no_simd_dir"' EXIT
"$wasm_bindgen" --target web --out-dir "$no_simd_dir" --out-name sshgate_wasm \
  "$target_dir/wasm-no-simd/wasm32-unknown-unknown/$profile/sshgate.wasm"
# One glue file serves both modules: they must import and export exactly the same.
if ! cmp -s pkg/sshgate_wasm.js "$no_simd_dir/sshgate_wasm.js"; then
  echo "build-pkg: the SIMD and no-SIMD builds need different JS glue" >&2
  exit 1
fi
# Features the wasm-bindgen output already uses (and every current browser and Node 20 have);
# SIMD only for the default module. wasm-opt validates against these, so the no-SIMD module
# failing to build here means a SIMD instruction slipped into it.
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
  --enable-reference-types --enable-multivalue)
if [[ $dev == 0 ]]; then
  "$wasm_opt" -O3 --strip-debug --strip-producers --enable-simd "${features[@]}" \
    -o pkg/sshgate_wasm_bg.opt.wasm pkg/sshgate_wasm_bg.wasm
  mv pkg/sshgate_wasm_bg.opt.wasm pkg/sshgate_wasm_bg.wasm
  "$wasm_opt" -O3 --strip-debug --strip-producers "${features[@]}" \
    -o pkg/sshgate_wasm_no_simd_bg.wasm "$no_simd_dir/sshgate_wasm_bg.wasm"
else
  cp "$no_simd_dir/sshgate_wasm_bg.wasm" pkg/sshgate_wasm_no_simd_bg.wasm
fi
cp js/index.js js/x509.js js/text.js js/sftp.js js/scp.js js/forward.js js/jump.js js/rpc.js js/offthread.js js/worker.js \
  js/webauthn.js js/openssh-certs.js js/resume.js js/keepalive.js js/keystream.js js/wasm-pick.js js/index.d.ts js/package.json pkg/
cp README.md pkg/README.md
size=$(wc -c < pkg/sshgate_wasm_bg.wasm)
gz=$(gzip -9 -c pkg/sshgate_wasm_bg.wasm | wc -c)
echo "pkg/: sshgate_wasm_bg.wasm $size bytes, $gz gzipped (no-SIMD module: $(gzip -9 -c pkg/sshgate_wasm_no_simd_bg.wasm | wc -c) gzipped)" >&2
