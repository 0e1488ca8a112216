#!/usr/bin/env bash
# `sshgate-host ssh -L` against OpenSSH's `ssh -L`, both into the same private `sshd` on
# loopback, in the same run: MIB MiB downloaded through the local forward from a loopback
# source that sends zeros and closes, per cipher; MB/s of each and the ratio (ours / OpenSSH's).
# Best of RUNS, the two clients alternating. From the repository root:
#   bash bench/forward.sh            (RUNS=3, MIB=512)
#   QUICK=1 bash bench/forward.sh    (RUNS=1, MIB=128)
# Also honoured: RUNS, MIB, CIPHERS, SERVE_BIN (an sshgate-host binary to measure).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n "${QUICK:-}" ]]; then
  : "${RUNS:=1}" "${MIB:=128}"
fi
RUNS=${RUNS:-3}
MIB=${MIB:-512}
CIPHERS=${CIPHERS:-"aes128-gcm@openssh.com chacha20-poly1305@openssh.com aes128-ctr"}
SSHD=/usr/sbin/sshd
source bench/lib.sh
require_tools bench/forward.sh "$SSHD" /usr/bin/ssh /usr/bin/ssh-keygen python3
bin=$(sshgate_host_bin)

bench_scratch
bench_keys
sshd_port=$(free_port)
bench_sshd "$sshd_port" "AllowTcpForwarding yes"

# The source: each connection that sends a byte gets MIB MiB of zeros, then EOF (wait_port's
# probes through the forward send none, so they cost nothing while a run is measured).
src_port=$(free_port)
python3 - "$src_port" "$MIB" 2>/dev/null <<'EOF' &
import socket, sys, threading
port, mib = int(sys.argv[1]), int(sys.argv[2])
chunk = bytes(1 << 20)
def serve(c):
    with c:
        if not c.recv(1):
            return
        for _ in range(mib):
            c.sendall(chunk)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
pids+=($!)
wait_port "$src_port"

common=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o KexAlgorithms=curve25519-sha256 -i "$tmp/id_ed25519" -p "$sshd_port")

# Starts client $1 (ours|openssh) with cipher $2 forwarding $fwd_port; sets $client_pid.
start_client() {
  fwd_port=$(free_port)
  local spec="$fwd_port:127.0.0.1:$src_port"
  if [[ $1 == ours ]]; then
    "$bin" ssh "${common[@]}" -c "$2" -N -L "$spec" "$user@127.0.0.1" 2>>"$tmp/client.log" &
  else
    ssh -F /dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR "${common[@]}" -c "$2" -N \
      -L "$spec" "$user@127.0.0.1" 2>>"$tmp/client.log" &
  fi
  client_pid=$!
  pids+=("$client_pid")
  wait_port "$fwd_port"
}

# Seconds to read the whole download through the forward.
fetch() {
  python3 - "$fwd_port" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t, n = time.monotonic(), 0
s.sendall(b"g")
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    n += len(b)
print(f"{time.monotonic() - t:.4f} {n}")
EOF
}

bytes=$((MIB << 20))
describe_run
echo "### sshgate-host ssh -L vs OpenSSH ssh -L ($MIB MiB download, best of $RUNS)"
echo
echo "- $(date -u +%F) commit $commit, $cpu, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(ssh -V 2>&1); ours: $bin"
echo
echo "| cipher | ours MB/s | OpenSSH MB/s | ratio |"
echo "|---|---|---|---|"
for cipher in $CIPHERS; do
  declare -A best=([ours]=0 [openssh]=0)
  for run in $(seq "$RUNS"); do
    if ((run % 2)); then order="ours openssh"; else order="openssh ours"; fi
    for who in $order; do
      start_client "$who" "$cipher"
      read -r secs got < <(fetch)
      kill "$client_pid" 2>/dev/null || true
      wait "$client_pid" 2>/dev/null || true
      if [[ $got != "$bytes" ]]; then
        echo "$who $cipher: got $got of $bytes bytes" >&2
        exit 1
      fi
      rate=$(python3 -c "print(round($bytes / $secs / 1e6))")
      ((rate > best[$who])) && best[$who]=$rate
    done
  done
  echo "| $cipher | ${best[ours]} | ${best[openssh]} | $(python3 -c "print(round(${best[ours]} / max(${best[openssh]}, 1), 2))") |"
done
