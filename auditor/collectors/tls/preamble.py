"""The plaintext part of a STARTTLS connection, bounded in time and size.

sslyze's own helpers read the SMTP greeting and EHLO with smtplib (no overall deadline,
no limit on the number of reply lines) and IMAP/POP3 with single unbounded waits, so a
server that drips one byte a second or answers EHLO with megabytes could hold a scan far
past its time budget. The TLS collector therefore does this part itself, with the same
bounded line reader as the protocol dialogs, and hands the connected socket to sslyze
for the TLS handshake.
"""

from __future__ import annotations

import socket

from sslyze.connection_helpers.opportunistic_tls_helpers import ProtocolWithOpportunisticTlsEnum

from auditor.collectors.dialogs_io import Conn, DialogError
from auditor.collectors.dialogs_proto import imap_tagged, pop_status, smtp_caps, smtp_reply


class PreambleError(Exception):
    """The server did not lead us to a TLS handshake; ``reason`` says what it did instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def starttls_preamble(
    sock: socket.socket,
    protocol: ProtocolWithOpportunisticTlsEnum,
    *,
    ehlo_hostname: str,
    step_timeout: float,
    deadline: float,
) -> None:
    """Speak the protocol up to the point where the TLS handshake starts, or raise."""
    conn = Conn("", 0, step_timeout=step_timeout, deadline=deadline, sock=sock)
    try:
        if protocol == ProtocolWithOpportunisticTlsEnum.SMTP:
            _smtp(conn, ehlo_hostname)
        elif protocol == ProtocolWithOpportunisticTlsEnum.IMAP:
            _imap(conn)
        elif protocol == ProtocolWithOpportunisticTlsEnum.POP3:
            _pop3(conn)
        else:
            raise PreambleError(f"no bounded STARTTLS preamble for {protocol.name}")
    except DialogError as exc:
        # 421 and friends keep their text: the throttling detector looks for them.
        raise PreambleError(exc.reason) from None
    except OSError as exc:
        raise PreambleError(f"connection lost during the STARTTLS dialogue: {exc}") from None
    if conn.pending:
        raise PreambleError("server sent data before the TLS handshake")


def _smtp(conn: Conn, ehlo_hostname: str) -> None:
    code, lines = smtp_reply(conn)
    if code != 220:
        raise PreambleError(f"{code} {' '.join(lines)[:160]}")
    conn.send(f"EHLO {ehlo_hostname}")
    code, lines = smtp_reply(conn)
    if code != 250:
        raise PreambleError(f"EHLO rejected: {code} {' '.join(lines)[:160]}")
    if not any(cap.split()[0] == "STARTTLS" for cap in smtp_caps(lines) if cap.split()):
        raise PreambleError("server does not offer STARTTLS")
    conn.send("STARTTLS")
    code, lines = smtp_reply(conn)
    if code != 220:
        raise PreambleError(f"STARTTLS rejected: {code} {' '.join(lines)[:160]}")


def _imap(conn: Conn) -> None:
    greeting = conn.read_line()
    if not greeting.upper().startswith("* OK"):
        raise PreambleError(f"unexpected IMAP greeting: {greeting[:160]}")
    conn.send("a1 STARTTLS")
    completion, _ = imap_tagged(conn, "a1")
    if not completion.upper().startswith("OK"):
        raise PreambleError(f"STARTTLS rejected: {completion[:160]}")


def _pop3(conn: Conn) -> None:
    ok, line = pop_status(conn)
    if not ok:
        raise PreambleError(f"unexpected POP3 greeting: {line[:160]}")
    conn.send("STLS")
    ok, line = pop_status(conn)
    if not ok:
        raise PreambleError(f"STLS rejected: {line[:160]}")
