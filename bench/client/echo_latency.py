#!/usr/bin/env python3
"""Keystroke echo latency of an interactive SSH client, as a person at a terminal sees it.

Runs tmux in a pseudo-terminal this script owns (the person's terminal), tmux runs the client
(`-tt`, remote `cat`), and each keystroke goes in at the outer terminal; the time until tmux
has redrawn that character on it is one round trip: terminal -> tmux -> client -> server ->
remote PTY echo -> server -> client -> tmux -> terminal. tmux's own share is the same for every
client measured. Prints the median and 90th percentile in milliseconds as `median p90`.

usage: echo_latency.py KEYS -- CLIENT-COMMAND...
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


def main():
    keys = int(sys.argv[1])
    client = sys.argv[sys.argv.index("--") + 1 :]
    socket = f"sshgate-echo-{os.getpid()}"
    # No status line: its clock would redraw letters a key could be mistaken for.
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write("set -g status off\n")
    conf.close()
    tmux = ["tmux", "-f", conf.name, "-L", socket, "new-session", "-x", "100", "-y", "30", shlex.join(client)]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(tmux[0], tmux)
    try:
        # The remote `cat` prints a marker once it runs (see bench/client.sh).
        read_until(fd, b"ready-for-keys", time.monotonic() + 30)
        time.sleep(0.3)
        samples = []
        letters = b"abcdefghijklmnopqrstuvwxyz"
        for i in range(keys):
            key = letters[i % 26 : i % 26 + 1]
            # Drain what is already there, so the echo is this key's.
            while select.select([fd], [], [], 0)[0]:
                os.read(fd, 65536)
            t0 = time.monotonic()
            os.write(fd, key)
            t1 = read_until(fd, key, t0 + 10)
            samples.append((t1 - t0) * 1000)
            # A new line now and then keeps the echoed text from wrapping into redraw noise.
            if i % 26 == 25:
                os.write(fd, b"\r")
                time.sleep(0.02)
        samples.sort()
        p90 = samples[int(len(samples) * 0.9) - 1]
        print(f"{statistics.median(samples):.2f} {p90:.2f}")
    finally:
        os.system(f"tmux -L {socket} kill-server 2>/dev/null")
        os.unlink(conf.name)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


if __name__ == "__main__":
    main()
