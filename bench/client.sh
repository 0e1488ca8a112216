#!/usr/bin/env bash
# `sshgate-host ssh` (the native client) against OpenSSH's `ssh`, both talking to the same
# private OpenSSH `sshd` on loopback with the same ed25519 key, in the same run; and our client
# against our `serve`:
#   down  BULK_MIB MiB download, `ssh -c CIPHER host 'head -c N /dev/zero' | wc -c` (a pipe, as most downloads go)
#   up    the same upload, `ssh -c CIPHER host 'wc -c' < file`
#   echo  keystroke echo latency through tmux (bench/client/echo_latency.py), remote `cat` on a PTY
# Prints markdown tables and writes them to bench/results/client.md. From the repository root:
#   bash bench/client.sh               (RUNS=3, 1 GiB, 300 keys)
#   QUICK=1 bash bench/client.sh       (RUNS=1, 256 MiB, 100 keys)
# Also honoured: RUNS, BULK_MIB, KEYS, BENCH_ONLY=down|up|echo, SERVE_BIN (an sshgate-host binary to measure instead of
# building one). A ratio above 1 means our client took less time than OpenSSH's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n "${QUICK:-}" ]]; then
  : "${RUNS:=1}" "${BULK_MIB:=256}" "${KEYS:=100}"
fi
RUNS=${RUNS:-3}
BULK_MIB=${BULK_MIB:-1024}
KEYS=${KEYS:-300}
command=""
BENCH_ONLY=${BENCH_ONLY:-}
for v in QUICK RUNS BULK_MIB KEYS BENCH_ONLY SERVE_BIN; do
  [[ -n "${!v:-}" ]] && command+="$v=${!v} "
done
command+="bash bench/client.sh"

SSHD=/usr/sbin/sshd
source bench/lib.sh
require_tools bench/client.sh "$SSHD" /usr/bin/ssh /usr/bin/ssh-keygen python3 tmux
bin=$(sshgate_host_bin)

bench_scratch
bench_keys
sshd_port=$(free_port)
bench_sshd "$sshd_port"

serve_port=$(free_port)
bench_serve "$bin" "$serve_port"

# The two clients, the same key, curve25519 kex, no config files, host keys not checked (a
# scratch server). Remaining arguments: -c CIPHER, -t, destination, command.
openssh() {
  local port=$1
  shift
  ssh -F /dev/null -p "$port" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityFile="$tmp/id_ed25519" \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ControlMaster=no \
    -o ControlPath=none -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519 "$@"
}
ours() {
  local port=$1
  shift
  "$bin" ssh -q -p "$port" -i "$tmp/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519 "$@"
}
# who: openssh (to sshd), ours (to sshd), serve (ours to serve).
run_client() {
  local who=$1
  shift
  case $who in
    openssh) openssh "$sshd_port" "$@" ;;
    ours) ours "$sshd_port" "$@" ;;
    serve) ours "$serve_port" "$@" ;;
  esac
}

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
best_of() { tr ' ' '\n' | grep . | sort -g | head -1; }

results=$tmp/results.md
: >"$results"
out() { echo "$@" | tee -a "$results"; }

bytes=$((BULK_MIB * 1024 * 1024))
[[ -z $BENCH_ONLY || $BENCH_ONLY == up ]] && head -c "$bytes" /dev/urandom >"$tmp/upload.bin"

describe_run
out "### sshgate-host ssh vs OpenSSH ssh"
out
out "\`$command\` on $(nproc) CPUs ($cpu), commit $commit, $(ssh -V 2>&1)."
out

# --- bulk: one direction, every cipher --------------------------------------------------------
bulk() {
  local dir=$1
  if [[ $dir == down ]]; then
    out "#### Download: ${BULK_MIB} MiB, \`ssh -c CIPHER host 'head -c $bytes /dev/zero' | wc -c\`"
  else
    out "#### Upload: ${BULK_MIB} MiB, \`ssh -c CIPHER host 'wc -c' < file\`"
  fi
  out
  out "Best of $RUNS interleaved runs (wall time, process start to exit, MB/s)."
  out
  out "| cipher | ours → sshd | OpenSSH → sshd | ratio | ours → serve |"
  out "|---|---:|---:|---:|---:|"
  local cipher
  for cipher in aes128-gcm@openssh.com chacha20-poly1305@openssh.com aes128-ctr; do
    local -A wall=()
    local run who order
    for run in $(seq "$RUNS"); do
      # Alternate who goes first, so neither always runs on a warmer machine.
      if ((run % 2)); then order="ours openssh serve"; else order="openssh ours serve"; fi
      for who in $order; do
        local t0 t1
        t0=$(now)
        if [[ $dir == down ]]; then
          got=$(run_client "$who" -c "$cipher" "$user@127.0.0.1" "head -c $bytes /dev/zero" | wc -c)
        else
          got=$(run_client "$who" -c "$cipher" "$user@127.0.0.1" "wc -c" <"$tmp/upload.bin")
        fi
        t1=$(now)
        if [[ $got -ne $bytes ]]; then
          echo "$dir $who $cipher: $got of $bytes bytes arrived" >&2
          exit 1
        fi
        wall[$who]+="$(calc "$t1 - $t0") "
      done
    done
    local wo wp ws
    wo=$(best_of <<<"${wall[ours]}")
    wp=$(best_of <<<"${wall[openssh]}")
    ws=$(best_of <<<"${wall[serve]}")
    out "| $cipher | $(calc "round($bytes / $wo / 1e6)") | $(calc "round($bytes / $wp / 1e6)") | $(calc "round($wp / $wo, 2)") | $(calc "round($bytes / $ws / 1e6)") |"
  done
  out
}

# --- echo latency through tmux ----------------------------------------------------------------
echo_latency() {
  out "#### Keystroke echo through tmux: $KEYS keys, remote \`cat\` on a PTY (ms)"
  out
  out "| client | median | p90 |"
  out "|---|---:|---:|"
  # All three at once, taking the keys in turn (echo_latency.py), so drift in the machine's
  # load between them does not show as a difference.
  local who args=()
  for who in ours openssh serve; do
    local port=$sshd_port
    [[ $who == serve ]] && port=$serve_port
    ((${#args[@]})) && args+=(---)
    if [[ $who == openssh ]]; then
      args+=(ssh -F /dev/null -p "$port" -tt -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityFile="$tmp/id_ed25519"
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
        -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519)
    else
      args+=("$bin" ssh -q -tt -p "$port" -i "$tmp/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no
        -o UserKnownHostsFile=/dev/null -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519)
    fi
    args+=("$user@127.0.0.1" "echo ready-for-keys; exec cat")
  done
  local lines
  lines=$(python3 bench/client/echo_latency.py "$KEYS" -- "${args[@]}")
  local labels=("ours → sshd" "OpenSSH → sshd" "ours → serve") i=0 med p90
  while read -r med p90; do
    out "| ${labels[$i]} | $med | $p90 |"
    i=$((i + 1))
  done <<<"$lines"
  out
}

[[ -z $BENCH_ONLY || $BENCH_ONLY == down ]] && bulk down
[[ -z $BENCH_ONLY || $BENCH_ONLY == up ]] && bulk up
[[ -z $BENCH_ONLY || $BENCH_ONLY == echo ]] && echo_latency

mkdir -p bench/results
cp "$results" bench/results/client.md
echo "== wrote bench/results/client.md" >&2
