"""Hostile mail servers for the end-to-end hardening tests: threaded TCP servers on 127.x.

Each behaviour is a function of the accepted connection. Every connection has a bounded
lifetime (``CONN_LIFETIME_S``) and every send loop is bounded in bytes, so a server can
never keep a test alive: the context manager closes the listener, then every open
connection, and joins the threads with a timeout.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Behaviour = Callable[[socket.socket], None]

CONN_LIFETIME_S = 90.0
BANNER = b"220 mx.hostile.test ESMTP\r\n"
# A TLS 1.2 record: alert, fatal (2), handshake_failure (40).
TLS_ALERT = b"\x15\x03\x03\x00\x02\x02\x28"


class _Stop(Exception):
    pass


class Session:
    """A connection with a deadline: every blocking call gives up at the lifetime's end."""

    def __init__(self, conn: socket.socket, lifetime: float = CONN_LIFETIME_S) -> None:
        self.conn = conn
        self.end = time.monotonic() + lifetime

    def _left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise _Stop
        return left

    def send(self, data: bytes) -> None:
        self.conn.settimeout(self._left())
        self.conn.sendall(data)

    def readline(self, limit: int = 8192) -> bytes:
        """One line (without CRLF); raises _Stop on EOF, timeout or a line over ``limit``."""
        line = bytearray()
        while not line.endswith(b"\n"):
            self.conn.settimeout(self._left())
            byte = self.conn.recv(1)
            if not byte or len(line) > limit:
                raise _Stop
            line += byte
        return bytes(line).strip()

    def wait_closed(self) -> None:
        """Read and discard until the client goes away or the lifetime ends."""
        while True:
            self.conn.settimeout(self._left())
            if not self.conn.recv(4096):
                return


class HostileServer:
    def __init__(self, address: str, port: int, behaviour: Behaviour) -> None:
        self.address, self.port, self.behaviour = address, port, behaviour
        self.listener = socket.create_server((address, port), reuse_port=False)
        self.listener.settimeout(0.2)
        self.connections: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        self.accepted = 0
        self._stop = threading.Event()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            self.connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.behaviour(conn)
        except (_Stop, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._acceptor.join(timeout=5)
        self.listener.close()
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        for thread in self.threads:
            thread.join(timeout=5)


@contextmanager
def hostile_server(address: str, port: int, behaviour: Behaviour) -> Iterator[HostileServer]:
    server = HostileServer(address, port, behaviour)
    try:
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------- behaviours


def garbage_banner(conn: socket.socket) -> None:
    """Binary noise (with NULs, no CRLF structure) where the 220 banner belongs."""
    s = Session(conn)
    s.send(os.urandom(3000).replace(b"\n", b"\x00") + b"\r\n" + os.urandom(2000))
    s.wait_closed()


def endless_banner(conn: socket.socket, cap: int = 64 * 1024 * 1024) -> None:
    """A banner line that never ends: ``220 AAAA…`` up to ``cap`` bytes, no newline."""
    s = Session(conn)
    s.send(b"220 ")
    chunk = b"A" * 65536
    for _ in range(cap // len(chunk)):
        s.send(chunk)


def slow_drip(conn: socket.socket) -> None:
    """A tarpit: a banner at one byte per second that never ends (bounded by the lifetime)."""
    s = Session(conn, lifetime=75)
    for byte in b"220 mx.hostile.test ESMTP tarpit" + b"." * 200:
        s.send(bytes([byte]))
        time.sleep(1.0)


def _ehlo_loop(s: Session, on_starttls: Callable[[Session], None], ehlo_reply: bytes | None = None) -> None:
    s.send(BANNER)
    for _ in range(50):
        line = s.readline().upper()
        if line.startswith((b"EHLO", b"HELO")):
            s.send(ehlo_reply or b"250-mx.hostile.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
        elif line == b"STARTTLS":
            s.send(b"220 2.0.0 Ready to start TLS\r\n")
            on_starttls(s)
            return
        elif line == b"QUIT":
            s.send(b"221 2.0.0 Bye\r\n")
            return
        else:
            s.send(b"250 2.0.0 Ok\r\n")


def close_after_starttls(conn: socket.socket) -> None:
    """A proper ESMTP dialog until STARTTLS is accepted, then the connection drops."""
    _ehlo_loop(Session(conn), lambda s: None)


def drip_tls_handshake(conn: socket.socket) -> None:
    """Accepts STARTTLS, then answers the ClientHello one byte every 2 s: a ServerHello
    record that never ends (every byte restarts a per-read timeout)."""

    def drip(s: Session) -> None:
        s.conn.settimeout(10)
        try:
            s.conn.recv(16384)  # the ClientHello
        except OSError:
            return
        record = b"\x16\x03\x03\x40\x00\x02\x00\x3f\xfc\x03\x03" + b"\x00" * 200
        for byte in record:
            s.send(bytes([byte]))
            time.sleep(2.0)

    _ehlo_loop(Session(conn, lifetime=120), drip)


def tls_alert(conn: socket.socket) -> None:
    """Accepts STARTTLS, then answers the ClientHello with a fatal handshake_failure alert."""

    def alert(s: Session) -> None:
        s.conn.settimeout(10)
        try:
            s.conn.recv(16384)  # the ClientHello
        except OSError:
            return
        s.send(TLS_ALERT)

    _ehlo_loop(Session(conn), alert)


def implicit_tls_alert(conn: socket.socket) -> None:
    """An implicit-TLS port that answers every ClientHello with an alert."""
    conn.settimeout(10)
    if conn.recv(16384):
        conn.sendall(TLS_ALERT)


def huge_ehlo(conn: socket.socket, size: int = 10 * 1024 * 1024) -> None:
    """A 10 MB EHLO answer: continuation lines that never reach the final ``250 `` line."""
    s = Session(conn)
    s.send(BANNER)
    line = s.readline()
    if not line.upper().startswith((b"EHLO", b"HELO")):
        return
    row = b"250-X" + b"X" * 1000 + b"\r\n"
    for _ in range(size // len(row)):
        s.send(row)
    s.send(b"250 OK\r\n")
    s.wait_closed()


def http_server(conn: socket.socket) -> None:
    """An HTTP server on a mail port: silent until a request, then a 400 page and close."""
    s = Session(conn, lifetime=20)
    try:
        s.conn.settimeout(20)
        s.conn.recv(4096)
    except OSError:
        pass
    body = b"<html><head><title>400 Bad Request</title></head><body><h1>400 Bad Request</h1></body></html>\r\n"
    s.send(
        b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )


def scripted_smtp(banner: bytes, ehlo_lines: list[bytes], tls: ssl.SSLContext | None) -> Behaviour:
    """A well-formed ESMTP server whose banner and EHLO lines the test chooses (injection payloads)."""

    def behave(conn: socket.socket) -> None:
        s = Session(conn)
        s.send(banner + b"\r\n")
        secure = False
        for _ in range(100):
            line = s.readline().upper()
            if line.startswith((b"EHLO", b"HELO")):
                caps = list(ehlo_lines) + ([] if secure or tls is None else [b"STARTTLS"])
                rows = [b"250-mx.hostile.test"] + [b"250-" + c for c in caps] + [b"250 8BITMIME"]
                s.send(b"\r\n".join(rows) + b"\r\n")
            elif line == b"STARTTLS" and tls is not None and not secure:
                s.send(b"220 2.0.0 Ready to start TLS\r\n")
                s.conn.settimeout(15)
                s.conn = tls.wrap_socket(s.conn, server_side=True)
                secure = True
            elif line == b"QUIT":
                s.send(b"221 2.0.0 Bye\r\n")
                return
            elif line.startswith(b"AUTH"):
                s.send(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
            elif line.startswith(b"MAIL FROM"):
                s.send(b"530 5.7.0 Must issue a STARTTLS command first\r\n" if not secure else b"250 2.1.0 Ok\r\n")
            else:
                s.send(b"250 2.0.0 Ok\r\n")

    return behave


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


# ---------------------------------------------------------------- running the CLI

AUDITOR = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "auditor")


class Run:
    def __init__(self, code: int | None, stdout: str, stderr: str, wall: float, peak_mib: float) -> None:
        self.code, self.stdout, self.stderr, self.wall, self.peak_mib = code, stdout, stderr, wall, peak_mib


# A small launcher runs auditor and reports the peak RSS of what it reaped. The peak of the
# launcher itself would not do: a child forked from pytest carries pytest's resident size as
# its high-water mark into the exec, and RUSAGE_CHILDREN of pytest is the largest child of
# the whole session. The launcher's own mm is small, so its children's peak is auditor's
# (and of the database reader it spawns).
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(f'{code} {peak}')\n"
)


def run_auditor(args: list[str], *, timeout: float, env: dict[str, str] | None = None) -> Run:
    """Run ``auditor ARGS`` in a subprocess; wall time and peak RSS of it and its descendants.

    A run that outlives ``timeout`` is killed and returned with ``code=None``: the caller
    fails with its own message instead of hanging.
    """
    import signal
    import subprocess
    import sys
    import tempfile

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        result = Path(scratch) / "result"
        out_path, err_path = Path(scratch) / "out", Path(scratch) / "err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(result), AUDITOR, *args],
                stdout=out,
                stderr=err,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        wall = time.monotonic() - started
        code: int | None = None
        peak_kib = 0
        if result.exists():
            code_text, peak_text = result.read_text().split()
            code, peak_kib = int(code_text), int(peak_text)
        stdout = out_path.read_bytes().decode("utf-8", "replace")
        stderr = err_path.read_bytes().decode("utf-8", "replace")
        return Run(code, stdout, stderr, wall, peak_kib / 1024)
