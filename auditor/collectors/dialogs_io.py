"""Bounded line I/O and TLS upgrade for the protocol dialogs.

Why not ``smtplib``/``imaplib``/``poplib``: they read lines without a bound on the
number of lines or the total size, apply one socket timeout per ``recv`` (a server
dripping one byte per second never times out) and have no overall deadline. A
scanner talking to untrusted servers needs all three bounds, so every read here is
limited to ``MAX_LINE`` bytes per line, ``MAX_TOTAL`` bytes per connection, a
per-step deadline and the dialog's overall deadline.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time

from auditor.deadline import Deadline
from auditor.evidence.dialogs import TlsSession

MAX_LINE = 4096
MAX_TOTAL = 64 * 1024
_SHOWN = 200  # characters of one transcript line kept in evidence
_MAX_TRANSCRIPT = 60


class DialogError(Exception):
    """Ends a dialog: ``outcome`` is one of the ``OUTCOME_*`` values, ``reason`` says why."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def clip(text: str, limit: int = _SHOWN) -> str:
    """Printable, bounded form of untrusted server text."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class Conn:
    """One TCP (later TLS) connection with bounded, deadline-aware line reads."""

    def __init__(
        self,
        ip: str,
        port: int,
        *,
        step_timeout: float,
        deadline: float,
        sock: socket.socket | None = None,
    ) -> None:
        """Connect to ``ip:port``, or take over an already connected ``sock`` (whose
        owner keeps it under the deadline).

        A connection we open is put under the deadline's guard: a peer dripping its TLS
        handshake byte by byte is cut off when ``deadline`` passes (every read's own
        timeout restarts with each byte).
        """
        self.step_timeout = step_timeout
        self.deadline = deadline
        self.transcript: list[str] = []
        self._buf = bytearray()
        self._total = 0
        self.sock: socket.socket | ssl.SSLSocket = sock or socket.create_connection(
            (ip, port), timeout=self._remaining(step_timeout)
        )
        self._watch = Deadline(deadline).watch(self.sock) if sock is None else None

    @property
    def pending(self) -> bool:
        """Bytes received but not read yet (must be none before a TLS handshake)."""
        return bool(self._buf)

    def _remaining(self, step: float) -> float:
        left = min(step, self.deadline - time.monotonic())
        if left <= 0:
            raise DialogError("timeout", "overall deadline reached")
        return left

    def note(self, line: str) -> None:
        if len(self.transcript) < _MAX_TRANSCRIPT:
            self.transcript.append(clip(line))

    def send(self, data: str, shown: str | None = None) -> None:
        self.note("C: " + (shown if shown is not None else data))
        self.sock.settimeout(self._remaining(self.step_timeout))
        self.sock.sendall(data.encode("ascii", "replace") + b"\r\n")

    def read_line(self) -> str:
        """One line without its CRLF; raises DialogError on bounds, EOF or timeout."""
        step_end = time.monotonic() + self.step_timeout
        while True:
            newline = self._buf.find(b"\n")
            if newline >= 0:
                raw = bytes(self._buf[:newline])
                del self._buf[: newline + 1]
                line = raw.rstrip(b"\r").decode("utf-8", "replace")
                self.note("S: " + line)
                return line
            if len(self._buf) > MAX_LINE:
                raise DialogError("garbage", f"line longer than {MAX_LINE} bytes")
            self.sock.settimeout(self._remaining(step_end - time.monotonic()))
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                raise DialogError("timeout", f"no complete line within {self.step_timeout:g} s") from None
            if not chunk:
                self._check_deadline()
                if self._buf:
                    self.note("S: " + bytes(self._buf[:MAX_LINE]).decode("utf-8", "replace"))
                raise DialogError("closed", "connection closed by the server")
            self._total += len(chunk)
            if self._total > MAX_TOTAL:
                raise DialogError("garbage", f"more than {MAX_TOTAL} bytes received")
            self._buf.extend(chunk)

    def starttls(self, server_name: str) -> TlsSession:
        """Upgrade to TLS (or wrap for implicit TLS) without enforcing the certificate."""
        if self._buf:
            # Bytes sent before the handshake would be injected into the TLS session
            # (CVE-2011-0411 style); a correct server never does that.
            raise DialogError("garbage", "server sent data before the TLS handshake")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # recorded below, graded by the TLS collector
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        self.sock.settimeout(self._remaining(self.step_timeout))
        try:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=server_name)
        except TimeoutError:
            raise DialogError("timeout", "TLS handshake timed out") from None
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError):
            self._check_deadline()
            raise DialogError("closed", "connection closed during the TLS handshake") from None
        except ssl.SSLError as exc:
            self._check_deadline()
            if exc.reason == "WRONG_VERSION_NUMBER":
                # OpenSSL's reason code for a first record that is not TLS at all: the peer
                # speaks plaintext here (decided on the library's code, never on message text).
                raise DialogError("plaintext", f"the server answered in plaintext: {clip(str(exc))}") from None
            raise DialogError("tls-failed", f"TLS handshake failed: {clip(str(exc))}") from None
        except OSError as exc:
            self._check_deadline()
            raise DialogError("closed", f"connection lost during the TLS handshake: {exc}") from None
        self._total = 0
        session = tls_facts(self.sock)
        self.note(f"-- TLS {session.version} {session.cipher}")
        return session

    def _check_deadline(self) -> None:
        """A connection that ends at the deadline was cut by the guard, not by the server."""
        if time.monotonic() >= self.deadline:
            raise DialogError("timeout", "overall deadline reached")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        if self._watch is not None:
            self._watch.cancel()


def tls_facts(sock: ssl.SSLSocket) -> TlsSession:
    """Version and cipher of an established TLS socket. The certificate is the TLS
    collector's to record and grade (one handshake there serves every observation)."""
    cipher = sock.cipher()
    return TlsSession(version=sock.version() or "unknown", cipher=cipher[0] if cipher else "unknown")
