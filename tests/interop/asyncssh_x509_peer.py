#!/usr/bin/env python3
"""asyncssh X.509 (RFC 6187) peer for sshgate's interop tests (native-host/tests/interop_x509_*.rs).

OpenSSH 9.2 has no x509v3-* support; asyncssh (with pyOpenSSL) implements x509v3-ssh-ed25519,
x509v3-ecdsa-sha2-nistp256/384/521, x509v3-rsa2048-sha256 and x509v3-ssh-rsa, both as host keys
and for user authentication.

    asyncssh_x509_peer.py server --port PORT --key KEY --chain CHAIN.pem --ca ROOT.pem...
    asyncssh_x509_peer.py client --port PORT --user USER --key KEY --chain CHAIN.pem
                                 --ca ROOT.pem... [--host-alias NAME] [--host-alg ALG]
                                 [--sig-alg ALG] [--repeat-last N] [--command CMD]

Machine-readable lines on stdout (flushed at once):

    READY <port>                    server: listening
    AUTH <user> OK                  server: a certificate login succeeded
    EXEC <command>                  server: a session ran <command> (exit status 0)
    CLOSED <reason>                 server: a connection ended
    RESULT ok <status>              client: logged in, ran the command, its exit status
    OUTPUT <line>                   client: each line the command printed
    RESULT permission denied        client: the server refused the certificate
    RESULT host key not verifiable: <why>   client: our check of the server's chain failed
    RESULT error <type>: <text>     client: anything else

The server presents KEY with CHAIN (leaf first) as its host certificate (asyncssh then offers
the x509v3 algorithms of that key; the client side picks one with HostKeyAlgorithms), trusts the --ca roots for
user certificates, and authorizes every certificate whose subject starts with O=Example (an
asyncssh `x509v3-sign-rsa subject=O=Example,*` authorized_keys entry); asyncssh then requires the
login name to be one of the certificate's principals (its CN here, since the test certificates
carry no e-mail subjectAltName). The client offers KEY with CHAIN (plus the last certificate
repeated --repeat-last more times, for the "too many certificates" refusal), verifies the
server's chain against the --ca roots for the name --host-alias (default: the host), and exits 0
iff the login succeeded.
"""

import argparse
import asyncio
import sys

try:
    import asyncssh
except ImportError as exc:  # pragma: no cover - reported to the Rust test verbatim
    print(f"asyncssh is not importable ({exc}); pip install asyncssh pyOpenSSL", file=sys.stderr)
    sys.exit(3)


def emit(line):
    print(line, flush=True)


def load(args):
    key = asyncssh.read_private_key(args.key)
    chain = asyncssh.read_certificate_list(args.chain)
    chain += [chain[-1]] * getattr(args, "repeat_last", 0)
    roots = [c for path in args.ca for c in asyncssh.read_certificate_list(path)]
    return key, chain, roots


class PeerServer(asyncssh.SSHServer):
    def connection_lost(self, exc):
        emit(f"CLOSED {'clean' if exc is None else f'{type(exc).__name__}: {exc}'}")

    def begin_auth(self, username):
        self._user = username
        return True

    def auth_completed(self):
        emit(f"AUTH {self._user} OK")


def run_session(process):
    emit(f"EXEC {process.command}")
    process.exit(0)


async def run_server(args):
    key, chain, roots = load(args)
    authorized = asyncssh.import_authorized_keys("x509v3-sign-rsa subject=O=Example,*\n")
    server = await asyncssh.create_server(
        PeerServer,
        args.host,
        args.port,
        server_host_keys=[(key, chain)],
        x509_trusted_certs=roots,
        authorized_client_keys=authorized,
        password_auth=False,
        kbdint_auth=False,
        login_timeout=30,
        process_factory=run_session,
    )
    emit(f"READY {server.sockets[0].getsockname()[1]}")
    await server.wait_closed()


async def run_client(args):
    key, chain, roots = load(args)
    extra = {}
    if args.host_alg:
        extra["server_host_key_algs"] = [args.host_alg]
    if args.sig_alg:
        extra["signature_algs"] = [args.sig_alg]
    try:
        conn = await asyncio.wait_for(
            asyncssh.connect(
                args.host,
                args.port,
                username=args.user,
                # No known_hosts: the host key is trusted only through its X.509 chain.
                known_hosts=None,
                x509_trusted_certs=roots,
                host_key_alias=args.host_alias,
                client_keys=[(key, chain)],
                agent_path=None,
                password=None,
                kbdint_auth=False,
                gss_host=None,
                config=None,
                **extra,
            ),
            timeout=args.timeout,
        )
    except asyncssh.PermissionDenied:
        emit("RESULT permission denied")
        return 1
    except asyncssh.HostKeyNotVerifiable as exc:
        emit(f"RESULT host key not verifiable: {exc.reason}")
        return 1
    except (OSError, asyncio.TimeoutError, asyncssh.Error) as exc:
        emit(f"RESULT error {type(exc).__name__}: {exc}")
        return 1
    async with conn:
        result = await conn.run(args.command, check=False)
        for line in (result.stdout or "").splitlines():
            emit(f"OUTPUT {line}")
        emit(f"RESULT ok {result.exit_status}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["server", "client"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--chain", required=True)
    parser.add_argument("--ca", action="append", default=[])
    parser.add_argument("--host-alg", default=None)
    parser.add_argument("--sig-alg", default=None)
    parser.add_argument("--host-alias", default=None)
    parser.add_argument("--user", default="alice")
    parser.add_argument("--repeat-last", type=int, default=0)
    parser.add_argument("--command", default="show ssh")
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()
    if args.mode == "server":
        asyncio.run(run_server(args))
        return 0
    return asyncio.run(run_client(args))


if __name__ == "__main__":
    sys.exit(main())
