#!/usr/bin/env bash
# Bridge overhead, in one run on loopback (see bench/README.md, "Bridge"):
#   1. round-trip latency of a 1-byte echo: direct TCP, through `sshgate-host bridge`, and
#      through Debian's websockify doing the same job;
#   2. throughput, both directions: direct TCP, bridge, websockify (goal: bridge >= 2x websockify),
#      and each relay's own CPU time per GB relayed;
#   3. 1,000 concurrent idle bridged sessions: the bridge's resident memory growth (goal <= 100 MB).
# Prints the tables and writes them to bench/results/bridge.md. Knobs: BENCH_MIB (default 256),
# BENCH_RUNS (best of, default 3), LAT_N (round trips, default 2000), IDLE_SESSIONS (1000).
set -euo pipefail
cd "$(dirname "$0")/.."

MIB=${BENCH_MIB:-256}
RUNS=${BENCH_RUNS:-3}
LAT_N=${LAT_N:-2000}
IDLE=${IDLE_SESSIONS:-1000}
WEBSOCKIFY=${WEBSOCKIFY:-/usr/bin/websockify}

if [ ! -x "$WEBSOCKIFY" ]; then
    echo "bench/bridge.sh: $WEBSOCKIFY not found: run 'bash scripts/setup.sh' (Debian package websockify)" >&2
    exit 1
fi

echo "[bridge bench] building (release)" >&2
cargo build --release -q -p sshgate-host --bin sshgate-host --example bridge_load
target=${CARGO_TARGET_DIR:-target}
HOST=$target/release/sshgate-host
LOAD=$target/release/examples/bridge_load

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# Each idle session holds a few descriptors in the client, the bridge and the echo server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

source bench/lib.sh  # free_port, wait_port
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo_port=$(free_port); bulk_port=$(free_port)
"$LOAD" servers --echo "127.0.0.1:$echo_port" --bulk "127.0.0.1:$bulk_port" >"$work/servers.out" &
pids+=($!)
wait_port "$echo_port"; wait_port "$bulk_port"

bridge_port=$(free_port)
RUST_LOG=warn "$HOST" bridge --listen "127.0.0.1:$bridge_port" \
    --target "echo=127.0.0.1:$echo_port" --target "bulk=127.0.0.1:$bulk_port" \
    --max-sessions $((IDLE + 100)) --max-sessions-per-source $((IDLE + 100)) 2>"$work/bridge.log" &
bridge_pid=$!
pids+=($bridge_pid)
ws_echo_port=$(free_port); ws_bulk_port=$(free_port)
"$WEBSOCKIFY" "127.0.0.1:$ws_echo_port" "127.0.0.1:$echo_port" >"$work/wsf1.log" 2>&1 &
pids+=($!)
"$WEBSOCKIFY" "127.0.0.1:$ws_bulk_port" "127.0.0.1:$bulk_port" >"$work/wsf2.log" 2>&1 &
wsf_bulk_pid=$!
pids+=($wsf_bulk_pid)
wait_port "$bridge_port"; wait_port "$ws_echo_port"; wait_port "$ws_bulk_port"

declare -A lat
for which in tcp bridge websockify; do
    case $which in
        tcp) a=(--tcp "127.0.0.1:$echo_port") ;;
        bridge) a=(--ws "ws://127.0.0.1:$bridge_port/ssh/echo") ;;
        websockify) a=(--ws "ws://127.0.0.1:$ws_echo_port/") ;;
    esac
    echo "[bridge bench] latency: $which" >&2
    lat[$which]=$("$LOAD" latency "${a[@]}" --n "$LAT_N")
done

best() { # best MB/s of $RUNS runs of: bridge_load throughput ARGS...
    local b=0 v
    for _ in $(seq 1 "$RUNS"); do
        v=$("$LOAD" throughput "$@" --mib "$MIB" | field mb_per_s)
        b=$(python3 -c "print(max($b, $v))")
    done
    echo "$b"
}
# CPU ticks (user + system) of a process and of the children it has reaped: websockify forks one
# child per connection and reaps it when the connection ends; the bridge's threads count in its own.
# Prints "USER SYSTEM" ticks.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $14, $13 + $15 }'; }
# "TOTAL (USER user)": seconds of the relay's CPU per GB (10^9 bytes) relayed, from the tick
# counts before ($1 $2) and after ($3 $4) RUNS x MIB.
cpu_per_gb() {
    python3 -c "gb = $RUNS * $MIB * 1048576 / 1e9 * $(getconf CLK_TCK)
print(f'{($3 - $1 + $4 - $2) / gb:.2f} ({($3 - $1) / gb:.2f} user)')"
}
declare -A thr cpu
for dir in down up; do
    for which in tcp bridge websockify; do
        relay=
        case $which in
            tcp) a=(--tcp "127.0.0.1:$bulk_port") ;;
            bridge) a=(--ws "ws://127.0.0.1:$bridge_port/ssh/bulk"); relay=$bridge_pid ;;
            websockify) a=(--ws "ws://127.0.0.1:$ws_bulk_port/"); relay=$wsf_bulk_pid ;;
        esac
        echo "[bridge bench] throughput $dir: $which" >&2
        [ -n "$relay" ] && t0=$(cpu_ticks "$relay")
        thr[$which-$dir]=$(best "${a[@]}" --dir "$dir")
        # websockify reaps its last child a moment after the connection closes.
        [ -n "$relay" ] && sleep 0.5 && cpu[$which-$dir]=$(cpu_per_gb $t0 $(cpu_ticks "$relay"))
    done
done

echo "[bridge bench] $IDLE idle sessions" >&2
idle=$("$LOAD" idle --ws "ws://127.0.0.1:$bridge_port/ssh/echo" --sessions "$IDLE" --pid "$bridge_pid")

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
med() { echo "${lat[$1]}" | field median_us; }
p99() { echo "${lat[$1]}" | field p99_us; }

out=$(cat <<EOF
## Bridge overhead

Command: \`bash bench/bridge.sh\` (BENCH_MIB=$MIB, best of $RUNS, $LAT_N round trips). $(date -u +%Y-%m-%d),
commit $(git rev-parse --short HEAD), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs,
load average $(cut -d' ' -f1-3 /proc/loadavg), websockify $(dpkg-query -W -f='${Version}' websockify 2>/dev/null || echo '?').

**1-byte echo round trip** (µs; client and target on loopback):

| path | median | p99 | median vs direct TCP |
|---|---:|---:|---:|
| direct TCP | $(med tcp) | $(p99 tcp) | 1.00 |
| sshgate-host bridge | $(med bridge) | $(p99 bridge) | $(ratio "$(med bridge)" "$(med tcp)") |
| websockify | $(med websockify) | $(p99 websockify) | $(ratio "$(med websockify)" "$(med tcp)") |

Bridge median latency vs websockify: $(ratio "$(med bridge)" "$(med websockify)") (lower is better).

**Throughput** (MB/s of payload, ${MIB} MiB, 64 KiB messages; down = target to client):

| direction | direct TCP | bridge | websockify | bridge / websockify (goal >= 2) |
|---|---:|---:|---:|---:|
| down | ${thr[tcp-down]} | ${thr[bridge-down]} | ${thr[websockify-down]} | $(ratio "${thr[bridge-down]}" "${thr[websockify-down]}") |
| up | ${thr[tcp-up]} | ${thr[bridge-up]} | ${thr[websockify-up]} | $(ratio "${thr[bridge-up]}" "${thr[websockify-up]}") |

**Relay CPU** (user + system seconds of the relay process per GB relayed, over all $RUNS runs, with
the user part in brackets; system time includes the loopback delivery its sends trigger):

| direction | bridge | websockify | websockify / bridge |
|---|---:|---:|---:|
| down | ${cpu[bridge-down]} | ${cpu[websockify-down]} | $(ratio "${cpu[websockify-down]%% *}" "${cpu[bridge-down]%% *}") |
| up | ${cpu[bridge-up]} | ${cpu[websockify-up]} | $(ratio "${cpu[websockify-up]%% *}" "${cpu[bridge-up]%% *}") |

**Idle sessions**: $(echo "$idle" | field sessions) bridged sessions open at once (each echoed one byte, so
every target connection exists): bridge RSS $(echo "$idle" | field rss_before_kib) KiB before,
$(echo "$idle" | field rss_after_kib) KiB after, growth $(echo "$idle" | field growth_mib) MiB
($(echo "$idle" | field per_session_kib) KiB per session; goal <= 100 MB in all); opened in $(echo "$idle" | field open_secs) s.
EOF
)
mkdir -p bench/results
printf '%s\n' "$out" > bench/results/bridge.md
printf '%s\n' "$out"
