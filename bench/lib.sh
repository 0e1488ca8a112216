# Helpers the bench scripts share (sourced, from the repository root, after `set -euo pipefail`).

# Exits with a pointer to scripts/setup.sh unless every named tool is on PATH. $1: the caller.
require_tools() {
  local who=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$who: $tool is missing (bash scripts/setup.sh)" >&2; exit 1; }
  done
}

# Prints the sshgate-host binary to measure: $SERVE_BIN if set, else a fresh release build.
sshgate_host_bin() {
  if [[ -n "${SERVE_BIN:-}" ]]; then
    echo "$SERVE_BIN"
    return
  fi
  echo "== build: sshgate-host (release)" >&2
  cargo build --release -q -p sshgate-host --bin sshgate-host
  local target_dir
  target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  echo "$target_dir/release/sshgate-host"
}

# A loopback TCP port nothing listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 10 s for something to listen on 127.0.0.1:$1; fails (status 1) if nothing does.
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

# Sets $cpu (the CPU's model name) and $commit (the commit measured, noting uncommitted changes)
# for a results file's header.
describe_run() {
  cpu=$(grep -m1 -E '^(model name|Hardware|cpu model)' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
  if commit=$(git rev-parse --short HEAD 2>/dev/null); then
    git diff --quiet HEAD || commit+=" (with uncommitted changes)"
  else
    commit="unknown (not a git checkout)"
  fi
}
