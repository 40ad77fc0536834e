"""The dialogs themselves: SMTP, IMAP, POP3 (plaintext + STARTTLS), implicit TLS, HTTP.

Each function fills a :class:`Rec` step by step, so whatever was learnt before a
failure (banner, capabilities, probes) stays in the evidence next to the reason.
Credentials sent are bogus by construction and shown as ``<bogus>``; commands that
could deliver mail never go beyond ``MAIL FROM`` (followed by ``RSET``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from auditor.collectors.dialogs_io import Conn, DialogError, clip
from auditor.evidence.dialogs import (
    VERDICT_ACCEPTED,
    VERDICT_PROCESSED,
    VERDICT_REFUSED,
    VERDICT_UNCLEAR,
    HttpProbe,
    Probe,
    TlsSession,
)

BOGUS_USER = "auditor-probe-invalid"
BOGUS_PASS = "auditor-probe-invalid"  # noqa: S105 - a deliberately wrong credential
_THROTTLE_TEXT = re.compile(r"too many|rate|limit|try again|later|busy|throttl|slow down", re.I)
_TLS_DEMAND = re.compile(r"tls|ssl|secure|encrypt|privacy|plaintext|cleartext", re.I)
_SMTP_LINE = re.compile(r"^(\d{3})([ -])?(.*)$")


@dataclass
class Rec:
    """Mutable record of one dialog in progress (frozen into DialogResult at the end)."""

    banner: str | None = None
    plain_caps: tuple[str, ...] = ()
    starttls_offered: bool | None = None
    probes: list[Probe] = field(default_factory=list)
    starttls: str | None = None
    tls: TlsSession | None = None
    tls_caps: tuple[str, ...] = ()
    http: HttpProbe | None = None


# ---------------------------------------------------------------- SMTP


def smtp_reply(conn: Conn) -> tuple[int, list[str]]:
    """A (multi-line) SMTP reply; 421 anywhere ends the dialog as throttling."""
    lines: list[str] = []
    while True:
        line = conn.read_line()
        match = _SMTP_LINE.match(line)
        if not match or (match.group(2) is None and match.group(3)):
            raise DialogError("garbage", f"not an SMTP reply: {clip(line, 80)!r}")
        lines.append(match.group(3))
        if match.group(2) != "-":
            code = int(match.group(1))
            if code == 421:
                raise DialogError("throttled", f"421 {clip(' '.join(lines), 160)}")
            return code, lines


def smtp_caps(lines: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(line.strip().upper() for line in lines[1:] if line.strip()))


def auth_mechanisms(caps: tuple[str, ...]) -> tuple[str, ...]:
    """SASL mechanisms from EHLO keywords (``AUTH PLAIN LOGIN``, also ``AUTH=...``)."""
    mechs: list[str] = []
    for cap in caps:
        if cap.startswith(("AUTH ", "AUTH=")):
            mechs.extend(cap[5:].split())
    return tuple(dict.fromkeys(mechs))


def _smtp_auth_probe(conn: Conn, mechs: tuple[str, ...]) -> Probe:
    if "PLAIN" in mechs or "LOGIN" not in mechs:
        token = base64.b64encode(f"\0{BOGUS_USER}\0{BOGUS_PASS}".encode()).decode()
        command = "AUTH PLAIN <bogus>"
        conn.send(f"AUTH PLAIN {token}", command)
        code, lines = smtp_reply(conn)
        if code == 334:  # wants the credential in a second step: it is processing AUTH
            conn.send("*")
            smtp_reply(conn)
            return Probe("auth", command, VERDICT_PROCESSED, f"334 {clip(' '.join(lines))}")
    else:
        command = "AUTH LOGIN <bogus>"
        conn.send("AUTH LOGIN", "AUTH LOGIN")
        code, lines = smtp_reply(conn)
        for secret in (BOGUS_USER, BOGUS_PASS):
            if code != 334:
                break
            conn.send(base64.b64encode(secret.encode()).decode(), "<bogus>")
            code, lines = smtp_reply(conn)
    reply = f"{code} {clip(' '.join(lines))}"
    if code == 235:
        verdict = VERDICT_ACCEPTED
    elif code in (535, 334):
        verdict = VERDICT_PROCESSED
    elif 500 <= code < 600:
        verdict = VERDICT_REFUSED
    else:
        verdict = VERDICT_UNCLEAR
    return Probe("auth", command, verdict, reply)


def _smtp_mail_from_probe(conn: Conn, helo: str) -> Probe:
    command = f"MAIL FROM:<{BOGUS_USER}@{helo}>"
    conn.send(command)
    code, lines = smtp_reply(conn)
    reply = f"{code} {clip(' '.join(lines))}"
    if code == 250:
        conn.send("RSET")
        smtp_reply(conn)
        return Probe("mail-from", command, VERDICT_ACCEPTED, reply)
    if code in (450, 451):
        raise DialogError("throttled", f"greylisted or deferred: {reply}")
    return Probe("mail-from", command, VERDICT_REFUSED if code >= 500 else VERDICT_UNCLEAR, reply)


def smtp_banner_and_ehlo(conn: Conn, rec: Rec, helo: str) -> tuple[str, ...]:
    code, lines = smtp_reply(conn)
    rec.banner = clip(" ".join(lines))
    if code != 220:
        outcome = "throttled" if code in (450, 451) or _THROTTLE_TEXT.search(rec.banner) else "rejected"
        raise DialogError(outcome, f"greeting {code} {rec.banner}")
    conn.send(f"EHLO {helo}")
    code, lines = smtp_reply(conn)
    if code != 250:
        raise DialogError("rejected", f"EHLO answered {code} {clip(' '.join(lines))}")
    return smtp_caps(lines)


def smtp_dialog(conn: Conn, rec: Rec, *, host: str, helo: str, submission: bool) -> None:
    """Banner, EHLO, AUTH/MAIL FROM probes before TLS, STARTTLS, EHLO again, QUIT."""
    rec.plain_caps = smtp_banner_and_ehlo(conn, rec, helo)
    rec.starttls_offered = "STARTTLS" in rec.plain_caps
    mechs = auth_mechanisms(rec.plain_caps)
    if submission or mechs:
        rec.probes.append(_smtp_auth_probe(conn, mechs))
    if submission:
        rec.probes.append(_smtp_mail_from_probe(conn, helo))
    if not rec.starttls_offered:
        rec.starttls = "not-offered"
        _quit(conn, "QUIT")
        return
    conn.send("STARTTLS")
    code, lines = smtp_reply(conn)
    if code != 220:
        rec.starttls = "refused"
        _quit(conn, "QUIT")
        return
    rec.tls = _upgrade(conn, rec, host)
    conn.send(f"EHLO {helo}")
    try:
        code, lines = smtp_reply(conn)
    except DialogError as exc:
        if exc.outcome == "closed":
            rec.starttls = "closed"
            raise DialogError("closed", "connection closed after STARTTLS") from None
        raise
    rec.tls_caps = smtp_caps(lines) if code == 250 else ()
    _quit(conn, "QUIT")


def _upgrade(conn: Conn, rec: Rec, host: str) -> TlsSession:
    try:
        session = conn.starttls(host)
    except DialogError as exc:
        rec.starttls = "tls-failed" if exc.outcome in ("tls-failed", "garbage", "plaintext") else exc.outcome
        if exc.outcome == "closed":
            raise DialogError("closed", f"closed after STARTTLS: {exc.reason}") from None
        raise
    rec.starttls = "ok"
    return session


def _quit(conn: Conn, command: str) -> None:
    """Say goodbye politely; a server that hangs up first is fine."""
    try:
        conn.send(command)
        conn.read_line()
    except (DialogError, OSError):
        pass


# ---------------------------------------------------------------- IMAP


def imap_tagged(conn: Conn, tag: str) -> tuple[str, list[str]]:
    """Lines up to the tagged completion; returns (completion text, untagged lines)."""
    untagged: list[str] = []
    while True:
        line = conn.read_line()
        if line.startswith(tag + " "):
            return line[len(tag) + 1 :], untagged
        if line.upper().startswith("* BYE"):
            outcome = "throttled" if _THROTTLE_TEXT.search(line) else "closed"
            raise DialogError(outcome, f"server said {clip(line, 160)}")
        untagged.append(line)


def _imap_caps(text: str) -> tuple[str, ...]:
    match = re.search(r"CAPABILITY ([^\]]*)", text, re.I)
    return tuple(dict.fromkeys(t.upper() for t in match.group(1).split())) if match else ()


def _imap_capability(conn: Conn, tag: str) -> tuple[str, ...]:
    conn.send(f"{tag} CAPABILITY")
    done, untagged = imap_tagged(conn, tag)
    caps: tuple[str, ...] = ()
    for line in untagged:
        caps += _imap_caps(line)
    return tuple(dict.fromkeys(caps))


def imap_greeting(conn: Conn, rec: Rec) -> None:
    line = conn.read_line()
    rec.banner = clip(line)
    upper = line.upper()
    if upper.startswith("* BYE"):
        raise DialogError("throttled" if _THROTTLE_TEXT.search(line) else "rejected", f"greeting {rec.banner}")
    if not upper.startswith(("* OK", "* PREAUTH")):
        raise DialogError("garbage", f"not an IMAP greeting: {clip(line, 80)!r}")


def imap_dialog(conn: Conn, rec: Rec, *, host: str) -> None:
    """Greeting, CAPABILITY, LOGIN with a bogus credential, STARTTLS, CAPABILITY, LOGOUT."""
    imap_greeting(conn, rec)
    rec.plain_caps = _imap_capability(conn, "a1")
    rec.starttls_offered = "STARTTLS" in rec.plain_caps
    command = f'a2 LOGIN "{BOGUS_USER}" <bogus>'
    conn.send(f'a2 LOGIN "{BOGUS_USER}" "{BOGUS_PASS}"', command)
    done, _ = imap_tagged(conn, "a2")
    status = done.split(" ", 1)[0].upper()
    if status == "OK":
        verdict = VERDICT_ACCEPTED
    elif (
        status == "BAD"
        or "PRIVACYREQUIRED" in done.upper()
        or ("AUTHENTICATIONFAILED" not in done.upper() and _TLS_DEMAND.search(done))
    ):
        verdict = VERDICT_REFUSED
    elif status == "NO":
        verdict = VERDICT_PROCESSED
    else:
        verdict = VERDICT_UNCLEAR
    rec.probes.append(Probe("login", command, verdict, clip(done)))
    if not rec.starttls_offered:
        rec.starttls = "not-offered"
        _quit(conn, "a9 LOGOUT")
        return
    conn.send("a3 STARTTLS")
    done, _ = imap_tagged(conn, "a3")
    if not done.upper().startswith("OK"):
        rec.starttls = "refused"
        _quit(conn, "a9 LOGOUT")
        return
    rec.tls = _upgrade(conn, rec, host)
    try:
        rec.tls_caps = _imap_capability(conn, "a4")
    except DialogError as exc:
        if exc.outcome == "closed":
            rec.starttls = "closed"
            raise DialogError("closed", "connection closed after STARTTLS") from None
        raise
    _quit(conn, "a9 LOGOUT")


# ---------------------------------------------------------------- POP3


def pop_status(conn: Conn) -> tuple[bool, str]:
    line = conn.read_line()
    if line.startswith("+OK"):
        return True, line
    if line.startswith("-ERR"):
        return False, line
    raise DialogError("garbage", f"not a POP3 reply: {clip(line, 80)!r}")


def _pop_capa(conn: Conn) -> tuple[str, ...]:
    conn.send("CAPA")
    ok, _ = pop_status(conn)
    if not ok:
        return ()
    caps: list[str] = []
    while (line := conn.read_line()) != ".":
        caps.append(line.strip().upper())
    return tuple(dict.fromkeys(c for c in caps if c))


def pop3_greeting(conn: Conn, rec: Rec) -> None:
    ok, line = pop_status(conn)
    rec.banner = clip(line)
    if not ok:
        raise DialogError("throttled" if _THROTTLE_TEXT.search(line) else "rejected", f"greeting {rec.banner}")


def pop3_dialog(conn: Conn, rec: Rec, *, host: str) -> None:
    """Greeting, CAPA, USER/PASS with a bogus credential, STLS, CAPA, QUIT."""
    pop3_greeting(conn, rec)
    rec.plain_caps = _pop_capa(conn)
    rec.starttls_offered = "STLS" in rec.plain_caps
    conn.send(f"USER {BOGUS_USER}")
    ok, line = pop_status(conn)
    user_verdict = VERDICT_ACCEPTED if ok else (VERDICT_REFUSED if _TLS_DEMAND.search(line) else VERDICT_UNCLEAR)
    rec.probes.append(Probe("user", f"USER {BOGUS_USER}", user_verdict, clip(line)))
    if ok:
        conn.send(f"PASS {BOGUS_PASS}", "PASS <bogus>")
        ok, line = pop_status(conn)
        verdict = VERDICT_ACCEPTED if ok else VERDICT_REFUSED if _TLS_DEMAND.search(line) else VERDICT_PROCESSED
        rec.probes.append(Probe("pass", "PASS <bogus>", verdict, clip(line)))
    if not rec.starttls_offered:
        rec.starttls = "not-offered"
        _quit(conn, "QUIT")
        return
    conn.send("STLS")
    ok, line = pop_status(conn)
    if not ok:
        rec.starttls = "refused"
        _quit(conn, "QUIT")
        return
    rec.tls = _upgrade(conn, rec, host)
    try:
        rec.tls_caps = _pop_capa(conn)
    except DialogError as exc:
        if exc.outcome == "closed":
            rec.starttls = "closed"
            raise DialogError("closed", "connection closed after STLS") from None
        raise
    _quit(conn, "QUIT")


# ---------------------------------------------------------------- implicit TLS


def implicit_tls_dialog(conn: Conn, rec: Rec, *, host: str, proto: str, helo: str) -> None:
    """TLS handshake first (RFC 8314), then the service's greeting proves it answers."""
    try:
        rec.tls = conn.starttls(host)
    except DialogError as exc:
        if exc.outcome == "closed":
            raise DialogError("tls-failed", exc.reason) from None
        raise
    if proto == "submissions":
        rec.tls_caps = smtp_banner_and_ehlo(conn, rec, helo)
        _quit(conn, "QUIT")
    elif proto == "imaps":
        imap_greeting(conn, rec)
        rec.tls_caps = _imap_capability(conn, "a1")
        _quit(conn, "a9 LOGOUT")
    elif proto == "pop3s":
        pop3_greeting(conn, rec)
        _quit(conn, "QUIT")
