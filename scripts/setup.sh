#!/usr/bin/env bash
# Installs what building and testing sshgate needs, skipping whatever is already there.
# Safe to run again and again; the README's commands call it first.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- Rust targets and tools -------------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# The npm package's release build recompiles the standard library for size (scripts/build-pkg.sh).
if [[ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]]; then
    say "adding the rust-src component"
    rustup component add rust-src
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, "", $0); print; exit }' Cargo.lock)
if [ -n "$wb_version" ]; then
    have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
    if [ "$have" != "$wb_version" ]; then
        say "installing wasm-bindgen-cli $wb_version (a few minutes, once per machine)"
        cargo install wasm-bindgen-cli --version "$wb_version"
    fi
fi

# cargo-deny checks licences, sources and advisories in the test run's lint stage.
if ! cargo deny --version >/dev/null 2>&1; then
    say "installing cargo-deny (a few minutes, once per machine)"
    cargo install cargo-deny
fi
# cargo-deny runs offline: every crate in Cargo.lock, for every platform, must be on disk.
cargo fetch --quiet

# --- Debian packages the interop tests run ---------------------------------------------------
# (openssl makes test certificates and streams; websockify is bench/bridge.sh's baseline;
# procps gives bench/serve.sh its process figures; chromium and its driver run the wasm binding
# tests and the page's end-to-end test; putty-tools gives pscp, dropbear-bin an old-algorithm
# peer, snmptrapd receives serve's session traps, curl goes through `ssh -D`, systemd's
# systemd-analyze checks the example unit; gcc and libssl-dev build the software security key
# OpenSSH's ssh and ssh-keygen use in the FIDO tests.)
debs=(openssh-server openssh-client sshpass tmux openssl websockify procps chromium chromium-driver
    putty-tools dropbear-bin snmptrapd curl systemd gcc libssl-dev)
missing=()
for p in "${debs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "[setup] missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# sshd refuses to start without its privilege-separation directory.
[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true

# --- Python peers (asyncssh speaks ML-KEM and RFC 6187 X.509) --------------------------------
# (paramiko is the second SFTP client the file-transfer tests use.)
if ! python3 -c 'import asyncssh, OpenSSL, paramiko' >/dev/null 2>&1; then
    say "installing asyncssh, pyopenssl and paramiko from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check asyncssh pyopenssl paramiko
fi

# --- npm: vite, xterm.js, playwright-core, ws, ssh2, binaryen (package-lock.json) -------------
# Installed again only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing the npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
fi

say "ready"
