#!/usr/bin/env python3
"""asyncssh peer for sshgate's interop tests (driven by native-host/tests/interop_asyncssh.rs).

OpenSSH 9.2 has no ML-KEM, so asyncssh (>= 2.21 with `cryptography` >= 44 providing ML-KEM) is the
peer for mlkem768x25519-sha256.

    asyncssh_peer.py server --port PORT [--host 127.0.0.1] [--kex ALG] [--password PW] [--hostile]
    asyncssh_peer.py client --port PORT [--host 127.0.0.1] [--kex ALG] [--user test]

Machine-readable lines on stdout (everything is flushed immediately):

    READY <port>                              server: listening (printed once)
    CONN <n> KEX <alg> OK                     key exchange <alg> completed (NEWKEYS received)
    CONN <n> SERVICE ssh-userauth ACCEPTED    server: accepted / client: got SERVICE_ACCEPT
    AUTH <user> password OK                   server: a password login succeeded
    EXEC <command>                            server: a session ran <command> (exit status 0)
    CLOSED <reason>                           server: a connection ended
    RESULT <text>                             client: how the connection ended

The server accepts any user with --password (default: no password works) and answers every
session's command with exit status 0. With --hostile it is a server that attacks the client's
terminal: when authentication begins it sends two SSH_MSG_DEBUG (one always_display) and a
banner, and at the first password it disconnects, each text carrying HOSTILE_TEXT (window
retitle, clear screen); the client must show them escaped. The client exits 0 iff the key exchange completed and the
ssh-userauth service request was accepted (it offers no credentials, so authentication itself
fails); 1 otherwise. asyncssh's own debug log goes to stderr.

How the negotiated algorithm is observed: asyncssh has no public API for the kex algorithm, but it
logs, per connection (the logger adds a "[conn=N, ...]" context prefix):
    "Beginning key exchange"   then   "  Key exchange alg: <alg>"   (debug level 2)
    "Completed key exchange"                                           (debug level 1)
    "Accepting request for service ssh-userauth"                       (server, debug level 2)
    "Request for service ssh-userauth accepted"                        (client, debug level 2)
A logging handler on the "asyncssh" logger turns those into the stdout lines above.
"""

import argparse
import asyncio
import logging
import re
import sys

try:
    import asyncssh
    from asyncssh.crypto import mlkem_available
except ImportError as exc:  # pragma: no cover - reported to the Rust test verbatim
    print(f"asyncssh is not importable ({exc}); install it: pip install asyncssh", file=sys.stderr)
    sys.exit(3)

KEX_DEFAULT = "mlkem768x25519-sha256"

# OSC 0 (set the window title, ended by BEL), then CSI 2J (clear the screen).
HOSTILE_TEXT = "\x1b]0;pwned\x07\x1b[2J"

_CONTEXT = re.compile(r"^\[(?P<ctx>[^\]]*)\]\s?(?P<msg>.*)$", re.S)
_CONN_ID = re.compile(r"conn=(\d+)")


def emit(line):
    print(line, flush=True)


class EventHandler(logging.Handler):
    """Translates asyncssh's debug log into the stdout protocol."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.kex_alg = {}  # conn id -> negotiated kex algorithm
        self.kex_ok = set()
        self.service_ok = set()

    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - never let logging kill the peer
            return
        m = _CONTEXT.match(text)
        if not m:
            return
        conn = _CONN_ID.search(m.group("ctx"))
        if not conn:
            return
        conn = conn.group(1)
        msg = m.group("msg").strip()
        if msg.startswith("Key exchange alg:"):
            self.kex_alg[conn] = msg.split(":", 1)[1].strip()
        elif msg == "Completed key exchange":
            alg = self.kex_alg.get(conn, "?")
            if conn not in self.kex_ok:
                self.kex_ok.add(conn)
                emit(f"CONN {conn} KEX {alg} OK")
        elif msg in (
            "Accepting request for service ssh-userauth",
            "Request for service ssh-userauth accepted",
        ):
            self.service_ok.add(conn)
            emit(f"CONN {conn} SERVICE ssh-userauth ACCEPTED")


def setup_logging():
    handler = EventHandler()
    logger = logging.getLogger("asyncssh")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(stderr)
    asyncssh.set_debug_level(2)
    return handler


class PeerServer(asyncssh.SSHServer):
    """Requires authentication; accepts only the password given with --password."""

    def __init__(self, password, hostile=False):
        self._password = password
        self._hostile = hostile
        self._conn = None

    def connection_made(self, conn):
        self._conn = conn

    def connection_lost(self, exc):
        reason = "clean" if exc is None else f"{type(exc).__name__}: {exc}"
        emit(f"CLOSED {reason}")

    def begin_auth(self, username):
        if self._hostile:
            self._conn.send_debug(f"debug-shown {HOSTILE_TEXT}", always_display=True)
            self._conn.send_debug(f"debug-quiet {HOSTILE_TEXT}")
            self._conn.send_auth_banner(f"banner {HOSTILE_TEXT}\n")
            emit("HOSTILE SENT")
        return True

    def password_auth_supported(self):
        return self._password is not None or self._hostile

    def validate_password(self, username, password):
        if self._hostile:
            self._conn.disconnect(asyncssh.DISC_BY_APPLICATION, f"bye {HOSTILE_TEXT}")
            return False
        ok = self._password is not None and password == self._password
        if ok:
            emit(f"AUTH {username} password OK")
        return ok


def run_session(process):
    emit(f"EXEC {process.command}")
    process.exit(0)


async def run_server(args):
    key = asyncssh.generate_private_key("ssh-ed25519")
    server = await asyncssh.create_server(
        lambda: PeerServer(args.password, args.hostile),
        args.host,
        args.port,
        server_host_keys=[key],
        kex_algs=[args.kex],
        login_timeout=30,
        process_factory=run_session,
    )
    port = server.sockets[0].getsockname()[1]
    emit(f"READY {port}")
    await server.wait_closed()


async def run_client(args, handler):
    try:
        conn = await asyncio.wait_for(
            asyncssh.connect(
                args.host,
                args.port,
                username=args.user,
                known_hosts=None,
                kex_algs=[args.kex],
                client_keys=None,
                agent_path=None,
                password=None,
                kbdint_auth=False,
                gss_host=None,
                config=None,
            ),
            timeout=args.timeout,
        )
    except asyncssh.PermissionDenied as exc:
        emit(f"RESULT permission denied: {exc.reason}")
    except asyncssh.DisconnectError as exc:
        emit(f"RESULT disconnect {exc.code}: {exc.reason}")
    except (OSError, asyncio.TimeoutError, asyncssh.Error) as exc:
        emit(f"RESULT error {type(exc).__name__}: {exc}")
    else:
        emit("RESULT authenticated (unexpected: nothing should accept user 'test')")
        conn.close()
        await conn.wait_closed()

    return 0 if (handler.kex_ok and handler.service_ok) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["server", "client"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--kex", default=KEX_DEFAULT)
    parser.add_argument("--user", default="test")
    parser.add_argument("--password", default=None)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--hostile", action="store_true")
    args = parser.parse_args()

    if args.kex.startswith("mlkem") and not mlkem_available:
        print(
            "asyncssh reports no ML-KEM support: it needs the `cryptography` package >= 44 "
            "built with ML-KEM (pip install -U asyncssh cryptography)",
            file=sys.stderr,
        )
        sys.exit(3)

    handler = setup_logging()
    if args.mode == "server":
        asyncio.run(run_server(args))
        return 0
    return asyncio.run(run_client(args, handler))


if __name__ == "__main__":
    sys.exit(main())
