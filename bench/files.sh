#!/usr/bin/env bash
# File transfer: `sshgate-host serve`'s SFTP subsystem against a private OpenSSH `sshd` with its
# `sftp-server`, both on loopback, driven by the same OpenSSH clients in the same run:
#   FILE_MIB (1 GiB) download and upload with `sftp -b`, with `scp` (SFTP mode, OpenSSH 9's
#   default) and with `scp -O` (the legacy protocol; "n/a" for a server that refuses it), per
#   cipher; SMALL_COUNT (10,000) files of 4 KiB up and down with `sftp -b` (put -r / get -r).
# Files live on tmpfs (/dev/shm) when it has room, so the disk is not what is measured.
# Prints a markdown table and writes it to bench/results/files.md. From the repository root:
#   bash bench/files.sh                 (RUNS=1, 1 GiB, 10,000 files, aes128-gcm and chacha20)
#   QUICK=1 bash bench/files.sh         (256 MiB, 2,000 files, aes128-gcm only)
# Also honoured: RUNS, FILE_MIB, SMALL_COUNT, CIPHERS, SERVE_BIN, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n "${QUICK:-}" ]]; then
  : "${FILE_MIB:=256}" "${SMALL_COUNT:=2000}" "${CIPHERS:=aes128-gcm@openssh.com}"
fi
RUNS=${RUNS:-1}
FILE_MIB=${FILE_MIB:-1024}
SMALL_COUNT=${SMALL_COUNT:-10000}
CIPHERS=${CIPHERS:-aes128-gcm@openssh.com chacha20-poly1305@openssh.com}
command=""
for v in QUICK RUNS FILE_MIB SMALL_COUNT CIPHERS SERVE_BIN; do
  [[ -n "${!v:-}" ]] && command+="$v=\"${!v}\" "
done
command+="bash bench/files.sh"

SSHD=/usr/sbin/sshd
SFTP_SERVER=/usr/lib/openssh/sftp-server
source bench/lib.sh
require_tools bench/files.sh "$SSHD" "$SFTP_SERVER" /usr/bin/ssh /usr/bin/sftp /usr/bin/scp \
  /usr/bin/ssh-keygen python3
serve_bin=$(sshgate_host_bin)

# Two copies of the big file (source and destination) and the small ones must fit.
need_kib=$((FILE_MIB * 1024 * 3 + SMALL_COUNT * 16 + 65536))
if [[ -d /dev/shm ]] && (($(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > need_kib)); then
  bench_scratch /dev/shm
else
  bench_scratch
fi

bench_keys

# Where each server keeps the files, and how its clients name that place: serve shows the
# user's root as `/`; sftp-server takes absolute paths.
mkdir -p "$tmp/serve-root/$user" "$tmp/sshd-root" "$tmp/local"
remote_dir_serve=/
remote_dir_sshd=$tmp/sshd-root/
local_root_serve=$tmp/serve-root/$user/
local_root_sshd=$tmp/sshd-root/

sshd_port=$(free_port)
bench_sshd "$sshd_port" "Subsystem sftp $SFTP_SERVER"

serve_port=$(free_port)
cat >"$tmp/serve.toml" <<EOF
[server]
listen = ["127.0.0.1:$serve_port"]
hostname = "bench"
host_keys = ["$tmp/serve_host_ed25519_key"]

[files]
root = "$tmp/serve-root/%u"

[sftp]
enable = true

[scp]
enable = true

[[users]]
name = "$user"
privilege = 15
authorized_keys = ["$(cat "$tmp/id_ed25519.pub")"]
EOF
"$serve_bin" serve --config "$tmp/serve.toml" 2>>"$tmp/serve.log" &
pids+=("$!")
wait_port "$sshd_port"
wait_port "$serve_port"

# The same options for ssh, sftp and scp: ed25519 key, curve25519 kex (sshd would pick
# sntrup761, which serve does not have), no multiplexing, no config files.
common=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityFile="$tmp/id_ed25519"
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o ControlMaster=no -o ControlPath=none -o KexAlgorithms=curve25519-sha256
  -o HostKeyAlgorithms=ssh-ed25519)
port_of() { if [[ $1 == serve ]]; then echo "$serve_port"; else echo "$sshd_port"; fi; }
rdir() { if [[ $1 == serve ]]; then echo "$remote_dir_serve"; else echo "$remote_dir_sshd"; fi; }
server_dir() { if [[ $1 == serve ]]; then echo "$local_root_serve"; else echo "$local_root_sshd"; fi; }

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
best_of() { tr ' ' '\n' | { grep . || true; } | sort -g | head -1; }

big=$tmp/local/big.bin
bytes=$((FILE_MIB * 1024 * 1024))
head -c "$bytes" /dev/urandom >"$big"
small=$tmp/local/small
mkdir -p "$small"
python3 - "$small" "$SMALL_COUNT" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(d, f"d{i // 1000:02d}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i:05d}"), "wb") as f:
        f.write(os.urandom(4096))
EOF

# One transfer; prints its wall-clock seconds, or nothing if the client failed.
# $1 server, $2 tool (sftp|scp|scp-O), $3 direction (down|up), $4 cipher.
transfer() {
  local which=$1 tool=$2 dir=$3 cipher=$4 port r t0 t1 ok=1
  port=$(port_of "$which")
  r=$(rdir "$which")
  rm -f "$tmp/local/got.bin"
  case $tool in
  sftp)
    local cmd
    if [[ $dir == down ]]; then cmd="get ${r}big.bin $tmp/local/got.bin"; else cmd="put $big ${r}up.bin"; fi
    t0=$(now)
    sftp "${common[@]}" -P "$port" -c "$cipher" -b - "$user@127.0.0.1" <<<"$cmd" >/dev/null || ok=0
    t1=$(now)
    ;;
  scp | scp-O)
    local flags=()
    [[ $tool == scp-O ]] && flags=(-O)
    t0=$(now)
    if [[ $dir == down ]]; then
      scp "${common[@]}" "${flags[@]}" -P "$port" -c "$cipher" -q "$user@127.0.0.1:${r}big.bin" "$tmp/local/got.bin" 2>/dev/null || ok=0
    else
      scp "${common[@]}" "${flags[@]}" -P "$port" -c "$cipher" -q "$big" "$user@127.0.0.1:${r}up.bin" 2>/dev/null || ok=0
    fi
    t1=$(now)
    ;;
  esac
  local got
  if [[ $dir == down ]]; then got=$tmp/local/got.bin; else got=$(server_dir "$which")up.bin; fi
  if ((ok)) && [[ -f $got ]] && (($(stat -c %s "$got") == bytes)); then
    calc "$t1 - $t0"
  fi
  rm -f "$got"
}

# $1 server, $2 direction: put -r / get -r of the small files' tree.
small_transfer() {
  local which=$1 dir=$2 port r t0 t1 ok=1 cmd
  port=$(port_of "$which")
  r=$(rdir "$which")
  rm -rf "$tmp/local/small-got"
  if [[ $dir == up ]]; then
    rm -rf "$(server_dir "$which")small"
    cmd="put -r $small ${r}small"
  else
    cmd="get -r ${r}small $tmp/local/small-got"
  fi
  t0=$(now)
  sftp "${common[@]}" -P "$port" -c aes128-gcm@openssh.com -b - "$user@127.0.0.1" <<<"$cmd" >/dev/null || ok=0
  t1=$(now)
  local where
  if [[ $dir == up ]]; then where=$(server_dir "$which")small; else where=$tmp/local/small-got; fi
  if ((ok)) && (($(find "$where" -type f | wc -l) == SMALL_COUNT)); then
    calc "$t1 - $t0"
  fi
}

results=$tmp/results.md
: >"$results"
out() { echo "$@" | tee -a "$results"; }
fmt_rate() { if [[ -n $1 ]]; then calc "round($2 / $1 / 1e6)"; else echo "n/a"; fi; }
fmt_ratio() { if [[ -n $1 && -n $2 ]]; then calc "round($2 / $1, 2)"; else echo "n/a"; fi; }

load=$(cut -d' ' -f1-3 /proc/loadavg)
for which in serve sshd; do cp "$big" "$(server_dir "$which")big.bin"; done

out "#### ${FILE_MIB} MiB, one file"
out
out "Best of $RUNS interleaved runs; MB/s = 10^6 bytes per wall-clock second of the client."
out
out "| tool | direction | cipher | serve MB/s | sshd MB/s | ratio |"
out "|---|---|---|---:|---:|---:|"
for cipher in $CIPHERS; do
  for tool in sftp scp scp-O; do
    for dir in down up; do
      declare -A wall=([serve]="" [sshd]="")
      for run in $(seq "$RUNS"); do
        if ((run % 2)); then order="serve sshd"; else order="sshd serve"; fi
        for which in $order; do
          wall[$which]+="$(transfer "$which" "$tool" "$dir" "$cipher") "
        done
      done
      ws=$(best_of <<<"${wall[serve]}")
      wd=$(best_of <<<"${wall[sshd]}")
      [[ -z $wd ]] && { echo "sshd failed: $tool $dir $cipher" >&2; exit 1; }
      [[ -z $ws && $tool != scp-O ]] && { echo "serve failed: $tool $dir $cipher" >&2; tail -20 "$tmp/serve.log" >&2; exit 1; }
      label=$tool
      [[ $tool == scp-O ]] && label="scp -O"
      out "| $label | $([[ $dir == down ]] && echo download || echo upload) | ${cipher%@openssh.com} | $(fmt_rate "$ws" "$bytes") | $(fmt_rate "$wd" "$bytes") | $(fmt_ratio "$ws" "$wd") |"
    done
  done
done
out

out "#### ${SMALL_COUNT} files of 4 KiB in $(((SMALL_COUNT + 999) / 1000)) directories, \`sftp -b\` put -r / get -r, aes128-gcm"
out
out "| direction | serve s | sshd s | serve files/s | sshd files/s | ratio |"
out "|---|---:|---:|---:|---:|---:|"
for dir in up down; do
  declare -A wall=([serve]="" [sshd]="")
  for run in $(seq "$RUNS"); do
    if ((run % 2)); then order="serve sshd"; else order="sshd serve"; fi
    for which in $order; do
      wall[$which]+="$(small_transfer "$which" "$dir") "
    done
  done
  ws=$(best_of <<<"${wall[serve]}")
  wd=$(best_of <<<"${wall[sshd]}")
  [[ -z $ws || -z $wd ]] && { echo "small files $dir failed (serve: '$ws', sshd: '$wd')" >&2; exit 1; }
  out "| $([[ $dir == down ]] && echo download || echo upload) | $(calc "round($ws, 2)") | $(calc "round($wd, 2)") | $(calc "round($SMALL_COUNT / $ws)") | $(calc "round($SMALL_COUNT / $wd)") | $(fmt_ratio "$ws" "$wd") |"
done
out

describe_run
mkdir -p bench/results
{
  echo "### File transfer: sshgate-host serve (SFTP) vs OpenSSH sshd + sftp-server"
  echo
  echo "- command: \`$command\`"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
  echo "- machine: ${cpu:-unknown CPU}, $(nproc) CPUs, $(uname -sm), load average before the runs: $load"
  echo "- clients and sshd: $(ssh -V 2>&1); files on $(df -P "$tmp" | awk 'NR == 2 { print $1 }'); serve: $serve_bin"
  echo
  cat "$results"
} >bench/results/files.md
echo "== wrote bench/results/files.md" >&2
