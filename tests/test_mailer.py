"""Mail delivery of the report through the lab's real Postfix submission port.

STARTTLS with a verified certificate and AUTH, then the message is read back from the
Maildir Dovecot/Postfix delivered it to: HTML part and JSON attachment present.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.mailer import MailError, MailSettings, send_report
from auditor.metadata import packaged_metadata
from auditor.registry import load_checks
from auditor.report import build_report
from auditor.runner import evaluate
from tests.checks.evidence_factory import evidence

USER = "alice@good.lab.test"


def _maildir(lab) -> Path:  # type: ignore[no-untyped-def]
    return Path(lab.root) / "run" / "mail" / "maildir" / "good.lab.test" / "alice"


def _wait_for(maildir: Path, marker: str, timeout: float = 30) -> email.message.EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in ("new", "cur"):
            for path in sorted((maildir / folder).glob("*")) if (maildir / folder).is_dir() else []:
                raw = path.read_bytes()
                if marker.encode() in raw:
                    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]
        time.sleep(0.3)
    pytest.fail(f"no message with {marker} arrived in {maildir}")


def _settings(lab, **changes: object) -> MailSettings:  # type: ignore[no-untyped-def]
    password_file = Path(lab.root) / "run" / "mail" / "alice.password"
    base = dict(
        server="mail.good.lab.test",
        port=587,
        sender=USER,
        recipients=(USER,),
        username=USER,
        password_file=password_file,
        ca_file=str(lab.ca_file),
        address="127.0.25.1",
        timeout=15.0,
    )
    base.update(changes)
    return MailSettings(**base)  # type: ignore[arg-type]


def test_report_is_delivered_over_starttls_with_auth(lab) -> None:  # type: ignore[no-untyped-def]
    ev = evidence()
    report = build_report(ev, evaluate(load_checks(packaged_metadata()), ev), profile="bsi-tr-02102-2", lang="en")
    send_report(report, _settings(lab))
    message = _wait_for(_maildir(lab), report.run_id)
    assert message["Subject"].startswith(f"[auditor] example.org: {report.summary.verdict}")
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "Mail service privacy audit" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/json"
    assert json.loads(attachment.get_content())["run_id"] == report.run_id
    # Postfix recorded the TLS session in the Received header.
    assert "ESMTPSA" in str(message["Received"]) or "TLS" in str(message["Received"])


def test_untrusted_server_certificate_stops_delivery(lab) -> None:  # type: ignore[no-untyped-def]
    ev = evidence()
    report = build_report(ev, evaluate(load_checks(packaged_metadata()), ev), profile="p", lang="en")
    with pytest.raises(MailError, match="not trusted"):
        send_report(report, _settings(lab, ca_file=None))


def test_no_plaintext_fallback_when_starttls_is_missing(tmp_path: Path) -> None:
    """A server that does not offer STARTTLS gets neither the password nor the report."""
    received: list[bytes] = []
    server = socket.create_server(("127.0.54.2", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"220 plain.example ESMTP\r\n")
            for line in conn.makefile("rb"):
                received.append(line)
                if line.upper().startswith(b"EHLO"):
                    conn.sendall(b"250-plain.example\r\n250 AUTH PLAIN LOGIN\r\n")
                elif line.upper().startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ev = evidence()
    report = build_report(ev, evaluate(load_checks(packaged_metadata()), ev), profile="p", lang="en")
    settings = MailSettings(
        server="127.0.54.2",
        port=port,
        sender=USER,
        recipients=(USER,),
        username=USER,
        password_env="AUDITOR_TEST_PW",
        timeout=5.0,
    )
    os.environ["AUDITOR_TEST_PW"] = "S3cr3t-mail-pw"
    try:
        with pytest.raises(MailError, match="does not offer STARTTLS"):
            send_report(report, settings)
    finally:
        del os.environ["AUDITOR_TEST_PW"]
    thread.join(timeout=5)
    server.close()
    sent = b"".join(received)
    assert b"AUTH" not in sent and b"MAIL FROM" not in sent and b"S3cr3t" not in sent


def test_scan_mails_report_via_cli_with_state_and_change_in_subject(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    password_file = Path(lab.root) / "run" / "mail" / "alice.password"
    argv = [
        "scan",
        "good.lab.test",
        "--resolver",
        lab.resolver,
        "--ca-file",
        str(lab.ca_file),
        "--only",
        "mta-sts.*",
        "--state-dir",
        str(tmp_path / "state"),
        "-q",
        "--mail-to",
        USER,
        "--mail-from",
        USER,
        "--smtp-server",
        "mail.good.lab.test:587",
        "--smtp-user",
        USER,
        "--smtp-password-file",
        str(password_file),
        "--smtp-ca-file",
        str(lab.ca_file),
        "-o",
        str(tmp_path / "r.json"),
    ]
    for _ in range(2):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 0
    run_id = json.loads((tmp_path / "r.json").read_text())["run_id"]
    message = _wait_for(_maildir(lab), run_id)
    assert "good.lab.test: pass" in message["Subject"] and "no change since last run" in message["Subject"]


def test_dripping_relay_cannot_hold_the_delivery() -> None:
    """A relay sending its greeting a byte a second restarts every read timeout; the
    delivery still ends after DELIVERY_STEPS timeouts (here 4 x 1 s)."""
    server = socket.create_server(("127.0.54.2", 0))
    port = server.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        conn, _ = server.accept()
        with conn:
            for byte in b"220 " + b"x" * 60:
                if stop.wait(0.5):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    ev = evidence()
    report = build_report(ev, evaluate(load_checks(packaged_metadata()), ev), profile="p", lang="en")
    settings = MailSettings(server="127.0.54.2", port=port, sender=USER, recipients=(USER,), timeout=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(MailError, match="not done within 4 s"):
            send_report(report, settings)
        assert time.monotonic() - started < 7
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
