#!/usr/bin/env python3
"""The attacks of the abuse suite (bench/abuse.sh) and the process figures it reads.

Each subcommand attacks one server on 127.0.0.1 and prints one line of `key=value` pairs (last
line of its output), so the shell script and the Rust tests read the same figures:

  presockets --port P --n N [--sources K]   N sockets that send `SSH-2.0-x` and wait
  wrongpw    --port P --user U --n N        N parallel logins with one wrong password each,
             [--sources K]                  from K loopback addresses
  guesses    --port P --user U --conns C    C parallel connections guessing passwords
  login      --port P --user U ...          log in and out
  stall      --port P --user U ...          log in, ask for output, never read again
  kexloop    --port P --method M --conns C  re-key before authentication, over and over
  chanflood  --port P --user U ...          many channels with initial window 0
  upgrade    --port P --host H --origin O   one WebSocket upgrade request: the status code
  peertext   --port P                       hostile peer text: a DISCONNECT description with a
                                            newline, a forged log line and 200 KB
  proc       --pid P [--tree]               RSS, peak RSS, PSS, descriptors, CPU seconds
  sample     --pid P --out F [--cap-mb M]   peak memory while it runs; kills P above the cap

Every loop is bounded in count and time. Loopback only.
"""

import argparse
import asyncio
import errno
import json
import os
import selectors
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sshraw  # noqa: E402
from sshraw import Disconnected, Reader, Transport, u32  # noqa: E402

HOST = "127.0.0.1"


def source(i, sources):
    """The local address of connection `i` spread over `sources` loopback addresses: 127.0.0.1
    for one source, else 127.0.1.1, 127.0.1.2, ... (all of 127/8 is loopback on Linux), so an
    attacker can look like many hosts, as a botnet does."""
    if sources <= 1:
        return None
    j = i % sources
    return f"127.0.{1 + j // 250}.{1 + j % 250}"


def emit(**kv):
    print(" ".join(f"{k}={v}" for k, v in kv.items()), flush=True)


# --- processes -----------------------------------------------------------------------------------
def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(pid):
    kids, out, todo = children_map(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def cpu_seconds(pid):
    """User + system CPU of `pid`, the children it reaped, and its live descendants."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for i, p in enumerate(tree(pid)):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[11..14] are utime, stime, cutime, cstime (stat fields 14-17).
        total += int(fields[11]) + int(fields[12])
        if i == 0:
            total += int(fields[13]) + int(fields[14])
    return total / hz


def proc_figures(pid, whole_tree, exclude=()):
    """Memory and descriptors of one process, or of it and its descendants (sshd forks per
    connection: PSS divides shared pages among the processes, so the sum is not inflated)."""
    pids = tree(pid) if whole_tree else [pid]
    pids = [p for p in pids if p == pid or comm(p) not in exclude]
    return {
        "rss_kib": sum(status_kib(p, "VmRSS") for p in pids),
        "hwm_kib": status_kib(pid, "VmHWM"),
        "pss_kib": sum(pss_kib(p) for p in pids),
        "fds": sum(fds(p) for p in pids),
        "procs": len(pids),
        "cpu_s": round(cpu_seconds(pid), 3),
    }


def cmd_proc(a):
    emit(**proc_figures(a.pid, a.tree, a.exclude.split(",")))


def cmd_sample(a):
    """Peak memory of a server while an attack runs: written to --out after every sample (so
    the file is complete whenever this is stopped). Above --cap-mb the server is killed: the
    machine is shared, and a server that grows that far has failed the row anyway."""
    peak = {"rss_kib": 0, "pss_kib": 0, "capped": 0, "capped_after_s": 0, "samples": 0}
    start = time.monotonic()
    deadline = start + a.max_secs
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop and time.monotonic() < deadline and os.path.exists(f"/proc/{a.pid}"):
        fig = proc_figures(a.pid, a.tree, a.exclude.split(","))
        peak["rss_kib"] = max(peak["rss_kib"], fig["rss_kib"])
        peak["pss_kib"] = max(peak["pss_kib"], fig["pss_kib"])
        peak["samples"] += 1
        # A tree's RSS sum counts shared pages once per process: its PSS is what it uses.
        used = fig["pss_kib"] if a.tree else fig["rss_kib"]
        if a.cap_mb and used > a.cap_mb * 1024:
            peak["capped"] = 1
            peak["capped_after_s"] = round(time.monotonic() - start, 1)
            os.kill(a.pid, signal.SIGKILL)
        with open(a.out + ".tmp", "w") as f:
            json.dump(peak, f)
        os.replace(a.out + ".tmp", a.out)
        if peak["capped"]:
            return
        time.sleep(a.interval)


# --- 1. pre-authentication sockets --------------------------------------------------------------
def cmd_presockets(a):
    """Opens --n sockets in batches (non-blocking connects, each batch given a second), sends
    `SSH-2.0-x` on each as it connects, waits --hold seconds, then counts the sockets the server
    has closed (EOF or reset after draining what it sent) and those it still holds. Prints the
    counts, then keeps holding until killed (or --keep seconds), so a login can be timed
    meanwhile."""
    addr = (HOST, a.port)
    sel = selectors.DefaultSelector()
    socks, failed = {}, 0
    t0 = time.monotonic()

    def settle(timeout):
        for key, _ in sel.select(timeout):
            s = key.fileobj
            sel.unregister(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    s.send(b"SSH-2.0-x\r\n")
                    socks[s] = "open"
                    continue
                except OSError:
                    pass
            socks[s] = "failed"

    for start in range(0, a.n, a.batch):
        for _ in range(start, min(a.n, start + a.batch)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            src = source(len(socks) + failed, a.sources)
            if src:
                s.bind((src, 0))
            err = s.connect_ex(addr)
            if err not in (0, errno.EINPROGRESS):
                s.close()
                failed += 1
                continue
            socks[s] = "connecting"
            sel.register(s, selectors.EVENT_WRITE)
        batch_end = time.monotonic() + 1.0
        while sel.get_map() and time.monotonic() < batch_end:
            settle(batch_end - time.monotonic())
        if time.monotonic() - t0 > a.open_secs:
            break
    open_secs = time.monotonic() - t0
    hold_end = time.monotonic() + a.hold
    while sel.get_map() and time.monotonic() < hold_end:
        settle(hold_end - time.monotonic())
    time.sleep(max(0.0, hold_end - time.monotonic()))

    held = closed = 0
    for s, state in socks.items():
        if state != "open":
            continue
        while True:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                held += 1
                break
            except OSError:
                closed += 1
                break
            if not data:
                closed += 1
                break
    unconnected = sum(1 for st in socks.values() if st in ("connecting", "failed")) + failed
    emit(
        attempted=a.n,
        connected=held + closed,
        held=held,
        closed=closed,
        unconnected=unconnected,
        open_secs=round(open_secs, 1),
    )
    end = time.monotonic() + a.keep
    while time.monotonic() < end:
        time.sleep(0.2)


# --- 2. parallel wrong passwords (asyncssh, a real client) ------------------------------------
def asyncssh_options(port, user, src=None):
    return dict(
        host=HOST,
        port=port,
        username=user,
        local_addr=(src, 0) if src else None,
        known_hosts=None,
        client_keys=None,
        agent_path=None,
        preferred_auth="password",
        # The same key exchange for both servers (sshd 9.2 has no ML-KEM hybrid).
        kex_algs=["curve25519-sha256"],
    )


def cmd_wrongpw(a):
    import asyncssh

    async def one(i):
        try:
            conn = await asyncio.wait_for(
                asyncssh.connect(
                    password=f"wrong-{i}", **asyncssh_options(a.port, a.user, source(i, a.sources))
                ),
                a.timeout,
            )
            conn.close()
            return "accepted"
        except asyncssh.PermissionDenied:
            return "denied"
        except asyncio.TimeoutError:
            return "timeout"
        except (asyncssh.Error, OSError):
            return "dropped"

    async def main():
        t0 = time.monotonic()
        results = await asyncio.gather(*(one(i) for i in range(a.n)))
        return results, time.monotonic() - t0

    results, secs = asyncio.run(main())
    emit(
        n=a.n,
        sources=max(1, a.sources),
        denied=results.count("denied"),
        dropped=results.count("dropped"),
        timeout=results.count("timeout"),
        accepted=results.count("accepted"),
        secs=round(secs, 1),
    )


# --- 7. password guesses from one source --------------------------------------------------------
def cmd_guesses(a):
    """--conns parallel connections from one address, each answering every password prompt
    with another wrong password (at most --tries): how many guesses the server answered within
    --secs. A guess is answered when the client is asked for the next one."""
    import asyncssh

    answered = [0]
    stamps = []

    class Guesser(asyncssh.SSHClient):
        def __init__(self):
            self.calls = 0

        def password_auth_requested(self):
            self.calls += 1
            if self.calls > 1:
                answered[0] += 1
                stamps.append(time.monotonic())
            return None if self.calls > a.tries else f"guess-{self.calls}"

    async def one():
        try:
            conn = await asyncssh.connect(client_factory=Guesser, **asyncssh_options(a.port, a.user))
            conn.close()
        except (asyncssh.Error, OSError):
            pass

    async def main():
        tasks = [asyncio.ensure_future(one()) for _ in range(a.conns)]
        await asyncio.wait(tasks, timeout=a.secs)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    t0 = time.monotonic()
    asyncio.run(main())
    first_sec = sum(1 for s in stamps if s - t0 <= 1.0)
    emit(conns=a.conns, answered=answered[0], in_first_second=first_sec, secs=a.secs)


# --- 3. a client that never reads -----------------------------------------------------------------
def server_side_socket(server_port, client_port):
    """(state, tx_queue, inode) of the server's end of a loopback connection, or None."""
    want_local, want_remote = f":{server_port:04X}", f":{client_port:04X}"
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            if p[1].endswith(want_local) and p[2].endswith(want_remote):
                return int(p[3], 16), int(p[4].split(":")[0], 16), int(p[9])
    return None


def held_by_server(server_port, client_port):
    """Whether a process still has the server's end open: ESTABLISHED (01) with an inode (a
    socket closed by its process but not yet flushed to a peer that does not read is orphaned,
    inode 0)."""
    s = server_side_socket(server_port, client_port)
    return s is not None and s[0] == 1 and s[2] != 0


CLI_INPUT = b"show ssh\r"


def logged_in(a, **kw):
    t = Transport(HOST, a.port, **kw)
    t.login(a.user, password=a.password, key=a.key)
    return t


def cmd_login(a):
    """One login and out (a warm-up, so what a first login allocates is not an attack's)."""
    logged_in(a).close()
    emit(login="ok")


def start_output(t, a, channel, window):
    """Opens a session channel and asks for output: the device CLI (a shell) fed pasted
    commands, or an `exec` of --command. Returns the server's channel id."""
    t.open_session(channel, window)
    p = t.expect(sshraw.MSG_CHANNEL_OPEN_CONFIRMATION, sshraw.MSG_CHANNEL_OPEN_FAILURE)
    if p[0] != sshraw.MSG_CHANNEL_OPEN_CONFIRMATION:
        raise Disconnected("channel refused")
    r = Reader(p, 5)
    server_id, peer_window, peer_max = r.u32(), r.u32(), r.u32()
    if a.command:
        t.channel_request(server_id, "exec", sshraw.string(a.command))
    else:
        t.channel_request(server_id, "shell")
    while True:
        p = t.recv()
        if p[0] == sshraw.MSG_CHANNEL_SUCCESS:
            break
        if p[0] == sshraw.MSG_CHANNEL_FAILURE:
            raise Disconnected("request refused")
    return server_id, peer_window, peer_max


def cmd_stall(a):
    """Logs in, asks for output (and, for the CLI, pastes up to --input-kib of commands within
    the server's window), then never reads the socket again: polls the server's end of the
    connection until the server drops it or --secs pass. The channel's window (--window, 1 GiB)
    is far more than the kernel's socket buffers hold, so a server that honours it ends up
    with a write that cannot finish: what a write deadline is for."""
    t = logged_in(a, rcvbuf=64 * 1024)
    server_id, peer_window, peer_max = start_output(t, a, 0, a.window)
    sent = 0
    if not a.command:
        budget = min(peer_window, a.input_kib * 1024)
        chunk = CLI_INPUT * max(1, min(peer_max, 16384) // len(CLI_INPUT))
        t.sock.settimeout(2.0)
        try:
            while sent + len(chunk) <= budget:
                t.sock.sendall(t.channel_data(server_id, chunk))
                sent += len(chunk)
        except (socket.timeout, OSError):
            pass  # the server stopped reading: what was sent is sent
    client_port = t.sock.getsockname()[1]
    t0 = time.monotonic()
    dropped_after = None
    while time.monotonic() - t0 < a.secs:
        if not held_by_server(a.port, client_port):
            dropped_after = time.monotonic() - t0
            break
        time.sleep(0.25)
    s = server_side_socket(a.port, client_port)
    emit(
        input_sent=sent,
        dropped=int(dropped_after is not None),
        after_s=round(dropped_after if dropped_after is not None else a.secs, 1),
        server_tx_queue=s[1] if s else 0,
    )
    t.close()


# --- 4. key exchanges before authentication -----------------------------------------------------
def cmd_kexloop(a):
    """--conns connections, each doing key exchange after key exchange (the first, then re-keys)
    without ever authenticating, until the server stops it, --max exchanges or --secs pass."""
    method = (
        "curve25519-sha256" if a.method == "curve25519" else "diffie-hellman-group-exchange-sha256"
    )
    trivial = a.method == "gex-trivial"
    results = []
    deadline = time.monotonic() + a.secs

    def one():
        t = None
        ending = "limit"
        try:
            t = Transport(HOST, a.port, timeout=a.secs + 5)
            while t.exchanges < a.max and time.monotonic() < deadline:
                t.kex(method, gex_bits=a.bits, trivial_e=trivial)
        except Disconnected as e:
            ending = {None: "closed", "unimplemented": "refused"}.get(e.reason, "disconnect")
        except socket.timeout:
            ending = "stalled"
        except OSError:
            ending = "reset"
        results.append((t.exchanges if t else 0, ending))
        if t:
            t.close()

    threads = [threading.Thread(target=one) for _ in range(a.conns)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    counts = [n for n, _ in results]
    endings = {}
    for _, e in results:
        endings[e] = endings.get(e, 0) + 1
    emit(
        conns=a.conns,
        exchanges=sum(counts),
        max_per_conn=max(counts),
        min_per_conn=min(counts),
        endings=",".join(f"{k}:{v}" for k, v in sorted(endings.items())),
    )


# --- 5. channels with a zero window -------------------------------------------------------------
def cmd_chanflood(a):
    """Logs in, opens --channels session channels with initial window --window (0: the server
    may send nothing), asks each for output (the CLI with --input-bytes of pasted commands, or
    --command), and reads for --hold seconds: how many channels the server accepted, and any
    channel data it sent beyond the window (a protocol violation). A server that ends the
    connection instead is reported as `ending=disconnected`."""
    t = logged_in(a)
    count = {"confirmed": {}, "refused": 0, "ok": 0, "failed": 0, "beyond": 0}

    def tally(p):
        if p[0] == sshraw.MSG_CHANNEL_OPEN_CONFIRMATION:
            r = Reader(p, 1)
            ours = r.u32()
            count["confirmed"][ours] = r.u32()
        elif p[0] == sshraw.MSG_CHANNEL_OPEN_FAILURE:
            count["refused"] += 1
        elif p[0] == sshraw.MSG_CHANNEL_SUCCESS:
            count["ok"] += 1
        elif p[0] == sshraw.MSG_CHANNEL_FAILURE:
            count["failed"] += 1
        elif p[0] in (sshraw.MSG_CHANNEL_DATA, sshraw.MSG_CHANNEL_EXTENDED_DATA):
            # Every window we gave is 0 and never grows: any data is past it.
            r = Reader(p, 5 if p[0] == sshraw.MSG_CHANNEL_DATA else 9)
            count["beyond"] += len(r.string())

    ending = "held"
    try:
        for i in range(a.channels):
            t.open_session(i, a.window)
        t.sock.settimeout(a.hold + 10)
        while len(count["confirmed"]) + count["refused"] < a.channels:
            tally(t.recv())
        data = CLI_INPUT * max(1, a.input_bytes // len(CLI_INPUT))
        for server_id in list(count["confirmed"].values()):
            if a.command:
                t.channel_request(server_id, "exec", sshraw.string(a.command))
                continue
            t.channel_request(server_id, "shell")
            for at in range(0, len(data), 32000):  # within the server's packet limit
                t.sock.sendall(t.channel_data(server_id, data[at : at + 32000]))
        t.sock.settimeout(0.5)
        end = time.monotonic() + a.hold
        while time.monotonic() < end:
            try:
                tally(t.recv())
            except socket.timeout:
                continue
    except (Disconnected, OSError) as e:
        ending = "disconnected"
        print(e, file=sys.stderr)
    emit(
        opened=len(count["confirmed"]),
        refused=count["refused"],
        requests_ok=count["ok"],
        requests_failed=count["failed"],
        data_beyond_window=count["beyond"],
        ending=ending,
    )
    t.close()


# --- 6. WebSocket upgrade (DNS rebinding) -------------------------------------------------------
def cmd_upgrade(a):
    s = socket.create_connection((HOST, a.port), timeout=10)
    req = (
        f"GET {a.path} HTTP/1.1\r\nHost: {a.host}\r\nOrigin: {a.origin}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    s.sendall(req.encode())
    head = b""
    while b"\r\n" not in head and len(head) < 4096:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    s.close()
    parts = head.split(b"\r\n", 1)[0].split()
    emit(status=parts[1].decode() if len(parts) > 1 else "none")


# --- 7. hostile peer text -----------------------------------------------------------------------
def cmd_peertext(a):
    """After the key exchange, a DISCONNECT whose description holds a newline, a forged log
    line (--marker first) and 200 KB of filler: the shell script then reads the server's log
    for a line starting with the marker, and for its longest line."""
    t = Transport(HOST, a.port)
    t.kex("curve25519-sha256")
    text = f"bye\n{a.marker} user=admin from 192.0.2.1: accepted\n" + "A" * 200_000
    t.send(bytes([sshraw.MSG_DISCONNECT]) + u32(11) + sshraw.string(text) + sshraw.string(""))
    time.sleep(0.5)
    t.close()
    emit(sent_bytes=len(text))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def add(name, fn, *flags):
        p = sub.add_parser(name)
        p.set_defaults(fn=fn)
        for flag in flags:
            p.add_argument(flag[0], **flag[1])
        return p

    port = ("--port", dict(type=int, required=True))
    user = ("--user", dict(default=""))
    login = [user, ("--password", dict()), ("--key", dict()), ("--command", dict())]
    add("proc", cmd_proc, ("--pid", dict(type=int, required=True)), ("--tree", dict(action="store_true")),
        ("--exclude", dict(default="")))
    add("sample", cmd_sample, ("--pid", dict(type=int, required=True)), ("--tree", dict(action="store_true")),
        ("--exclude", dict(default="")), ("--out", dict(required=True)),
        ("--cap-mb", dict(type=int, default=0)), ("--interval", dict(type=float, default=0.2)),
        ("--max-secs", dict(type=float, default=600)))
    add("presockets", cmd_presockets, port, ("--n", dict(type=int, default=10000)),
        ("--batch", dict(type=int, default=500)), ("--hold", dict(type=float, default=5)),
        ("--sources", dict(type=int, default=1)),
        ("--open-secs", dict(type=float, default=60)), ("--keep", dict(type=float, default=120)))
    add("wrongpw", cmd_wrongpw, port, user, ("--n", dict(type=int, default=500)),
        ("--sources", dict(type=int, default=1)), ("--timeout", dict(type=float, default=120)))
    add("guesses", cmd_guesses, port, user, ("--conns", dict(type=int, default=20)),
        ("--tries", dict(type=int, default=10)), ("--secs", dict(type=float, default=10)))
    add("login", cmd_login, port, *login)
    add("stall", cmd_stall, port, *login, ("--input-kib", dict(type=int, default=2048)),
        ("--window", dict(type=int, default=1 << 30)),
        ("--secs", dict(type=float, default=45)))
    add("kexloop", cmd_kexloop, port,
        ("--method", dict(choices=["curve25519", "gex", "gex-trivial"], required=True)),
        ("--bits", dict(type=int, default=8192)), ("--conns", dict(type=int, default=4)),
        ("--max", dict(type=int, default=1000)), ("--secs", dict(type=float, default=10)))
    add("chanflood", cmd_chanflood, port, *login, ("--channels", dict(type=int, default=200)),
        ("--window", dict(type=int, default=0)), ("--input-bytes", dict(type=int, default=4096)),
        ("--hold", dict(type=float, default=5)))
    add("upgrade", cmd_upgrade, port, ("--host", dict(required=True)), ("--origin", dict(required=True)),
        ("--path", dict(default="/ssh")))
    add("peertext", cmd_peertext, port, ("--marker", dict(default="FAKE-LOG-LINE")))
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
