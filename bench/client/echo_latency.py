#!/usr/bin/env python3
"""Keystroke echo latency of an interactive SSH client, as a person at a terminal sees it.

Runs tmux in a pseudo-terminal this script owns (the person's terminal), tmux runs the client
(`-tt`, remote `cat`), and each keystroke goes in at the outer terminal; the time until tmux
has redrawn that character on it is one round trip: terminal -> tmux -> client -> server ->
remote PTY echo -> server -> client -> tmux -> terminal. tmux's own share is the same for every
client measured. Prints the median and 90th percentile in milliseconds as `median p90`.

usage: echo_latency.py KEYS -- CLIENT-COMMAND... [--- CLIENT-COMMAND...]...

Several clients run side by side and take the keys in turn; one `median p90` line each, in
the order given.
"""

import os
import pty
import select
import shlex
import statistics
import sys
import tempfile
import time


def read_until(fd, wanted, deadline):
    """Reads the terminal until `wanted` (bytes) shows up; returns when, or raises."""
    seen = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"never saw {wanted!r}; last output {seen[-200:]!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError(f"the terminal closed; last output {seen[-200:]!r}")
            seen += chunk
            if wanted in seen:
                return time.monotonic()


class Client:
    """One client under tmux in a pseudo-terminal this script owns."""

    def __init__(self, command):
        self.socket = f"sshgate-echo-{os.getpid()}-{len(Client.all)}"
        Client.all.append(self)
        # No status line: its clock would redraw letters a key could be mistaken for.
        conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
        conf.write("set -g status off\n")
        conf.close()
        self.conf = conf.name
        tmux = ["tmux", "-f", conf.name, "-L", self.socket, "new-session", "-x", "100", "-y", "30", shlex.join(command)]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "xterm-256color"
            os.execvp(tmux[0], tmux)
        self.samples = []

    def key(self, i):
        """Types the i-th key and records how long its echo took to show."""
        letters = b"abcdefghijklmnopqrstuvwxyz"
        key = letters[i % 26 : i % 26 + 1]
        # Drain what is already there, so the echo is this key's.
        while select.select([self.fd], [], [], 0)[0]:
            os.read(self.fd, 65536)
        t0 = time.monotonic()
        os.write(self.fd, key)
        t1 = read_until(self.fd, key, t0 + 10)
        self.samples.append((t1 - t0) * 1000)
        # A new line now and then keeps the echoed text from wrapping into redraw noise.
        if i % 26 == 25:
            os.write(self.fd, b"\r")
            time.sleep(0.02)

    def close(self):
        os.system(f"tmux -L {self.socket} kill-server 2>/dev/null")
        os.unlink(self.conf)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


Client.all = []


def main():
    keys = int(sys.argv[1])
    commands = [[]]
    for arg in sys.argv[sys.argv.index("--") + 1 :]:
        if arg == "---":
            commands.append([])
        else:
            commands[-1].append(arg)
    try:
        clients = [Client(c) for c in commands]
        for c in clients:
            # The remote `cat` prints a marker once it runs (see bench/client.sh).
            read_until(c.fd, b"ready-for-keys", time.monotonic() + 30)
        time.sleep(0.3)
        # Key by key, the clients in turn (who goes first rotating), so a machine that gets
        # busier or quieter meanwhile weighs on every client alike.
        for i in range(keys):
            for j in range(len(clients)):
                clients[(i + j) % len(clients)].key(i)
        for c in clients:
            c.samples.sort()
            p90 = c.samples[int(len(c.samples) * 0.9) - 1]
            print(f"{statistics.median(c.samples):.3f} {p90:.3f}")
    finally:
        for c in Client.all:
            c.close()


if __name__ == "__main__":
    main()
