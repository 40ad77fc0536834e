"""Mail the report: HTML inline, JSON attached, over SMTP with TLS that is verified.

The report itself describes a mail service's weaknesses, so sending it in plaintext or
to an unauthenticated server would be its own finding: STARTTLS is required (or
implicit TLS), the certificate and host name are verified, and AUTH is never sent
before TLS. The password comes from an environment variable or a file, never the
command line.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import cast

from auditor.credentials import CredentialError, read_secret_file, secret_from_env
from auditor.deadline import Deadline, Watch
from auditor.models import Report
from auditor.reports.html import render_html
from auditor.reports.json_report import render_json
from auditor.reports.markdown import render_markdown

#: The whole delivery may take this many per-step timeouts (greeting, EHLO, STARTTLS, AUTH, DATA...).
DELIVERY_STEPS = 4


class MailError(Exception):
    """The report could not be delivered; the message says why (never the password)."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    server: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    tls: str = "starttls"  # or "implicit"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    ca_file: str | None = None
    timeout: float = 30.0
    # Connect here instead of resolving ``server`` with the system resolver (``--resolver``);
    # TLS still verifies the certificate against ``server``.
    address: str | None = None

    def password(self) -> str | None:
        """From the variable or the one-line file (see :mod:`auditor.credentials`)."""
        try:
            if self.password_env:
                return secret_from_env(self.password_env, "SMTP")
            if self.password_file:
                return read_secret_file(self.password_file, "SMTP")
        except CredentialError as exc:
            raise MailError(str(exc)) from None
        return None


def _client_class(
    base: type[smtplib.SMTP], address: str | None, deadline: Deadline, watches: list[Watch]
) -> type[smtplib.SMTP]:
    """smtplib's client that connects to ``address`` when given (``--resolver``; TLS still
    verifies ``server``) and keeps the connection under ``deadline``: smtplib's timeout is per
    read, so a relay dripping its replies (or its implicit-TLS handshake) would otherwise hold
    the run for as long as it likes after the reports were written."""
    implicit = issubclass(base, smtplib.SMTP_SSL)

    class Guarded(base):  # type: ignore[valid-type,misc]
        def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
            sock = socket.create_connection((address or host, port), timeout, self.source_address)
            watches.append(deadline.watch(sock))
            return self.context.wrap_socket(sock, server_hostname=self._host) if implicit else sock

    return Guarded


def subject_line(report: Report, previous: dict[str, int] | None) -> str:
    counts = report.summary.by_status
    parts = [f"{counts.get(k, 0)} {k}" for k in ("fail", "error", "warn") if counts.get(k)]
    line = f"[auditor] {report.target}: {report.summary.verdict}" + (f" ({', '.join(parts)})" if parts else "")
    if previous is not None:
        delta = counts.get("fail", 0) - previous.get("fail", 0)
        line += f", {'+' if delta > 0 else ''}{delta} fail since last run" if delta else ", no change since last run"
    return line[:200]


def compose(subject: str, settings: MailSettings, text: str, html: str, attachment: bytes, name: str) -> EmailMessage:
    """A report mail: plain text, the HTML page as the alternative, the JSON attached."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message.add_attachment(attachment, maintype="application", subtype="json", filename=name)
    return message


def build_message(report: Report, settings: MailSettings, previous: dict[str, int] | None) -> EmailMessage:
    json_report = render_json(report)
    return compose(
        subject_line(report, previous),
        settings,
        render_markdown(report),
        render_html(report),
        json_report if isinstance(json_report, bytes) else json_report.encode(),
        f"auditor-report-{report.run_id}.json",
    )


def send_report(report: Report, settings: MailSettings, previous: dict[str, int] | None = None) -> str:
    """Deliver; returns the Message-ID. Raises :class:`MailError` with a reason."""
    return send_message(build_message(report, settings, previous), settings)


def send_message(message: EmailMessage, settings: MailSettings) -> str:
    """Deliver a built message over verified TLS (a scan's report or a fleet's summary)."""
    context = ssl.create_default_context(cafile=settings.ca_file) if settings.ca_file else ssl.create_default_context()
    password = settings.password()
    deadline_s = settings.timeout * DELIVERY_STEPS
    deadline = Deadline.after(deadline_s)
    watches: list[Watch] = []
    try:
        if settings.tls == "implicit":
            implicit = cast(
                type[smtplib.SMTP_SSL], _client_class(smtplib.SMTP_SSL, settings.address, deadline, watches)
            )
            client: smtplib.SMTP = implicit(settings.server, settings.port, timeout=settings.timeout, context=context)
        else:
            plain = _client_class(smtplib.SMTP, settings.address, deadline, watches)
            client = plain(settings.server, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.tls != "implicit":
                if not client.has_extn("starttls"):
                    raise MailError(
                        f"{settings.server}:{settings.port} does not offer STARTTLS; refusing to send "
                        "the report in plaintext"
                    )
                client.starttls(context=context)
                client.ehlo()
            if settings.username:
                if password is None:
                    raise MailError("SMTP user given but no password (set password_env or password_file)")
                client.login(settings.username, password)
            client.send_message(message)
    except MailError:
        raise
    except ssl.SSLCertVerificationError as exc:
        raise MailError(f"certificate of {settings.server} not trusted: {exc.verify_message}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"SMTP authentication failed for {settings.username}: {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as exc:
        if deadline.expired:
            raise MailError(
                f"delivery via {settings.server}:{settings.port} not done within {deadline_s:.0f} s"
            ) from None
        raise MailError(f"delivery via {settings.server}:{settings.port} failed: {exc}") from None
    finally:
        for watch in watches:
            watch.cancel()
    return str(message["Message-ID"])
