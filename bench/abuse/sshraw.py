"""A minimal SSH-2 client for the abuse suite (bench/abuse.sh), written for attacking, not for use.

It does only what the attacks need, in the order an attacker would: the identification line,
KEXINIT, curve25519-sha256 or diffie-hellman-group-exchange-sha256 (with an honest or a trivial
public value e = g, for which K = f: the client pays nothing), aes128-ctr + hmac-sha2-256 (in
both servers' defaults, and simple), re-keys whenever asked, password and ssh-ed25519
publickey authentication, and session channels with any initial window. Host key signatures are
not checked (the attacker does not care who answers). Blocking sockets; one connection per
`Transport`. Needs the `cryptography` package (asyncssh depends on it).
"""

import hashlib
import hmac
import os
import socket
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MSG_DISCONNECT, MSG_IGNORE, MSG_UNIMPLEMENTED, MSG_DEBUG = 1, 2, 3, 4
MSG_SERVICE_REQUEST, MSG_SERVICE_ACCEPT, MSG_EXT_INFO = 5, 6, 7
MSG_KEXINIT, MSG_NEWKEYS = 20, 21
MSG_KEX_30, MSG_KEX_31, MSG_KEX_32, MSG_KEX_33, MSG_KEX_GEX_REQUEST = 30, 31, 32, 33, 34
MSG_USERAUTH_REQUEST, MSG_USERAUTH_FAILURE, MSG_USERAUTH_SUCCESS, MSG_USERAUTH_BANNER = 50, 51, 52, 53
MSG_GLOBAL_REQUEST = 80
MSG_CHANNEL_OPEN, MSG_CHANNEL_OPEN_CONFIRMATION, MSG_CHANNEL_OPEN_FAILURE = 90, 91, 92
MSG_CHANNEL_WINDOW_ADJUST, MSG_CHANNEL_DATA, MSG_CHANNEL_EXTENDED_DATA = 93, 94, 95
MSG_CHANNEL_EOF, MSG_CHANNEL_CLOSE, MSG_CHANNEL_REQUEST = 96, 97, 98
MSG_CHANNEL_SUCCESS, MSG_CHANNEL_FAILURE = 99, 100

# Largest packet read from a server; both servers' own limit is 256 KiB.
MAX_PACKET = 256 * 1024 + 64
HOST_KEY_ALGS = "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256"


class Disconnected(Exception):
    """The server sent DISCONNECT (`reason`: its code), answered UNIMPLEMENTED to a key exchange
    message (`reason`: "unimplemented") or closed the connection (`reason`: None)."""

    def __init__(self, why, reason=None):
        super().__init__(why)
        self.reason = reason


def u32(n):
    return struct.pack(">I", n)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def mpint(n):
    if n == 0:
        return u32(0)
    # One more byte than the magnitude needs when its top bit is set: a leading zero.
    return string(n.to_bytes((n.bit_length() + 8) // 8, "big"))


def name_list(names):
    return string(names if isinstance(names, (str, bytes)) else ",".join(names))


class Reader:
    """Reads SSH wire types from a payload."""

    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def byte(self):
        self.pos += 1
        return self.data[self.pos - 1]

    def u32(self):
        (v,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return v

    def string(self):
        n = self.u32()
        if self.pos + n > len(self.data):
            raise ValueError("string past the end of the packet")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def mpint(self):
        return int.from_bytes(self.string(), "big", signed=True)


def ed25519_key(path):
    """An OpenSSH-format ed25519 private key file: (private key, public key blob)."""
    with open(path, "rb") as f:
        key = serialization.load_ssh_private_key(f.read(), None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key, string("ssh-ed25519") + string(raw)


class Transport:
    """One SSH connection: packets, key exchanges, authentication, channel messages."""

    def __init__(self, host, port, timeout=20.0, software="abuse_0.1", rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            # Before connecting, so the window the client advertises starts small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.v_c = f"SSH-2.0-{software}".encode()
        self.sock.sendall(self.v_c + b"\r\n")
        self.buf = bytearray()
        self.v_s = self._read_version()
        self.seq_out = self.seq_in = 0
        self.out_keys = self.in_keys = None  # (AES-CTR context, MAC key)
        self.session_id = None
        self.server_kexinit = None  # a KEXINIT the server sent first, not yet answered
        self.exchanges = 0

    # --- bytes --------------------------------------------------------------------------------
    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Disconnected("connection closed by the server")
            self.buf += chunk

    def _take(self, n):
        self._fill(n)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def _read_version(self):
        for _ in range(64):  # lines before the version line (RFC 4253 §4.2), bounded
            line = bytearray()
            while not line.endswith(b"\n"):
                line += self._take(1)
                if len(line) > 8192:
                    raise Disconnected("identification line too long")
            if line.startswith(b"SSH-"):
                return bytes(line.rstrip(b"\r\n"))
        raise Disconnected("no identification line")

    # --- packets ------------------------------------------------------------------------------
    def packet(self, payload):
        """The bytes of one packet (encrypted and MACed once keys are in use); advances seq."""
        block = 16 if self.out_keys else 8
        pad = block - (5 + len(payload)) % block
        if pad < 4:
            pad += block
        plain = u32(1 + len(payload) + pad) + bytes([pad]) + payload + bytes(pad)
        if self.out_keys:
            enc, mac_key = self.out_keys
            mac = hmac.new(mac_key, u32(self.seq_out) + plain, hashlib.sha256).digest()
            plain = enc.update(plain) + mac
        self.seq_out = (self.seq_out + 1) & 0xFFFFFFFF
        return plain

    def send(self, payload):
        self.sock.sendall(self.packet(payload))

    def recv_raw(self):
        """The next packet's payload, whatever its type."""
        block = 16 if self.in_keys else 8
        first = self._take(block)
        if self.in_keys:
            first = self.in_keys[0].update(first)
        (length,) = struct.unpack(">I", first[:4])
        if not 5 <= length <= MAX_PACKET or (length + 4) % block:
            raise Disconnected(f"bad packet length {length}")
        rest = self._take(length + 4 - block)
        if self.in_keys:
            rest = self.in_keys[0].update(rest)
            mac = self._take(32)
            want = hmac.new(self.in_keys[1], u32(self.seq_in) + first + rest, hashlib.sha256).digest()
            if not hmac.compare_digest(mac, want):
                raise Disconnected("MAC mismatch")
        self.seq_in = (self.seq_in + 1) & 0xFFFFFFFF
        plain = first + rest
        return plain[5 : 4 + length - plain[4]]

    def recv(self):
        """The next payload that is not IGNORE/DEBUG/UNIMPLEMENTED/EXT_INFO or a global request;
        a server-started re-key is answered on the way. DISCONNECT raises."""
        while True:
            p = self.recv_raw()
            t = p[0]
            if t == MSG_DISCONNECT:
                self._refused(p)
            if t in (MSG_IGNORE, MSG_DEBUG, MSG_UNIMPLEMENTED, MSG_EXT_INFO):
                continue
            if t == MSG_GLOBAL_REQUEST:
                r = Reader(p, 1)
                r.string()
                if r.byte():
                    self.send(bytes([82]))  # REQUEST_FAILURE
                continue
            if t == MSG_KEXINIT and self.session_id is not None:
                self.kex("curve25519-sha256", server_kexinit=p)
                continue
            return p

    def expect(self, *types):
        p = self.recv()
        if p[0] not in types:
            raise Disconnected(f"expected message {types}, got {p[0]}")
        return p

    # --- key exchange -------------------------------------------------------------------------
    def kexinit(self, kex):
        return (
            bytes([MSG_KEXINIT])
            + os.urandom(16)
            + name_list(kex)
            + name_list(HOST_KEY_ALGS)
            + name_list("aes128-ctr") * 2
            + name_list("hmac-sha2-256") * 2
            + name_list("none") * 2
            + name_list("") * 2
            + b"\x00"
            + u32(0)
        )

    def kex(self, method, gex_bits=8192, trivial_e=False, server_kexinit=None, kexinit=None):
        """One key exchange (the first, or a re-key), ours or answering the server's KEXINIT.
        `kexinit` replaces our KEXINIT payload (e.g. a hostile one). Returns after both NEWKEYS."""
        i_c = kexinit or self.kexinit(method)
        self.send(i_c)
        i_s = server_kexinit or self.server_kexinit
        self.server_kexinit = None
        while i_s is None:
            p = self.recv_raw()
            if p[0] == MSG_KEXINIT:
                i_s = p
            elif p[0] in (MSG_DISCONNECT, MSG_UNIMPLEMENTED):
                self._refused(p)
        prefix = string(self.v_c) + string(self.v_s) + string(i_c) + string(i_s)
        if method == "curve25519-sha256":
            priv = X25519PrivateKey.generate()
            q_c = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            self.send(bytes([MSG_KEX_30]) + string(q_c))
            r = Reader(self._expect_kex(MSG_KEX_31), 1)
            k_s, q_s = r.string(), r.string()
            k = int.from_bytes(priv.exchange(X25519PublicKey.from_public_bytes(q_s)), "big")
            h_in = prefix + string(k_s) + string(q_c) + string(q_s) + mpint(k)
        elif method == "diffie-hellman-group-exchange-sha256":
            lo = n = hi = gex_bits
            self.send(bytes([MSG_KEX_GEX_REQUEST]) + u32(lo) + u32(n) + u32(hi))
            r = Reader(self._expect_kex(MSG_KEX_31), 1)
            p_, g = r.mpint(), r.mpint()
            if trivial_e:
                # e = g: then K = e^y = g^y = f, which the server sends; the client computes
                # nothing, the server two full-size exponentiations.
                x, e = None, g
            else:
                x = int.from_bytes(os.urandom(64), "big") | 1
                e = pow(g, x, p_)
            self.send(bytes([MSG_KEX_32]) + mpint(e))
            r = Reader(self._expect_kex(MSG_KEX_33), 1)
            k_s, f = r.string(), r.mpint()
            k = f if trivial_e else pow(f, x, p_)
            h_in = prefix + string(k_s) + u32(lo) + u32(n) + u32(hi) + mpint(p_) + mpint(g)
            h_in += mpint(e) + mpint(f) + mpint(k)
        else:
            raise ValueError(method)
        h = hashlib.sha256(h_in).digest()
        if self.session_id is None:
            self.session_id = h
        self.send(bytes([MSG_NEWKEYS]))
        k_bytes = mpint(k)

        def derive(letter, size):
            return hashlib.sha256(k_bytes + h + letter + self.session_id).digest()[:size]

        def ctr(key, iv):
            return Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()

        self.out_keys = (ctr(derive(b"C", 16), derive(b"A", 16)), derive(b"E", 32))
        self._expect_kex(MSG_NEWKEYS)
        self.in_keys = (ctr(derive(b"D", 16), derive(b"B", 16)), derive(b"F", 32))
        self.exchanges += 1

    def _expect_kex(self, t):
        while True:
            p = self.recv_raw()
            if p[0] == t:
                return p
            if p[0] in (MSG_DISCONNECT, MSG_UNIMPLEMENTED):
                self._refused(p)
            if p[0] in (MSG_IGNORE, MSG_DEBUG, MSG_EXT_INFO):
                continue
            raise Disconnected(f"expected kex message {t}, got {p[0]}")

    @staticmethod
    def _refused(p):
        """Raises for a DISCONNECT (reason: its code) or an UNIMPLEMENTED answer to a kex
        message (reason: "unimplemented"; sshd answers a KEXINIT before authentication so)."""
        r = Reader(p, 1)
        if p[0] == MSG_UNIMPLEMENTED:
            raise Disconnected(f"UNIMPLEMENTED for our packet {r.u32()}", "unimplemented")
        code = r.u32()
        raise Disconnected(f"DISCONNECT {code}: {r.string().decode(errors='replace')}", code)

    # --- user authentication ------------------------------------------------------------------
    def service(self):
        self.send(bytes([MSG_SERVICE_REQUEST]) + string("ssh-userauth"))
        self.expect(MSG_SERVICE_ACCEPT)

    def _auth_answer(self):
        while True:
            p = self.recv()
            if p[0] == MSG_USERAUTH_BANNER:
                continue
            if p[0] in (MSG_USERAUTH_SUCCESS, MSG_USERAUTH_FAILURE):
                return p[0] == MSG_USERAUTH_SUCCESS
            raise Disconnected(f"unexpected message {p[0]} during authentication")

    def auth_password(self, user, password):
        self.send(
            bytes([MSG_USERAUTH_REQUEST])
            + string(user)
            + string("ssh-connection")
            + string("password")
            + b"\x00"
            + string(password)
        )
        return self._auth_answer()

    def auth_ed25519(self, user, key_path):
        key, blob = ed25519_key(key_path)
        head = (
            bytes([MSG_USERAUTH_REQUEST])
            + string(user)
            + string("ssh-connection")
            + string("publickey")
            + b"\x01"
            + string("ssh-ed25519")
            + string(blob)
        )
        sig = key.sign(string(self.session_id) + head)
        self.send(head + string(string("ssh-ed25519") + string(sig)))
        return self._auth_answer()

    def login(self, user, password=None, key=None):
        """Key exchange (curve25519), then `ssh-userauth` with the key or the password."""
        self.kex("curve25519-sha256")
        self.service()
        ok = self.auth_ed25519(user, key) if key else self.auth_password(user, password)
        if not ok:
            raise Disconnected("authentication refused")

    # --- channels -----------------------------------------------------------------------------
    def open_session(self, our_id, window, max_packet=32768):
        self.send(
            bytes([MSG_CHANNEL_OPEN]) + string("session") + u32(our_id) + u32(window) + u32(max_packet)
        )

    def channel_request(self, server_id, kind, extra=b"", want_reply=True):
        self.send(
            bytes([MSG_CHANNEL_REQUEST])
            + u32(server_id)
            + string(kind)
            + (b"\x01" if want_reply else b"\x00")
            + extra
        )

    def channel_data(self, server_id, data):
        return self.packet(bytes([MSG_CHANNEL_DATA]) + u32(server_id) + string(data))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
