#!/usr/bin/env bash
# Login time as a person waits for it: `sshgate-host ssh` logging into `sshgate-host serve` over
# loopback TCP and running one built-in command, process start to exit, in the same run:
#   ed25519  ssh-ed25519 host key, ssh-ed25519 user key (the baseline);
#   x509     x509v3-rsa2048-sha256 host certificate (leaf + intermediate, verified against the
#            root with --ca-file and the host name) and an x509v3-rsa2048-sha256 user chain
#            (leaf + intermediate, verified by serve's trustpoint) — the issue's certificate login;
#   x509-ed  the same with Ed25519 certificates, for the cost of the chains without RSA.
# Runs alternate, RUNS logins each; prints median and minimum ms and the ratio to ed25519, and
# writes the table to bench/results/login.md. The in-memory CPU figures of the same logins are
# `BENCH_ONLY=login bash bench/run.sh`. From the repository root:
#   bash bench/login.sh            (RUNS=40)
# Also honoured: RUNS, SERVE_BIN (an sshgate-host binary to measure), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-40}
command="${RUNS:+RUNS=$RUNS }bash bench/login.sh"
source bench/lib.sh
require_tools bench/login.sh openssl python3 ssh-keygen
bin=$(sshgate_host_bin)

tmp=$(mktemp -d)
serve_pids=()
cleanup() {
  for p in "${serve_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== make the X.509 test PKI" >&2
pki="$tmp/pki"
bash tests/x509/make-pki.sh "$pki" >/dev/null
ssh-keygen -q -t ed25519 -N '' -C bench -f "$tmp/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_ed25519"
# Two servers, the same but for the certificate they present (serve signs with one trustpoint):
# each has the plain host key too (the client picks with HostKeyAlgorithms); alice logs in by key
# or by certificate, and the built-in device CLI answers.
start_serve() { # NAME TRUSTPOINT_SIGN -> sets port_NAME
  local name=$1 sign=$2 port
  port=$(free_port)
  cat >"$tmp/serve-$name.toml" <<EOF
[server]
listen = ["127.0.0.1:$port"]
hostname = "bench"
host_keys = ["$tmp/host_ed25519"]

[[trustpoints]]
name = "host-rsa"
key = "$pki/server_rsa.key"
certificate_chain = "$pki/server_rsa.chain.pem"

[[trustpoints]]
name = "host-ed25519"
key = "$pki/server_ed25519.key"
certificate_chain = "$pki/server_ed25519.chain.pem"

[[trustpoints]]
name = "corp-ca"
ca_certificates = ["$pki/root_rsa.pem", "$pki/root_ed25519.pem"]
revocation = "none"
username = "commonname"

[certificate_profile.server]
trustpoint_sign = "$sign"
[certificate_profile.user]
trustpoint_verify = ["corp-ca"]

[[users]]
name = "alice"
privilege = 15
certificate = true
authorized_keys = ["$(cat "$tmp/id_ed25519.pub")"]
EOF
  "$bin" serve --config "$tmp/serve-$name.toml" 2>"$tmp/serve-$name.log" &
  serve_pids+=($!)
  wait_port "$port"
  printf -v "port_$name" %s "$port"
}
start_serve rsa host-rsa
start_serve ed host-ed25519

common=(-T -q -o BatchMode=yes -l alice)
login() {
  case $1 in
    ed25519)
      "$bin" ssh "${common[@]}" -p "$port_rsa" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o HostKeyAlgorithms=ssh-ed25519 -i "$tmp/id_ed25519" localhost "show users" ;;
    x509)
      "$bin" ssh "${common[@]}" -p "$port_rsa" -o HostKeyAlgorithms=x509v3-rsa2048-sha256 \
        --ca-file "$pki/root_rsa.pem" -i "$pki/user_rsa.key" --cert "$pki/user_rsa.chain.pem" \
        localhost "show users" ;;
    x509-ed)
      "$bin" ssh "${common[@]}" -p "$port_ed" -o HostKeyAlgorithms=x509v3-ssh-ed25519 \
        --ca-file "$pki/root_ed25519.pem" -i "$pki/user_ed25519.key" \
        --cert "$pki/user_ed25519.chain.pem" localhost "show users" ;;
  esac
}

kinds=(ed25519 x509 x509-ed)
for k in "${kinds[@]}"; do
  # A failed login must stop the benchmark, not be timed.
  login "$k" >"$tmp/out.$k" 2>&1 || { echo "login $k failed:" >&2; cat "$tmp/out.$k" "$tmp"/serve-*.log >&2; exit 1; }
  grep -q alice "$tmp/out.$k" || { echo "login $k: no 'alice' in show users" >&2; cat "$tmp/out.$k" >&2; exit 1; }
  : >"$tmp/times.$k"
done
echo "== $RUNS logins each, interleaved" >&2
for _ in $(seq "$RUNS"); do
  for k in "${kinds[@]}"; do
    t0=$(date +%s%N)
    login "$k" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000)) >>"$tmp/times.$k"
  done
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
table=$(python3 - "$tmp" "${kinds[@]}" <<'PY'
import statistics, sys
tmp, kinds = sys.argv[1], sys.argv[2:]
names = {"ed25519": "ssh-ed25519 / ssh-ed25519",
         "x509": "x509v3-rsa2048-sha256 / x509v3-rsa2048-sha256",
         "x509-ed": "x509v3-ssh-ed25519 / x509v3-ssh-ed25519"}
t = {k: [int(x) / 1000 for x in open(f"{tmp}/times.{k}")] for k in kinds}
base, base_min = statistics.median(t["ed25519"]), min(t["ed25519"])
# The minimum is the figure least disturbed by other work on the machine; both ratios are shown.
print("| host key / user key | median ms | min ms | ratio (median) | ratio (min) |")
print("|---|---:|---:|---:|---:|")
for k in kinds:
    m, lo = statistics.median(t[k]), min(t[k])
    print(f"| {names[k]} | {m:.1f} | {lo:.1f} | {m / base:.2f} | {lo / base_min:.2f} |")
PY
)
echo "$table"
mkdir -p bench/results
{
  echo "### Login over loopback (sshgate-host ssh → serve, process start to exit)"
  echo
  echo "- command: \`$command\`"
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs, load average $load"
  echo
  echo "$table"
} >bench/results/login.md
echo "== written: bench/results/login.md" >&2
