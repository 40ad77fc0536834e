"""One polite handshake at a time: sslyze's connection layer plus gate, pace and verdict.

Every TLS connection the collector opens, including those opened inside sslyze's own
scan commands, goes through :class:`CountingServerInfo`, so that the per-IP concurrency
gate, the per-IP pace, the optional connection cap, the deadline, the throttling
detector and the connection count apply to all of them.

Politeness comes from pacing and from stopping at the first sign of throttling (a 4xx
greeting, resets or refusals after the server had served us, or a sudden slow-down of
the plaintext part of the connection), not from a small fixed cap: a fixed cap cuts
short exactly the weak servers an audit exists for.

The central distinction lives in :func:`classify`: a handshake the server *refused* with
a TLS answer (an alert, "no shared cipher", closing the TLS session) means "not accepted";
anything that failed before or around TLS (421 greeting, STARTTLS refused, TCP reset or
refused, timeout) is a connection-level failure and never counts as "not accepted".
"""

from __future__ import annotations

import contextlib
import re
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nassl import _nassl
from nassl.ssl_client import ClientCertificateRequested
from sslyze.connection_helpers.tls_connection import SslConnection
from sslyze.errors import (
    ConnectionToServerFailed,
    ServerRejectedOpportunisticTlsNegotiation,
    ServerRejectedTlsHandshake,
    ServerTlsConfigurationNotSupported,
    TlsHandshakeTimedOut,
)
from sslyze.server_connectivity import ServerConnectivityInfo, TlsVersionEnum

from auditor.collectors.limiter import Gate, Pace
from auditor.collectors.tls.preamble import PreambleError, starttls_preamble
from auditor.deadline import Deadline, Watch
from auditor.evidence.outcomes import ErrorKind, Failure
from auditor.models import Message, msg

# An SMTP/IMAP/POP3 reply that means "not now" rather than "no": 4xx codes, IMAP BYE,
# POP3 -ERR [SYS/TEMP] or [IN-USE] (RFC 3206), or words servers use for rate limits.
# sslyze's SMTP helper drops the reply code, so a refused greeting ("did not send a '220")
# and RFC 3463 enhanced codes (4.x.x) are recognised as well.
_TEMPORARY = re.compile(
    r"(^|\D)4\d\d([ -]|$)|(^|\s)4\.\d{1,3}\.\d{1,3}\b|did not send a '220|\bBYE\b|\[(SYS/TEMP|IN-USE)\]"
    r"|too many|rate limit|try again|greylist",
    re.IGNORECASE,
)

# sslyze turns these OpenSSL/TLS errors into ServerRejectedTlsHandshake; this one of its
# messages stands for a plain TCP reset during the handshake and stays ambiguous.
_RESET_MESSAGE = "Server rejected the connection"


# Sudden slow-down: after this many fast samples, a set-up time above both this multiple
# of their median and the median plus SLOWDOWN_MIN_EXTRA_S, twice in a row, is read as a
# tarpit or rate limit switching on (one slow connection may be a scheduling hiccup).
SLOWDOWN_BASELINE = 5
SLOWDOWN_FACTOR = 8.0
SLOWDOWN_MIN_EXTRA_S = 3.0
SLOWDOWN_STRIKES = 2


class StopProbing(Exception):
    """Raised instead of connecting when the cap, the deadline or a throttle says stop."""


@dataclass
class ScanState:
    """Mutable bookkeeping of one (endpoint, IP) scan, shared by its worker threads.

    ``budget`` is an optional hard cap on connections (None: no cap; the enumeration is
    bounded by itself, by the deadline and by the throttling detector).
    """

    budget: int | None
    deadline: float
    gate: Gate
    pacer: Pace | None = None
    connections: int = 0
    successes: int = 0
    throttled_after: int | None = None
    fatal: str | None = None
    #: the connection failure behind ``fatal`` (which embeds it in English for ``Failure``)
    fatal_reason: str | None = None
    errors: list[str | Message] = field(default_factory=list)
    setup_times: list[float] = field(default_factory=list)
    slow_strikes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> Failure | None:
        """Why no further connection may be opened, by kind, or None while probing may go on."""
        if self.throttled_after is not None:
            return Failure(ErrorKind.THROTTLED, f"throttled after {self.throttled_after} connections")
        if self.fatal is not None:
            return Failure(ErrorKind.ERROR, self.fatal)
        if self.budget is not None and self.connections >= self.budget:
            return Failure(ErrorKind.BUDGET, f"connection budget of {self.budget} exhausted")
        if time.monotonic() >= self.deadline:
            return Failure(ErrorKind.DEADLINE, "deadline reached")
        return None

    def stop_reason(self) -> str | None:
        stop = self.stop()
        return stop.message if stop is not None else None

    def reserve(self) -> None:
        """Take one connection from the budget or raise :class:`StopProbing`."""
        with self.lock:
            reason = self.stop_reason()
            if reason is not None:
                raise StopProbing(reason)
            self.connections += 1

    def unreserve(self) -> None:
        """Give back a reserved connection that was never opened."""
        with self.lock:
            self.connections -= 1

    def connection_failed(self, reason: str, temporary_reply: bool) -> None:
        """Record a non-TLS failure: throttling if we were served before, else unreachable."""
        with self.lock:
            self.errors.append(reason)
            if self.throttled_after is not None or self.fatal is not None:
                return
            if self.successes > 0 or temporary_reply:
                self.throttled_after = self.connections - 1
            else:
                self.fatal = f"no TLS session could be opened: {reason}"
                self.fatal_reason = reason

    def succeeded(self) -> None:
        with self.lock:
            self.successes += 1

    def setup_took(self, seconds: float) -> None:
        """Record how long TCP connect plus the STARTTLS dialogue took; detect a slow-down."""
        with self.lock:
            if len(self.setup_times) < SLOWDOWN_BASELINE:
                self.setup_times.append(seconds)
                return
            median = statistics.median(self.setup_times)
            if seconds > max(median * SLOWDOWN_FACTOR, median + SLOWDOWN_MIN_EXTRA_S):
                self.slow_strikes += 1
            else:
                self.slow_strikes = 0
            if self.slow_strikes >= SLOWDOWN_STRIKES and self.throttled_after is None and self.fatal is None:
                self.throttled_after = self.connections
                self.errors.append(msg("tls.scan.slow-down", seconds=f"{seconds:.1f}", usual=f"{median:.2f}"))


@dataclass(frozen=True)
class CountingServerInfo(ServerConnectivityInfo):
    """sslyze's connectivity info whose connections pass through our gate and counter."""

    state: ScanState | None = None

    def get_preconfigured_tls_connection(
        self,
        override_tls_version: TlsVersionEnum | None = None,
        ca_certificates_path: Path | None = None,
        should_use_legacy_openssl: bool | None = None,
        should_enable_server_name_indication: bool = True,
    ) -> SslConnection:
        connection = super().get_preconfigured_tls_connection(
            override_tls_version=override_tls_version,
            ca_certificates_path=ca_certificates_path,
            should_use_legacy_openssl=should_use_legacy_openssl,
            should_enable_server_name_indication=should_enable_server_name_indication,
        )
        if self.state is not None:
            _instrument(connection, self.state)
        return connection


def _instrument(connection: SslConnection, state: ScanState) -> None:
    """Wrap connect/close so the IP gate is held from connect to close, and counted,
    and the socket stays under the deadline's guard until it is closed."""
    original_connect = connection.connect
    original_close = connection.close
    held = threading.Event()
    watches: list[Watch] = []

    def connect(should_retry_connection: bool = True) -> None:
        state.reserve()
        remaining = state.deadline - time.monotonic()
        if not state.gate.acquire(timeout=max(remaining, 0.0)):
            state.unreserve()
            raise StopProbing("deadline reached while waiting for a connection slot")
        held.set()
        if state.pacer is not None and not state.pacer.wait(state.deadline):
            raise StopProbing("deadline reached while pacing connections")
        original_connect(should_retry_connection=False)

    def close() -> None:
        # Closing a half-open socket may fail; there is nothing to learn from it.
        try:
            with contextlib.suppress(Exception):
                original_close()
        finally:
            while watches:
                watches.pop().cancel()
            if held.is_set():
                held.clear()
                state.gate.release()

    connection.connect = connect  # type: ignore[method-assign]
    connection.close = close  # type: ignore[method-assign]
    connection._do_pre_handshake = _bounded_pre_handshake(connection, state, watches)  # type: ignore[method-assign]


def _bounded_pre_handshake(connection: SslConnection, state: ScanState, watches: list[Watch]) -> Any:
    """sslyze's socket set-up with our deadline and our bounded STARTTLS dialogue.

    sslyze waits ``network_timeout`` per read without an overall bound and reads SMTP
    replies without a size limit; a dripping or flooding server could hold the scan far
    past ``--timeout`` (see :mod:`auditor.collectors.tls.preamble`). The socket goes
    under the deadline's guard as soon as it is connected, so a handshake dripped byte
    by byte (each byte restarting the read timeout) also ends at the deadline.
    """
    location = connection._server_location
    config = connection._network_configuration

    def pre_handshake() -> None:
        started = time.monotonic()
        remaining = state.deadline - started
        if remaining <= 0:
            raise StopProbing("deadline reached")
        step = max(0.5, min(float(config.network_timeout), remaining))
        assert location.ip_address is not None  # always set by our targets
        sock = socket.create_connection((location.ip_address, location.port), timeout=step)
        watches.append(Deadline(state.deadline).watch(sock))
        protocol = config.tls_opportunistic_encryption
        if protocol is not None:
            try:
                starttls_preamble(
                    sock,
                    protocol,
                    ehlo_hostname=config.smtp_ehlo_hostname or "auditor.invalid",
                    step_timeout=step,
                    deadline=state.deadline,
                )
            except PreambleError as exc:
                sock.close()
                raise ServerRejectedOpportunisticTlsNegotiation(
                    server_location=location, network_configuration=config, error_message=exc.reason
                ) from None
        state.setup_took(time.monotonic() - started)
        # The TLS handshake's reads also end at the deadline.
        sock.settimeout(max(0.5, min(float(config.network_timeout), state.deadline - time.monotonic())))
        connection.ssl_client.set_underlying_socket(sock)

    return pre_handshake


@dataclass(frozen=True)
class Verdict:
    """Outcome of one attempt: ``ok``, ``refused`` (TLS-level no) or ``failed`` (not TLS)."""

    kind: str
    reason: str = ""
    temporary_reply: bool = False


def classify(exc: BaseException) -> Verdict:
    """Sort an exception from a connection attempt into TLS refusal vs. connection failure."""
    if isinstance(exc, StopProbing):
        return Verdict("stopped", str(exc))
    if isinstance(exc, ClientCertificateRequested):
        return Verdict("ok", "server requested a client certificate")
    if isinstance(exc, ServerTlsConfigurationNotSupported):
        # Our OpenSSL refused the server's parameters (e.g. a tiny DH group): the server
        # did answer with a suite, so this is not a refusal by the server.
        return Verdict("ok", exc.error_message)
    if isinstance(exc, TlsHandshakeTimedOut):
        return Verdict("failed", f"timeout during the TLS handshake: {exc.error_message}")
    if isinstance(exc, ServerRejectedTlsHandshake):
        if exc.error_message == _RESET_MESSAGE:
            return Verdict("failed", "connection reset during the TLS handshake")
        return Verdict("refused", exc.error_message)
    if isinstance(exc, ServerRejectedOpportunisticTlsNegotiation):
        message = exc.error_message
        return Verdict("failed", f"STARTTLS dialogue failed: {message}", bool(_TEMPORARY.search(message)))
    if isinstance(exc, ConnectionToServerFailed):
        return Verdict("failed", exc.error_message or type(exc).__name__)
    if isinstance(exc, _nassl.OpenSSLError):
        # TLS-layer error not in sslyze's table (e.g. an alert it does not list): the
        # server spoke TLS and said no.
        return Verdict("refused", f"TLS error: {exc}")
    if isinstance(exc, ConnectionError | TimeoutError):
        return Verdict("failed", f"{type(exc).__name__}: {exc}")
    if isinstance(exc, OSError):
        return Verdict("failed", f"network error: {exc}")
    return Verdict("failed", f"{type(exc).__name__}: {exc}")


def run_attempt(state: ScanState, connection: SslConnection) -> tuple[Verdict, Any]:
    """Connect and hand back the verdict; records throttling and successes in ``state``.

    The caller still owns ``connection`` and must close it (closing releases the gate).
    """
    try:
        connection.connect()
    except Exception as exc:  # errors are values here
        if time.monotonic() >= state.deadline:  # cut off by the deadline guard: not the server's answer
            return Verdict("stopped", "deadline reached during the handshake"), exc
        verdict = classify(exc)
        if verdict.kind == "failed":
            state.connection_failed(verdict.reason, verdict.temporary_reply)
        elif verdict.kind != "stopped":
            state.succeeded()  # the server talked TLS with us, refusal or not
        return verdict, exc
    state.succeeded()
    return Verdict("ok"), None
