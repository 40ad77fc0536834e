"""Why an attempt did not give an answer, as a kind from a fixed list beside the human message.

A check decides from the kind, never from the message: messages carry text a server or a
file sent (an HTTP status line reading "access refused" is the server's text, not a refused
connection), and they change with wording. The values are the spellings the evidence bundle
has always used for dialog outcomes, so saved bundles keep reading the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    """What stopped an attempt (a connection, a dialog, a scan, a lookup, a file read)."""

    REFUSED = "refused"  # TCP connection refused: nothing listens there
    TIMEOUT = "timeout"  # a step or the overall deadline expired while waiting for the peer
    THROTTLED = "throttled"  # the peer limits us (421, resets, greylisting, "too many connections")
    BUDGET = "budget"  # our own per-IP connection budget was used up
    DEADLINE = "deadline"  # the run's time budget ended before or during the attempt
    REJECTED = "rejected"  # the peer refused to serve us (554 banner, IMAP BYE, POP3 -ERR)
    GARBAGE = "garbage"  # not the protocol, or over our size bounds
    CLOSED = "closed"  # the peer closed the connection mid-dialog
    TLS_FAILED = "tls-failed"  # the TLS handshake failed
    PLAINTEXT = "plaintext"  # the peer answered in plaintext where a TLS handshake was expected
    DNS = "dns"  # the name did not resolve
    NOT_FOUND = "not-found"  # a file or record that was named is not there
    UNREADABLE = "unreadable"  # a file exists but could not be read or parsed
    SKIPPED = "skipped"  # not attempted (the deadline came first, or nothing to do)
    ERROR = "error"  # anything else, with the message saying what


@dataclass(frozen=True, slots=True)
class Failure:
    """One attempt that gave no answer: its kind (for checks) and message (for people)."""

    kind: ErrorKind
    message: str

    def __str__(self) -> str:
        return self.message
