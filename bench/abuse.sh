#!/usr/bin/env bash
# The abuse suite: each attack against `sshgate-host serve` (engine defaults, one password user
# with the device CLI, one key user with a `command`) and against a private OpenSSH `sshd`
# (Debian's, its defaults: MaxStartups 10:30:100, MaxSessions 10, ...), both on loopback, in the
# same run, side by side. Prints a markdown table (serve | sshd | goal) and writes it to
# bench/results/abuse.md. From the repository root:
#   bash bench/abuse.sh                 (10,000 sockets, 500 logins, ~5 minutes on 2 CPUs)
#   QUICK=1 bash bench/abuse.sh         (1,000 sockets, 100 logins, shorter holds: ~2 minutes)
#   ABUSE_ONLY="1 6" bash bench/abuse.sh      (only rows 1 and 6)
#   SERVE_BIN=/tmp/old/sshgate-host bash bench/abuse.sh   (measure another build)
# Knobs (defaults in brackets): ABUSE_SOCKETS [10000], ABUSE_SOCKET_SOURCES [1] addresses they
# come from, ABUSE_HOLD [5] seconds before counting, ABUSE_LOGINS [500], ABUSE_LOGIN_SOURCES
# [100], ABUSE_STALL_SECS [45], ABUSE_KEX_CONNS [4], ABUSE_KEX_SECS [8],
# ABUSE_CHANNELS [200], ABUSE_CHANNEL_INPUT [16384] bytes of CLI input a channel,
# ABUSE_GUESS_CONNS [20], ABUSE_GUESS_SECS [10], ABUSE_RSS_CAP_MB [3072] (a server above it is
# killed: the machine is shared), ABUSE_SERVER_NOFILE [sockets + 1024], ABUSE_RUN_AS [auto:
# `run_as = "nobody"` if serve accepts the key; none; or a user name], ABUSE_SERVE_EXTRA (TOML
# lines added to serve's [server] table), ABUSE_KEEP=1 (keep the temporary directory with the
# servers' logs and the attacks' outputs), CARGO_TARGET_DIR.
# See bench/README.md ("Abuse suite") for what each row measures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command=""
for v in QUICK ABUSE_SOCKETS ABUSE_SOCKET_SOURCES ABUSE_HOLD ABUSE_LOGINS ABUSE_LOGIN_SOURCES ABUSE_STALL_SECS ABUSE_KEX_CONNS ABUSE_KEX_SECS \
  ABUSE_CHANNELS ABUSE_CHANNEL_INPUT ABUSE_GUESS_CONNS ABUSE_GUESS_SECS ABUSE_RSS_CAP_MB ABUSE_SERVER_NOFILE \
  ABUSE_RUN_AS ABUSE_SERVE_EXTRA ABUSE_ONLY SERVE_BIN; do
  [[ -n "${!v:-}" ]] && command+="$v=${!v@Q} "
done
command+="bash bench/abuse.sh"
if [[ -n "${QUICK:-}" ]]; then
  : "${ABUSE_SOCKETS:=1000}" "${ABUSE_LOGINS:=100}" "${ABUSE_STALL_SECS:=20}" "${ABUSE_KEX_SECS:=4}"
  : "${ABUSE_CHANNELS:=50}" "${ABUSE_GUESS_SECS:=5}"
fi
SOCKETS=${ABUSE_SOCKETS:-10000}
SOCKET_SOURCES=${ABUSE_SOCKET_SOURCES:-1}
HOLD=${ABUSE_HOLD:-5}
LOGINS=${ABUSE_LOGINS:-500}
LOGIN_SOURCES=${ABUSE_LOGIN_SOURCES:-100}
STALL_SECS=${ABUSE_STALL_SECS:-45}
KEX_CONNS=${ABUSE_KEX_CONNS:-4}
KEX_SECS=${ABUSE_KEX_SECS:-8}
CHANNELS=${ABUSE_CHANNELS:-200}
CHANNEL_INPUT=${ABUSE_CHANNEL_INPUT:-16384}
GUESS_CONNS=${ABUSE_GUESS_CONNS:-20}
GUESS_SECS=${ABUSE_GUESS_SECS:-10}
RSS_CAP_MB=${ABUSE_RSS_CAP_MB:-3072}
RUN_AS=${ABUSE_RUN_AS:-auto}
SERVE_EXTRA=${ABUSE_SERVE_EXTRA:-}
ONLY=${ABUSE_ONLY:-}

SSHD=/usr/sbin/sshd
source bench/lib.sh
require_tools bench/abuse.sh "$SSHD" /usr/bin/ssh /usr/bin/ssh-keygen python3 timeout
python3 -c 'import asyncssh, cryptography' 2>/dev/null ||
  { echo "bench/abuse.sh: python3 needs asyncssh (pip install asyncssh)" >&2; exit 1; }
serve_bin=$(sshgate_host_bin)

# Descriptors: the load generator holds every socket, and each server gets enough to hold them
# all too (unless ABUSE_SERVER_NOFILE says otherwise), so what a server holds is its own choice.
ulimit -n "$(ulimit -Hn)"
client_nofile=$(ulimit -n)
server_nofile=${ABUSE_SERVER_NOFILE:-$((SOCKETS + 1024))}
((server_nofile > client_nofile)) && server_nofile=$client_nofile
if ((SOCKETS + 64 > client_nofile)); then
  echo "bench/abuse.sh: ABUSE_SOCKETS=$SOCKETS needs a descriptor limit above $((SOCKETS + 64)) (hard limit: $client_nofile)" >&2
  exit 1
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "${ABUSE_KEEP:-}" ]]; then echo "== kept $tmp (server logs, attack outputs)" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The attacks (an array, not a function: started with `&`, its PID is python's own, so `stop`
# ends the attack itself, not a subshell around it).
attack=(python3 bench/abuse/attack.py)
# The last value of KEY in FILE's `key=value` lines (bash may append job notices after them).
kv() { { grep -o "\b$2=[^ ]*" "$1" 2>/dev/null || true; } | tail -n 1 | cut -d= -f2-; }
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
# A change in KiB as "+1.5 MB" / "-0.2 MB".
dmib() { awk -v k="$1" 'BEGIN { printf "%+.1f MB", k / 1024 }'; }

user=$(id -un)
ssh-keygen -q -t ed25519 -N '' -C abuse -f "$tmp/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C abuse-forced -f "$tmp/id_forced"
ssh-keygen -q -t ed25519 -N '' -C abuse-operator -f "$tmp/id_operator"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/sshd_host_ed25519_key"
password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
password_hash=$(printf '%s\n%s\n' "$password" "$password" | "$serve_bin" passwd)
{
  cat "$tmp/id_ed25519.pub"
  echo "command=\"/usr/bin/id\" $(cat "$tmp/id_forced.pub")"
} >"$tmp/authorized_keys"
[[ -d /run/sshd ]] || mkdir -p -m 0755 /run/sshd

# --- the servers ---------------------------------------------------------------------------------
# Waits until $2 listens, failing early if process $1 has exited.
wait_listen() {
  for _ in $(seq 400); do
    kill -0 "$1" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# run_as is a key of the hardened build; today's rejects unknown keys, so it is only written
# when this build accepts it (ABUSE_RUN_AS=auto tries, and drops it on "unknown field").
case $RUN_AS in
  auto) run_as=nobody ;;
  none) run_as="" ;;
  *) run_as=$RUN_AS ;;
esac
run_as_note=""
serve_starts=0
start_serve() {
  serve_port=$(free_port)
  ws_port=$(free_port)
  serve_starts=$((serve_starts + 1))
  serve_log=$tmp/serve-$serve_starts.log
  cat >"$tmp/serve.toml" <<EOF
[server]
listen = ["127.0.0.1:$serve_port"]
hostname = "router1"
host_keys = ["$tmp/serve_host_ed25519_key"]
$SERVE_EXTRA

[websocket]
listen = ["127.0.0.1:$ws_port"]

# The issue's set-up: one password user (the device CLI), one key user with a program. The
# password user also has a key, for the rows that log in to attack after it: a password login
# would put the hashing's memory into what they measure.
[[users]]
name = "operator"
privilege = 15
password_hash = "$password_hash"
authorized_keys = ["$(cat "$tmp/id_operator.pub")"]

[[users]]
name = "monitor"
authorized_keys = ["$(cat "$tmp/id_ed25519.pub")"]
command = "/usr/bin/id"
${run_as:+run_as = \"$run_as\"}
EOF
  (ulimit -n "$server_nofile"; exec "$serve_bin" serve --config "$tmp/serve.toml") \
    >"$serve_log" 2>&1 &
  serve_pid=$!
  pids+=("$serve_pid")
  if ! wait_listen "$serve_pid" "$serve_port"; then
    if [[ $RUN_AS == auto && -n $run_as ]] && grep -q 'unknown field `run_as`' "$serve_log"; then
      run_as=""
      run_as_note="this build has no \`run_as\`: the key user's program runs as serve's own user ($user)"
      start_serve
      return
    fi
    echo "serve did not start:" >&2
    tail -20 "$serve_log" >&2
    exit 1
  fi
}

# sshd with Debian's defaults for everything the attacks touch (MaxStartups, MaxSessions,
# MaxAuthTries, LoginGraceTime); password authentication on so wrong passwords are checked
# (root logins stay key-only: `prohibit-password` still runs the password check, then fails).
sshd_starts=0
start_sshd() {
  sshd_port=$(free_port)
  sshd_starts=$((sshd_starts + 1))
  sshd_log=$tmp/sshd-$sshd_starts.log
  cat >"$tmp/sshd_config" <<EOF
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $tmp/sshd_host_ed25519_key
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
UsePAM no
PidFile none
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
PrintLastLog no
EOF
  (ulimit -n "$server_nofile"; exec "$SSHD" -D -e -f "$tmp/sshd_config") >"$sshd_log" 2>&1 &
  sshd_pid=$!
  pids+=("$sshd_pid")
  wait_listen "$sshd_pid" "$sshd_port" || { echo "sshd did not start:" >&2; tail -20 "$sshd_log" >&2; exit 1; }
}
stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
start_both() { start_serve; start_sshd; }
stop_both() { stop "$serve_pid"; stop "$sshd_pid"; }
port_of() { if [[ $1 == serve ]]; then echo "$serve_port"; else echo "$sshd_port"; fi; }
pid_of() { if [[ $1 == serve ]]; then echo "$serve_pid"; else echo "$sshd_pid"; fi; }
# serve is one process; sshd forks per connection, so its figures cover the whole tree.
tree_of() { if [[ $1 == sshd ]]; then echo --tree; fi; }
# The key login of each: serve's key user, sshd's root.
login_user() { if [[ $1 == serve ]]; then echo monitor; else echo "$user"; fi; }
# sshd reaps a connection's processes after the client has gone: wait for that (5 s at most).
settle() {
  for _ in $(seq 100); do
    [[ -z "$(pgrep -P "$1" || true)" ]] && return 0
    sleep 0.05
  done
}

# One OpenSSH login with the key, timed from start to exit: "login 0.12 s" or why it failed.
# It comes from 127.0.0.2, another address than the attackers' (127.0.0.1, or 127.0.1.x when
# spread), as a real user would; a server dropping it at random (MaxStartups between start and
# full) gets up to three tries, as a person would retry.
ssh_opts=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o ControlMaster=no -o ControlPath=none -o ConnectTimeout=30
  -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519)
timed_login() {
  local which=$1 t0 t1 rc try
  for try in 1 2 3; do
    rc=0
    t0=$(now)
    timeout 60 ssh "${ssh_opts[@]}" -b 127.0.0.2 -i "$tmp/id_ed25519" -p "$(port_of "$which")" \
      "$(login_user "$which")@127.0.0.1" true </dev/null >/dev/null 2>>"$tmp/ssh-$which.err" || rc=$?
    t1=$(now)
    if ((rc == 0)); then
      printf 'login %.2f s' "$(calc "$t1 - $t0")"
      ((try > 1)) && printf ' (try %d: %d refused before)' "$try" $((try - 1))
      return 0
    fi
  done
  printf 'login failed 3 times (last: exit %d after %.1f s)' "$rc" "$(calc "$t1 - $t0")"
}
# `attack proc` figures of a server.
figures() { "${attack[@]}" proc --pid "$(pid_of "$1")" $(tree_of "$1") --exclude "${2:-}"; }
fig() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
# Memory a server uses: serve's RSS, or sshd's PSS summed over its processes.
mem_of() { if [[ $1 == serve ]]; then fig "$2" rss_kib; else fig "$2" pss_kib; fi; }

# One login to each server by key, and its processes reaped: what a first login allocates is
# then in the idle figure, not in an attack's.
warm_up() {
  "${attack[@]}" login --port "$serve_port" --user operator --key "$tmp/id_operator" >/dev/null
  timed_login sshd >/dev/null
  settle "$sshd_pid"
  sleep 0.3
}

# Samples a server's peak memory in the background into $tmp/peak-$1.json (killing the server
# above ABUSE_RSS_CAP_MB); `peak_stop` stops it.
peak_start() {
  rm -f "$tmp/peak-$1.json"
  "${attack[@]}" sample --pid "$(pid_of "$1")" $(tree_of "$1") --exclude "${2:-}" \
    --out "$tmp/peak-$1.json" --cap-mb "$RSS_CAP_MB" --interval 0.1 &
  peak_pid=$!
  pids+=("$peak_pid")
  eval "peak_pid_$1=$peak_pid"
}
peak_stop() {
  local p
  p=$(eval echo "\$peak_pid_$1")
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
# Peak memory sampled (KiB: RSS for serve, PSS sum for sshd) and whether the cap was hit.
peak_of() {
  python3 -c "import json; d = json.load(open('$tmp/peak-$1.json')); print(d['${2:-rss_kib}'], d['capped'])" 2>/dev/null ||
    echo "0 0"
}

rows=()
notes=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 |"); }
wanted() { [[ -z $ONLY || " $ONLY " == *" $1 "* ]]; }

# --- 1. pre-authentication sockets ---------------------------------------------------------------
row_presockets() {
  echo "== 1: $SOCKETS pre-auth sockets" >&2
  local which out f held=() mem=() login=()
  for which in serve sshd; do
    start_$which
    out=$tmp/presockets-$which.out
    "${attack[@]}" presockets --port "$(port_of "$which")" --n "$SOCKETS" --sources "$SOCKET_SOURCES" \
      --hold "$HOLD" --keep 300 >"$out" 2>&1 &
    local loader=$!
    pids+=("$loader")
    for _ in $(seq 1200); do
      grep -q 'held=' "$out" 2>/dev/null && break
      kill -0 "$loader" 2>/dev/null || break
      sleep 0.1
    done
    f=$(figures "$which")
    login+=("$(timed_login "$which")")
    held+=("$(kv "$out" held) of $(kv "$out" connected) held after ${HOLD} s ($(kv "$out" closed) closed, $(kv "$out" unconnected) not connected)")
    if [[ $which == serve ]]; then
      mem+=("RSS $(mib "$(fig "$f" rss_kib)"), $(fig "$f" fds) fds")
    else
      mem+=("PSS $(mib "$(fig "$f" pss_kib)") in $(fig "$f" procs) processes, $(fig "$f" fds) fds")
    fi
    stop "$loader"
    stop "$(pid_of "$which")"
  done
  local from="one address"
  ((SOCKET_SOURCES > 1)) && from="$SOCKET_SOURCES addresses"
  row 1a "$SOCKETS sockets from $from send \`SSH-2.0-x\` and wait" "${held[0]}" "${held[1]}" "≤ 100 held (max_startups 10:30:100)"
  row 1b "… server memory and descriptors meanwhile" "${mem[0]}" "${mem[1]}" "bounded"
  row 1c "… a real login (ssh, publickey, from another address) meanwhile" "${login[0]}" "${login[1]}" "< 2 s"
}

# --- 2. parallel wrong passwords -----------------------------------------------------------------
row_wrongpw() {
  echo "== 2: $LOGINS parallel wrong-password logins" >&2
  local which out f idle after peak capped cells=() outcome=()
  for which in serve sshd; do
    start_$which
    timed_login "$which" >/dev/null # warm-up: what a first login allocates is not the attack's
    [[ $which == sshd ]] && settle "$sshd_pid"
    sleep 0.5
    idle=$(mem_of "$which" "$(figures "$which")")
    peak_start "$which"
    out=$tmp/wrongpw-$which.out
    local pw_user=operator
    [[ $which == sshd ]] && pw_user=$user
    "${attack[@]}" wrongpw --port "$(port_of "$which")" --user "$pw_user" --n "$LOGINS" \
      --sources "$LOGIN_SOURCES" >"$out" 2>&1 || true
    # serve kept hashing after the clients left (issue 11): give late checks time to end.
    sleep 3
    peak_stop "$which"
    if [[ $which == serve ]]; then read -r peak capped < <(peak_of serve rss_kib); else read -r peak capped < <(peak_of sshd pss_kib); fi
    if ((capped)); then
      cells+=("over the ${RSS_CAP_MB} MB cap after $(peak_of "$which" capped_after_s | cut -d' ' -f1) s: killed (idle $(mib "$idle"))")
    else
      f=$(figures "$which")
      after=$(mem_of "$which" "$f")
      if [[ $which == serve ]]; then
        peak=$(fig "$f" hwm_kib) # VmHWM: the true peak, not a sample
        cells+=("peak $(dmib $((peak - idle))) (VmHWM $(mib "$peak"), idle $(mib "$idle")); after $(dmib $((after - idle)))")
      else
        settle "$sshd_pid"
        after=$(mem_of sshd "$(figures sshd)")
        cells+=("peak $(dmib $((peak - idle))) (PSS of all sshd processes, sampled; idle $(mib "$idle")); after $(dmib $((after - idle)))")
      fi
    fi
    outcome+=("$(kv "$out" denied) denied, $(kv "$out" dropped) dropped, $(kv "$out" timeout) timed out in $(kv "$out" secs) s")
    stop "$(pid_of "$which")"
  done
  row 2a "$LOGINS parallel logins from $LOGIN_SOURCES addresses, one wrong password each (asyncssh)" "${cells[0]}" "${cells[1]}" "≤ 64 MB over idle"
  row 2b "… what the clients saw" "${outcome[0]}" "${outcome[1]}" "refused or answered, none hang"
}

# --- 3. a client that never reads ----------------------------------------------------------------
row_stall() {
  echo "== 3: never-reading clients (${STALL_SECS} s)" >&2
  start_both
  local idle_s idle_d
  warm_up
  idle_s=$(mem_of serve "$(figures serve)")
  idle_d=$(mem_of sshd "$(figures sshd)")
  peak_start serve
  peak_start sshd yes
  # serve: the device CLI fed pasted `show ssh` lines (before issue 11 its output was queued
  # whatever the window said); sshd: `exec yes`. Both clients stop reading at once; they run side by side.
  "${attack[@]}" stall --port "$serve_port" --user operator --key "$tmp/id_operator" --secs "$STALL_SECS" \
    >"$tmp/stall-serve.out" 2>&1 &
  local a=$!
  "${attack[@]}" stall --port "$sshd_port" --user "$user" --key "$tmp/id_ed25519" --command yes \
    --secs "$STALL_SECS" >"$tmp/stall-sshd.out" 2>&1 &
  local b=$!
  pids+=("$a" "$b")
  wait "$a" "$b" || true
  peak_stop serve
  peak_stop sshd
  local cells=() which out peak capped idle
  for which in serve sshd; do
    out=$tmp/stall-$which.out
    if [[ $which == serve ]]; then idle=$idle_s; read -r peak capped < <(peak_of serve rss_kib); else idle=$idle_d; read -r peak capped < <(peak_of sshd pss_kib); fi
    if [[ -z "$(kv "$out" dropped)" ]]; then
      cells+=("client failed: $(tail -1 "$out")")
    elif (($(kv "$out" dropped))); then
      cells+=("dropped after $(kv "$out" after_s) s; memory peak $(dmib $((peak - idle)))")
    else
      local cap=""
      ((capped)) && cap=", over the cap: killed"
      cells+=("not dropped in ${STALL_SECS} s; memory peak $(dmib $((peak - idle)))$cap")
    fi
  done
  stop_both
  row 3 "logs in, asks for output, never reads (serve: CLI + $(($(kv "$tmp/stall-serve.out" input_sent) / 1024)) KiB of pasted \`show ssh\`; sshd: \`exec yes\`)" "${cells[0]}" "${cells[1]}" "dropped (write deadline), memory bounded"
}

# --- 4. key exchanges before authentication ------------------------------------------------------
row_kexloop() {
  local method=$1 label=$2 id=$3
  echo "== 4$id: $label, $KEX_CONNS connections, ${KEX_SECS} s" >&2
  local which out c0 c1 login cells=()
  for which in serve sshd; do
    start_$which
    # What one login costs the server, measured alone: taken off the attack's figure below,
    # since a login runs during the attack.
    c0=$(fig "$(figures "$which")" cpu_s)
    timed_login "$which" >/dev/null
    [[ $which == sshd ]] && settle "$sshd_pid"
    c1=$(fig "$(figures "$which")" cpu_s)
    c0=$(calc "$c1 + ($c1 - $c0)")
    out=$tmp/kex-$method-$which.out
    "${attack[@]}" kexloop --port "$(port_of "$which")" --method "$method" --conns "$KEX_CONNS" \
      --secs "$KEX_SECS" >"$out" 2>&1 &
    local loader=$!
    pids+=("$loader")
    sleep 1
    login=$(timed_login "$which")
    wait "$loader" || true
    [[ $which == sshd ]] && settle "$sshd_pid"
    c1=$(fig "$(figures "$which")" cpu_s)
    if [[ -z "$(kv "$out" exchanges)" ]]; then
      cells+=("attack failed: $(tail -1 "$out")")
    else
      local n per_x
      n=$(kv "$out" exchanges)
      per_x="n/a"
      # Below a login's noise (sshd refusing at once) the difference can come out negative.
      ((n > 0)) && per_x="$(calc "round(max(0, $c1 - $c0) * 1000 / $n, 1)") ms"
      cells+=("$(kv "$out" max_per_conn) exchanges per connection in ${KEX_SECS} s (ended: $(kv "$out" endings)); server CPU $(calc "round(max(0, $c1 - $c0) / $KEX_CONNS, 2)") s per connection, $per_x per exchange; $login")
    fi
    stop "$(pid_of "$which")"
  done
  row "4$id" "$label" "${cells[0]}" "${cells[1]}" "a few exchanges before auth, then refused; login < 2 s"
}

# --- 5. channels with a zero window --------------------------------------------------------------
row_chanflood() {
  echo "== 5: $CHANNELS zero-window channels" >&2
  start_both
  local idle_s idle_d
  warm_up
  idle_s=$(mem_of serve "$(figures serve)")
  idle_d=$(mem_of sshd "$(figures sshd)")
  peak_start serve
  peak_start sshd yes
  "${attack[@]}" chanflood --port "$serve_port" --user operator --key "$tmp/id_operator" \
    --channels "$CHANNELS" --input-bytes "$CHANNEL_INPUT" >"$tmp/chan-serve.out" 2>&1 &
  local a=$!
  "${attack[@]}" chanflood --port "$sshd_port" --user "$user" --key "$tmp/id_ed25519" --command yes \
    --channels "$CHANNELS" >"$tmp/chan-sshd.out" 2>&1 &
  local b=$!
  pids+=("$a" "$b")
  wait "$a" "$b" || true
  peak_stop serve
  peak_stop sshd
  local cells=() which out peak capped idle
  for which in serve sshd; do
    out=$tmp/chan-$which.out
    if [[ $which == serve ]]; then idle=$idle_s; read -r peak capped < <(peak_of serve rss_kib); else idle=$idle_d; read -r peak capped < <(peak_of sshd pss_kib); fi
    if [[ -z "$(kv "$out" opened)" ]]; then
      cells+=("client failed: $(tail -1 "$out")")
    else
      cells+=("$(kv "$out" opened) opened, $(kv "$out" refused) refused; $(kv "$out" data_beyond_window) bytes sent past the window; memory peak $(dmib $((peak - idle)))")
    fi
  done
  stop_both
  row 5 "$CHANNELS session channels with window 0 asking for output (serve: CLI + $((CHANNEL_INPUT / 1024)) KiB of pasted \`show ssh\` each; sshd: \`exec yes\`)" "${cells[0]}" "${cells[1]}" "channels capped, memory bounded"
}

# --- 6. DNS rebinding ----------------------------------------------------------------------------
row_rebinding() {
  echo "== 6: DNS rebinding" >&2
  start_serve
  local evil own
  evil=$("${attack[@]}" upgrade --port "$ws_port" --host "evil.test:$ws_port" --origin "http://evil.test:$ws_port")
  own=$("${attack[@]}" upgrade --port "$ws_port" --host "127.0.0.1:$ws_port" --origin "http://127.0.0.1:$ws_port")
  stop "$serve_pid"
  row 6 "WebSocket upgrade with \`Host\` and \`Origin\` evil.test:PORT" "HTTP ${evil#status=} (the listener's own name: ${own#status=})" "n/a (no WebSocket)" "refused (4xx)"
}

# --- 7. the other refusals -----------------------------------------------------------------------
row_refusals() {
  echo "== 7: forced command, per-source guesses, peer text in logs" >&2
  start_both
  local which out cells=() key dest
  for which in serve sshd; do
    # serve: the key user whose `command` is /usr/bin/id; sshd: a key with command="/usr/bin/id".
    if [[ $which == serve ]]; then key=$tmp/id_ed25519 dest=monitor; else key=$tmp/id_forced dest=$user; fi
    out=$(timeout 30 ssh "${ssh_opts[@]}" -i "$key" -p "$(port_of "$which")" "$dest@127.0.0.1" \
      'id; echo INJECTED' </dev/null 2>&1 | head -3 | tr '\n' ' ' | cut -c1-90 || true)
    cells+=("\`${out% }\`")
  done
  row 7a "forced-command user runs \`exec 'id; echo INJECTED'\`" "${cells[0]}" "${cells[1]}" "the command's output only (as \`run_as\`)"

  cells=()
  for which in serve sshd; do
    local pw_user=operator
    [[ $which == sshd ]] && pw_user=$user
    out=$tmp/guesses-$which.out
    "${attack[@]}" guesses --port "$(port_of "$which")" --user "$pw_user" --conns "$GUESS_CONNS" \
      --secs "$GUESS_SECS" >"$out" 2>&1 || true
    cells+=("$(kv "$out" answered) answered in ${GUESS_SECS} s ($(kv "$out" in_first_second) in the first second)")
  done
  row 7b "wrong passwords from one address, $GUESS_CONNS connections in parallel, each up to 10 guesses" "${cells[0]}" "${cells[1]}" "slowed after a few (penalty counted at each failure)"

  cells=()
  local marker=FAKE-LOG-LINE-$RANDOM log
  for which in serve sshd; do
    "${attack[@]}" peertext --port "$(port_of "$which")" --marker "$marker" >/dev/null 2>&1 || true
    sleep 0.5
    if [[ $which == serve ]]; then log=$serve_log; else log=$sshd_log; fi
    cells+=("$(grep -c "^$marker" "$log" || true) forged lines; longest log line $(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$log") bytes")
  done
  # sshd's own choice, not a slip: on stderr (-e) it escapes with VIS_SAFE, which keeps
  # newlines; its syslog output (the usual one) escapes them.
  cells[1]+=" (stderr log, \`-e\`: newlines kept; syslog escapes them)"
  stop_both
  row 7c "DISCONNECT text with a newline, a forged log line and 200 KB" "${cells[0]}" "${cells[1]}" "0 forged lines, lines truncated"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
wanted 1 && row_presockets
wanted 2 && row_wrongpw
wanted 3 && row_stall
if wanted 4; then
  row_kexloop curve25519 "re-key loop before auth, curve25519-sha256" a
  row_kexloop gex-trivial "re-key loop before auth, group exchange 8192 bits with e = g (K = f: the client computes nothing)" b
  row_kexloop gex "re-key loop before auth, group exchange 8192 bits, honest e" c
fi
wanted 5 && row_chanflood
wanted 6 && row_rebinding
wanted 7 && row_refusals

[[ -n $run_as_note ]] && notes+=("$run_as_note")
describe_run
mkdir -p bench/results
{
  echo "### Abuse suite: sshgate-host serve vs OpenSSH sshd"
  echo
  echo "- command: \`$command\`"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
  echo "- machine: ${cpu:-unknown CPU}, $(nproc) CPUs, $(uname -sm), load average before the runs: $load"
  echo "- sshd: $(ssh -V 2>&1) with its defaults ($("$SSHD" -T -f "$tmp/sshd_config" 2>/dev/null |
    grep -iE '^(maxstartups|maxsessions|maxauthtries|logingracetime|persourcemaxstartups) ' | tr '\n' ';' | sed 's/;$//; s/;/, /g'));"
  echo "  serve: $serve_bin with engine defaults${SERVE_EXTRA:+ and \`$SERVE_EXTRA\`}"
  echo "- descriptor limits: load generator $client_nofile, each server $server_nofile"
  for n in "${notes[@]}"; do echo "- $n"; done
  echo
  echo "| # | attack | serve | sshd | goal |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee bench/results/abuse.md
echo "== wrote bench/results/abuse.md" >&2
