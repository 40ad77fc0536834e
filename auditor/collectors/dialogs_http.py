"""Webmail transport probe: plain HTTP → HTTPS redirect, and HSTS on HTTPS.

Raw bounded HTTP/1.1 over our own socket instead of ``requests``: discovery has
already resolved the host, and we must connect to *that* IP while sending the
host name as ``Host`` and SNI — with the same size and time bounds as the mail
dialogs. Only the status line and headers are read, never a body.
"""

from __future__ import annotations

import socket
import ssl

from auditor.collectors.dialogs_io import Conn, DialogError, clip
from auditor.evidence.dialogs import HttpProbe
from auditor.evidence.outcomes import ErrorKind, Failure

_MAX_HEADERS = 100


def _head(conn: Conn, host: str) -> tuple[int, dict[str, str]]:
    conn.send(
        f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: auditor (privacy compliance scan)\r\n"
        "Accept: text/html\r\nConnection: close\r\n",
        f"GET / HTTP/1.1 (Host: {host})",
    )
    status_line = conn.read_line()
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise DialogError("garbage", f"not an HTTP status line: {clip(status_line, 80)!r}")
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS):
        line = conn.read_line()
        if not line:
            break
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), clip(value.strip(), 500))
    return int(parts[1]), headers


def _failure(exc: BaseException) -> Failure:
    """The kind from what failed (the exception's type or our dialog's outcome), never from its text."""
    if isinstance(exc, DialogError):
        return Failure(ErrorKind(exc.outcome), exc.reason)
    if isinstance(exc, ConnectionRefusedError):
        return Failure(ErrorKind.REFUSED, "connection refused")
    if isinstance(exc, TimeoutError | socket.timeout):
        return Failure(ErrorKind.TIMEOUT, "timeout")
    if isinstance(exc, ssl.SSLError):
        return Failure(ErrorKind.TLS_FAILED, clip(str(exc) or type(exc).__name__))
    return Failure(ErrorKind.ERROR, clip(str(exc) or type(exc).__name__))


def http_dialog(
    host: str, ip: str, https_port: int, step_timeout: float, deadline: float, transcript: list[str]
) -> HttpProbe:
    """GET / on port 80 (redirect?) and on ``https_port`` (HSTS?); both outcomes recorded."""
    http_status = http_location = None
    http_failure: Failure | None = None
    redirects: bool | None = None
    try:
        conn = Conn(ip, 80, step_timeout=step_timeout, deadline=deadline)
        conn.transcript = transcript
        try:
            http_status, headers = _head(conn, host)
        finally:
            conn.close()
        http_location = headers.get("location")
        redirects = http_status in (301, 302, 303, 307, 308) and bool(
            http_location and http_location.lower().startswith("https://")
        )
    except (DialogError, OSError) as exc:
        http_failure = _failure(exc)
    https_status = hsts = None
    https_failure: Failure | None = None
    try:
        conn = Conn(ip, https_port, step_timeout=step_timeout, deadline=deadline)
        conn.transcript = transcript
        try:
            conn.starttls(host)
            https_status, headers = _head(conn, host)
        finally:
            conn.close()
        hsts = headers.get("strict-transport-security")
    except (DialogError, OSError, ssl.SSLError) as exc:
        https_failure = _failure(exc)
    if http_failure and https_failure:
        kind = ErrorKind.REFUSED if https_failure.kind is ErrorKind.REFUSED else ErrorKind.ERROR
        raise DialogError(kind, f"HTTPS: {https_failure}; HTTP: {http_failure}")
    return HttpProbe(
        http_status=http_status,
        http_location=http_location,
        redirects_to_https=redirects,
        http_error=http_failure.message if http_failure else None,
        http_error_kind=http_failure.kind if http_failure else None,
        https_status=https_status,
        hsts=hsts,
        https_error=https_failure.message if https_failure else None,
        https_error_kind=https_failure.kind if https_failure else None,
    )
