"""The mail ports every lab mail host serves (tests/lab/components/30-mail.sh), shared by
the lab tests of our TLS collector and the testssl.sh agreement test."""

from __future__ import annotations

#: (port, protocol name, how TLS starts)
MAIL_PORTS: tuple[tuple[int, str, str], ...] = (
    (25, "smtp", "starttls"),
    (587, "submission", "starttls"),
    (465, "submissions", "implicit"),
    (143, "imap", "starttls"),
    (993, "imaps", "implicit"),
    (110, "pop3", "starttls"),
    (995, "pop3s", "implicit"),
)
