#!/usr/bin/env bash
# `sshgate-host serve` against a private OpenSSH `sshd`, both on loopback, both driven by the same
# OpenSSH `ssh` client with the same ed25519 key, in the same run:
#   bulk  1 GiB download (`head -c` exec'd remotely) per cipher: MB/s, server CPU, ratio;
#   cps   connections per second (handshake + publickey auth + exec `true`), sequential and
#         PARALLEL at once;
#   mem   memory per idle authenticated session (SESSIONS sessions running `sleep`).
# Prints markdown tables and writes them to bench/results/serve.md. From the repository root:
#   bash bench/serve.sh                     (RUNS=3, 1 GiB, 40 connections, 200 sessions)
#   QUICK=1 bash bench/serve.sh             (RUNS=1, 256 MiB, 16 connections, 50 sessions)
# Also honoured: RUNS, BULK_MIB, CONNS, PARALLEL, SESSIONS, BENCH_ONLY=bulk|cps|mem,
# SERVE_BIN (an sshgate-host binary to measure instead of building one), CARGO_TARGET_DIR.
# See bench/README.md for what is measured and how.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n "${QUICK:-}" ]]; then
  : "${RUNS:=1}" "${BULK_MIB:=256}" "${CONNS:=16}" "${SESSIONS:=50}"
fi
RUNS=${RUNS:-3}
BULK_MIB=${BULK_MIB:-1024}
CONNS=${CONNS:-40}
PARALLEL=${PARALLEL:-4}
SESSIONS=${SESSIONS:-200}
BENCH_ONLY=${BENCH_ONLY:-}
command=""
for v in QUICK RUNS BULK_MIB CONNS PARALLEL SESSIONS BENCH_ONLY SERVE_BIN; do
  [[ -n "${!v:-}" ]] && command+="$v=${!v} "
done
command+="bash bench/serve.sh"

SSHD=/usr/sbin/sshd
source bench/lib.sh
require_tools bench/serve.sh "$SSHD" /usr/bin/ssh /usr/bin/ssh-keygen python3
serve_bin=$(sshgate_host_bin)

bench_scratch
# 200 sessions hold about 1000 descriptors in serve (socket, three pipes, a pidfd each).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bench_keys

# The servers. sshd runs as the current user's login, with its own host key and key file
# (bench_sshd in lib.sh).
start_sshd() {
  sshd_port=$(free_port)
  bench_sshd "$sshd_port" "MaxStartups 100"
}
start_serve() {
  serve_port=$(free_port)
  bench_serve "$serve_bin" "$serve_port"
}
stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# The client, the same for both: ed25519 key, curve25519 kex (sshd would pick sntrup761, which
# serve does not have), no multiplexing, no config files.
client() {
  local port=$1
  shift
  ssh -F /dev/null -p "$port" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o IdentityFile="$tmp/id_ed25519" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ControlMaster=no \
    -o ControlPath=none -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519 \
    "$@"
}
port_of() { if [[ $1 == serve ]]; then echo "$serve_port"; else echo "$sshd_port"; fi; }
pid_of() { if [[ $1 == serve ]]; then echo "$serve_pid"; else echo "$sshd_pid"; fi; }

now() { date +%s.%N; }
# CPU seconds of a process and the children it has reaped (the remote command; for sshd its
# per-connection processes).
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15 + $16 + $17) / hz }' "/proc/$1/stat"; }
# sshd reaps a connection's processes after the client has gone: wait for that.
settle() {
  for _ in $(seq 100); do
    [[ -z "$(pgrep -P "$1" || true)" ]] && return 0
    sleep 0.05
  done
}
calc() { python3 -c "print($1)"; }
best_of() { tr ' ' '\n' | grep . | sort -g | head -1; }
median_of() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

results=$tmp/results.md
: >"$results"
out() { echo "$@" | tee -a "$results"; }

# --- bulk ------------------------------------------------------------------------------------
bulk() {
  local bytes=$((BULK_MIB * 1024 * 1024))
  out "#### Bulk download: ${BULK_MIB} MiB, \`ssh -c CIPHER [-m MAC] host 'head -c $bytes /dev/zero'\`"
  out
  out "Best of $RUNS interleaved runs; server CPU (with the remote \`head\`) is the median, per GiB."
  out
  out "| cipher / MAC | serve MB/s | sshd MB/s | ratio | serve CPU s/GiB | sshd CPU s/GiB |"
  out "|---|---:|---:|---:|---:|---:|"
  local spec
  for spec in "aes128-gcm@openssh.com" "chacha20-poly1305@openssh.com" \
    "aes128-ctr hmac-sha2-256-etm@openssh.com"; do
    read -r cipher mac <<<"$spec"
    local opts=(-c "$cipher")
    [[ -n "${mac:-}" ]] && opts+=(-m "$mac")
    local -A wall=() cpu=()
    local run which order
    for run in $(seq "$RUNS"); do
      # Alternate who goes first, so neither always runs on a warmer machine.
      if ((run % 2)); then order="serve sshd"; else order="sshd serve"; fi
      for which in $order; do
        local pid c0 t0 t1 got
        pid=$(pid_of "$which")
        c0=$(cpu_of "$pid")
        t0=$(now)
        got=$(client "$(port_of "$which")" "${opts[@]}" "$user@127.0.0.1" "head -c $bytes /dev/zero" | wc -c)
        t1=$(now)
        settle "$pid"
        if [[ $got -ne $bytes ]]; then
          echo "bulk $which $spec: received $got of $bytes bytes" >&2
          exit 1
        fi
        wall[$which]+="$(calc "$t1 - $t0") "
        cpu[$which]+="$(calc "round(($(cpu_of "$pid") - $c0) * 1073741824 / $bytes, 2)") "
      done
    done
    local ws wd
    ws=$(best_of <<<"${wall[serve]}")
    wd=$(best_of <<<"${wall[sshd]}")
    out "| $cipher${mac:+ + $mac} | $(calc "round($bytes / $ws / 1e6)") | $(calc "round($bytes / $wd / 1e6)") | $(calc "round($wd / $ws, 2)") | $(median_of <<<"${cpu[serve]}") | $(median_of <<<"${cpu[sshd]}") |"
  done
  out
}

# --- connections per second --------------------------------------------------------------------
cps_once() { # which, parallelism -> seconds for CONNS connections
  local port t0 t1
  port=$(port_of "$1")
  t0=$(now)
  seq "$CONNS" | xargs -P "$2" -I{} ssh -F /dev/null -p "$port" -o BatchMode=yes \
    -o IdentitiesOnly=yes -o IdentityFile="$tmp/id_ed25519" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ControlMaster=no -o ControlPath=none \
    -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519 "$user@127.0.0.1" true ||
    { echo "cps $1: a connection failed" >&2; exit 1; }
  t1=$(now)
  settle "$(pid_of "$1")"
  calc "$t1 - $t0"
}
cps() {
  out "#### Connections per second: $CONNS × (curve25519 + ssh-ed25519 handshake, ed25519 publickey, exec \`true\`)"
  out
  out "Best of $RUNS interleaved runs."
  out
  out "| clients at once | serve conn/s | sshd conn/s | ratio |"
  out "|---:|---:|---:|---:|"
  local par
  for par in 1 "$PARALLEL"; do
    local -A t=()
    local run which order
    for run in $(seq "$RUNS"); do
      if ((run % 2)); then order="serve sshd"; else order="sshd serve"; fi
      for which in $order; do t[$which]+="$(cps_once "$which" "$par") "; done
    done
    local ts td
    ts=$(best_of <<<"${t[serve]}")
    td=$(best_of <<<"${t[sshd]}")
    out "| $par | $(calc "round($CONNS / $ts, 1)") | $(calc "round($CONNS / $td, 1)") | $(calc "round($td / $ts, 2)") |"
  done
  out
}

# --- memory per idle session -------------------------------------------------------------------
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# PSS (KiB) summed over a process's descendants, except `sleep` (the session's program, which
# serve's figure does not count either).
pss_of_descendants() {
  local kids k
  kids=$(pgrep -P "$1" || true)
  local sum=0
  for k in $kids; do
    if [[ "$(cat "/proc/$k/comm" 2>/dev/null)" != sleep ]]; then
      sum=$((sum + $(awk '/^Pss:/ { print $2 }' "/proc/$k/smaps_rollup" 2>/dev/null || echo 0)))
    fi
    sum=$((sum + $(pss_of_descendants "$k")))
  done
  echo "$sum"
}
open_sessions() { # which -> SESSIONS clients running `sleep`, each confirmed started
  local port i
  port=$(port_of "$1")
  mkdir -p "$tmp/sessions-$1"
  for i in $(seq "$SESSIONS"); do
    client "$port" -T "$user@127.0.0.1" 'echo up; exec sleep 3600' \
      </dev/null >"$tmp/sessions-$1/$i" 2>&1 &
    sessions+=($!)
    # Ten at a time, so neither server sees a flood of unauthenticated connections.
    if ((i % 10 == 0)); then wait_up "$1" "$i"; fi
  done
  wait_up "$1" "$SESSIONS"
}
wait_up() {
  local n
  for _ in $(seq 600); do
    n=$(cat "$tmp/sessions-$1"/* 2>/dev/null | grep -c '^up$' || true)
    ((n >= $2)) && return 0
    sleep 0.1
  done
  echo "mem $1: only $n of $2 sessions started" >&2
  exit 1
}
close_sessions() {
  kill "${sessions[@]}" 2>/dev/null || true
  wait "${sessions[@]}" 2>/dev/null || true
  sessions=()
}
mem() {
  out "#### Memory per idle session: $SESSIONS sessions (\`ssh -T host 'echo up; exec sleep 3600'\`)"
  out
  # Fresh servers: a heap grown by earlier sections would hide the growth.
  stop "$serve_pid"
  stop "$sshd_pid"
  start_serve
  start_sshd
  sessions=()
  client "$serve_port" "$user@127.0.0.1" true
  sleep 0.5
  local r0 r1 p0 p1
  r0=$(rss_kib "$serve_pid")
  open_sessions serve
  sleep 1
  r1=$(rss_kib "$serve_pid")
  close_sessions
  client "$sshd_port" "$user@127.0.0.1" true
  settle "$sshd_pid"
  p0=$(awk '/^Pss:/ { print $2 }' "/proc/$sshd_pid/smaps_rollup")
  open_sessions sshd
  sleep 1
  p1=$(($(pss_of_descendants "$sshd_pid") + $(awk '/^Pss:/ { print $2 }' "/proc/$sshd_pid/smaps_rollup")))
  local procs
  procs=$(($(pgrep -c -P "$sshd_pid" || true)))
  close_sessions
  out "| server | what is counted | KiB per session |"
  out "|---|---|---:|"
  out "| serve | VmRSS growth of the one serve process ($r0 → $r1 KiB) / $SESSIONS | $(calc "round(($r1 - $r0) / $SESSIONS, 1)") |"
  out "| sshd | PSS growth of sshd and its session processes ($p0 → $p1 KiB, $procs connection processes; \`sleep\` not counted) / $SESSIONS | $(calc "round(($p1 - $p0) / $SESSIONS, 1)") |"
  out
}

start_serve
start_sshd
load=$(cut -d' ' -f1-3 /proc/loadavg)
[[ -z $BENCH_ONLY || $BENCH_ONLY == bulk ]] && bulk
[[ -z $BENCH_ONLY || $BENCH_ONLY == cps ]] && cps
[[ -z $BENCH_ONLY || $BENCH_ONLY == mem ]] && mem

describe_run
mkdir -p bench/results
{
  echo "### sshgate-host serve vs OpenSSH sshd"
  echo
  echo "- command: \`$command\`"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
  echo "- machine: ${cpu:-unknown CPU}, $(nproc) CPUs, $(uname -sm), load average before the runs: $load"
  echo "- client and sshd: $(ssh -V 2>&1); serve: $serve_bin"
  echo
  cat "$results"
} >bench/results/serve.md
echo "== wrote bench/results/serve.md" >&2
