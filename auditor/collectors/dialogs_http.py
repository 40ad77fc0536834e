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


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DialogError):
        return exc.reason
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    return clip(str(exc) or type(exc).__name__)


def http_dialog(
    host: str, ip: str, https_port: int, step_timeout: float, deadline: float, transcript: list[str]
) -> HttpProbe:
    """GET / on port 80 (redirect?) and on ``https_port`` (HSTS?); both outcomes recorded."""
    http_status = http_location = http_error = None
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
        http_error = _reason(exc)
    https_status = hsts = https_error = None
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
        https_error = _reason(exc)
    if http_error and https_error:
        raise DialogError(
            "refused" if "refused" in https_error else "error",
            f"HTTPS: {https_error}; HTTP: {http_error}",
        )
    return HttpProbe(
        http_status=http_status,
        http_location=http_location,
        redirects_to_https=redirects,
        http_error=http_error,
        https_status=https_status,
        hsts=hsts,
        https_error=https_error,
    )
