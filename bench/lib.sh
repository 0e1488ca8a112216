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

# Sets $tmp to a new scratch directory (under $1 when given) and $pids to an empty list, and
# arranges for both to go at exit: every process in $pids is killed, $tmp removed.
bench_scratch() {
  if [[ -n "${1:-}" ]]; then
    tmp=$(mktemp -d "$1/sshgate-bench.XXXXXX")
  else
    tmp=$(mktemp -d)
  fi
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}

# The client's key ($tmp/id_ed25519), sshd's host key and its authorized_keys in $tmp, and the
# privilege-separation directory sshd refuses to start without; sets $user.
bench_keys() {
  user=$(id -un)
  ssh-keygen -q -t ed25519 -N '' -C bench -f "$tmp/id_ed25519"
  ssh-keygen -q -t ed25519 -N '' -f "$tmp/sshd_host_ed25519_key"
  cp "$tmp/id_ed25519.pub" "$tmp/authorized_keys"
  [[ -d /run/sshd ]] || mkdir -p -m 0755 /run/sshd
}

# Starts sshd on 127.0.0.1:$1 with bench_keys' keys, key logins only, and each further argument
# as one more sshd_config line; adds it to $pids, sets $sshd_pid and waits until it listens.
# bash (root's shell) would source ~/.bashrc for ssh commands, which serve's `sh -c` does not:
# `SetEnv SHLVL=1` makes bash skip it, so both servers run the command and nothing else.
bench_sshd() {
  local port=$1 line
  shift
  {
    cat <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $tmp/sshd_host_ed25519_key
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
UsePAM no
PidFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
PrintLastLog no
SetEnv SHLVL=1
CONF
    for line in "$@"; do echo "$line"; done
  } >"$tmp/sshd_config"
  "$SSHD" -D -e -f "$tmp/sshd_config" 2>>"$tmp/sshd.log" &
  sshd_pid=$!
  pids+=("$sshd_pid")
  wait_port "$port"
}

# Starts `$1 serve` (an sshgate-host binary) on 127.0.0.1:$2 with its own ed25519 host key
# (generated on first start) and one user, the current one, logging in with bench_keys' key and
# running the client's command as sshd would (`sh -c`); adds it to $pids, sets $serve_pid and
# waits until it listens.
bench_serve() {
  local bin=$1 port=$2
  cat >"$tmp/serve.toml" <<CONF
[server]
listen = ["127.0.0.1:$port"]
hostname = "bench"
host_keys = ["$tmp/serve_host_ed25519_key"]

[[users]]
name = "$user"
authorized_keys = ["$(cat "$tmp/id_ed25519.pub")"]
command = 'eval "\${SSH_ORIGINAL_COMMAND:-exec /bin/sh}"'
run_as = "$user"
CONF
  "$bin" serve --config "$tmp/serve.toml" 2>>"$tmp/serve.log" &
  serve_pid=$!
  pids+=("$serve_pid")
  wait_port "$port"
}
