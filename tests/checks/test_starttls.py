"""The STARTTLS / plaintext-credential checks on dialog fixtures (pure, no network)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import auditor.checks.starttls as starttls_module
import pytest

from auditor.evidence import Evidence, Target, evidence_from_json, evidence_to_json
from auditor.evidence.dialogs import DialogResult, HttpProbe, Probe, TlsSession
from auditor.evidence.network import Discovery, DnsAnswer, Endpoint
from auditor.evidence.outcomes import ErrorKind
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Severity, Status
from auditor.registry import checks_in_module
from auditor.runner import evaluate

CHECKS = {c.meta.id: c for c in checks_in_module(starttls_module, packaged_metadata())}
TLS13 = TlsSession(version="TLSv1.3", cipher="TLS_AES_256_GCM_SHA384")
SMTP_CAPS = ("PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME")
REFUSED_AUTH = Probe("auth", "AUTH PLAIN <bogus>", "refused", "530 5.7.0 Must issue a STARTTLS command first")
REFUSED_MAIL = Probe(
    "mail-from", "MAIL FROM:<x@scanner.test>", "refused", "530 5.7.0 Must issue a STARTTLS command first"
)


def dialog(port: int = 25, proto: str = "smtp", **changes: Any) -> DialogResult:
    """A successful dialog with a well-configured server; tests change one thing."""
    tls_mode = "implicit" if proto in ("submissions", "imaps", "pop3s", "https") else "starttls"
    base = DialogResult(
        host="mx.example.org",
        ip="192.0.2.25",
        port=port,
        proto=proto,
        tls_mode=tls_mode,
        source="mx" if port == 25 else "srv",
        outcome="ok",
        connection_index=1,
        banner="mx.example.org ESMTP",
        plain_caps=SMTP_CAPS,
        starttls_offered=True,
        starttls="ok",
        tls=TLS13,
        tls_caps=("PIPELINING", "AUTH PLAIN LOGIN"),
    )
    if proto == "submission":
        base = replace(base, probes=(REFUSED_AUTH, REFUSED_MAIL))
    elif proto == "imap":
        base = replace(
            base,
            banner="* OK ready",
            plain_caps=("IMAP4REV1", "STARTTLS", "LOGINDISABLED"),
            probes=(Probe("login", 'a2 LOGIN "u" <bogus>', "refused", "NO [PRIVACYREQUIRED] use TLS"),),
        )
    elif proto == "pop3":
        base = replace(
            base,
            banner="+OK ready",
            plain_caps=("CAPA", "STLS", "SASL"),
            probes=(Probe("user", "USER u", "refused", "-ERR [AUTH] Plaintext authentication disallowed"),),
        )
    elif proto in ("submissions", "imaps", "pop3s"):
        base = replace(base, plain_caps=(), starttls_offered=None, starttls=None)
    elif proto == "https":
        base = replace(
            base,
            banner=None,
            plain_caps=(),
            starttls_offered=None,
            starttls=None,
            tls=None,
            http=HttpProbe(
                http_status=301,
                http_location="https://webmail.example.org/",
                redirects_to_https=True,
                https_status=200,
                hsts="max-age=31536000",
            ),
        )
    return replace(base, **changes)


def ev(*dialogs: DialogResult) -> Evidence:
    return Evidence(
        schema_version="1",
        collected_at="2026-11-23T10:00:00+00:00",
        target=Target(domain="example.org"),
        network=True,
        dialogs=dialogs,
    )


def run(check_id: str, *dialogs: DialogResult) -> list[Finding]:
    return evaluate([CHECKS[check_id]], ev(*dialogs))


def one(check_id: str, d: DialogResult) -> Finding:
    [finding] = run(check_id, d)
    return finding


ALL_GOOD = (
    dialog(25, "smtp"),
    dialog(587, "submission"),
    dialog(143, "imap"),
    dialog(110, "pop3"),
    dialog(465, "submissions"),
    dialog(993, "imaps"),
    dialog(995, "pop3s"),
    dialog(443, "https"),
)


def test_every_check_passes_on_a_well_configured_service() -> None:
    for check_id in CHECKS:
        findings = run(check_id, *ALL_GOOD)
        assert findings and {f.status for f in findings} == {Status.PASS}, (check_id, findings)
        assert all("GDPR-32-1-a" in f.clauses for f in findings)


def test_checks_skip_when_no_dialogs_were_collected() -> None:
    for check_id in CHECKS:
        assert [f.status for f in run(check_id)] == [Status.SKIPPED]


def test_missing_starttls_fails_high_and_mx_pass_mentions_rfc3207() -> None:
    finding = one(
        "starttls.offered",
        dialog(25, "smtp", plain_caps=("PIPELINING",), starttls_offered=False, starttls="not-offered", tls=None),
    )
    assert finding.status == Status.FAIL and finding.severity == Severity.HIGH
    assert "not offered" in finding.detail and finding.remediation
    passed = one("starttls.offered", dialog(25, "smtp"))
    assert passed.status == Status.PASS and "RFC 3207" in passed.detail
    assert "RFC 3207" not in one("starttls.offered", dialog(587, "submission")).detail


def test_starttls_refused_after_advertising_fails() -> None:
    finding = one("starttls.offered", dialog(143, "imap", starttls="refused", tls=None))
    assert finding.status == Status.FAIL and "refused the command" in finding.detail


@pytest.mark.parametrize(
    ("outcome", "reason", "fields"),
    [
        (
            "refused",
            "connection to 192.0.2.25:25 refused",
            {"starttls_offered": None, "plain_caps": (), "banner": None},
        ),
        (
            "throttled",
            "421 4.7.0 too many connections (throttled after 10 earlier connections to 192.0.2.25)",
            {"starttls_offered": None, "plain_caps": ()},
        ),
        ("closed", "connection closed after STARTTLS", {"starttls": "closed"}),
        ("tls-failed", "TLS handshake failed: handshake failure", {"starttls": "tls-failed", "tls": None}),
        ("timeout", "no complete line within 10 s", {"starttls": "timeout", "tls": None}),
    ],
)
def test_unfinished_dialog_is_an_error_with_its_reason_never_a_pass(
    outcome: str, reason: str, fields: dict[str, Any]
) -> None:
    finding = one("starttls.offered", dialog(25, "smtp", outcome=outcome, reason=reason, **fields))
    assert finding.status == Status.ERROR and finding.severity == Severity.INFO
    assert reason in finding.detail


def test_auth_processed_before_tls_is_critical() -> None:
    probe = Probe("auth", "AUTH PLAIN <bogus>", "processed", "535 5.7.8 Error: authentication failed")
    d = dialog(587, "submission", plain_caps=SMTP_CAPS + ("AUTH PLAIN LOGIN",), probes=(probe, REFUSED_MAIL))
    finding = one("starttls.auth-before-tls", d)
    assert finding.status == Status.FAIL and finding.severity == Severity.CRITICAL
    assert "535" in finding.detail
    assert any(o.label.startswith("sent before TLS: AUTH PLAIN <bogus>") for o in finding.observations)


def test_auth_advertised_but_refused_is_medium() -> None:
    d = dialog(587, "submission", plain_caps=SMTP_CAPS + ("AUTH PLAIN LOGIN",))
    finding = one("starttls.auth-before-tls", d)
    assert finding.status == Status.FAIL and finding.severity == Severity.MEDIUM


def test_auth_check_errors_when_submission_dialog_ended_before_the_probe() -> None:
    d = dialog(587, "submission", probes=(), outcome="throttled", reason="421 too many connections")
    finding = one("starttls.auth-before-tls", d)
    assert finding.status == Status.ERROR and "421" in finding.detail
    assert one("starttls.submission-requires-tls", d).status == Status.ERROR


def test_mx_without_auth_passes_without_a_probe() -> None:
    assert one("starttls.auth-before-tls", dialog(25, "smtp")).status == Status.PASS


def test_submission_accepting_mail_without_tls_fails_high() -> None:
    accepted = Probe("mail-from", "MAIL FROM:<x@scanner.test>", "accepted", "250 2.1.0 Ok")
    finding = one("starttls.submission-requires-tls", dialog(587, "submission", probes=(REFUSED_AUTH, accepted)))
    assert finding.status == Status.FAIL and finding.severity == Severity.HIGH and "250" in finding.detail


def test_imap_login_processed_before_tls_is_critical() -> None:
    probe = Probe("login", 'a2 LOGIN "u" <bogus>', "processed", "NO [AUTHENTICATIONFAILED] Authentication failed.")
    d = dialog(143, "imap", plain_caps=("IMAP4REV1", "STARTTLS", "AUTH=PLAIN"), probes=(probe,))
    finding = one("starttls.imap", d)
    assert finding.status == Status.FAIL and finding.severity == Severity.CRITICAL


def test_imap_without_logindisabled_is_medium_even_if_login_refused() -> None:
    d = dialog(143, "imap", plain_caps=("IMAP4REV1", "STARTTLS", "AUTH=PLAIN"))
    finding = one("starttls.imap", d)
    assert finding.status == Status.FAIL and finding.severity == Severity.MEDIUM
    assert "LOGINDISABLED is not announced" in finding.detail and "AUTH=PLAIN" in finding.detail


def test_pop3_user_pass_processed_before_stls_is_critical() -> None:
    probes = (
        Probe("user", "USER u", "accepted", "+OK"),
        Probe("pass", "PASS <bogus>", "processed", "-ERR [AUTH] failed"),
    )
    finding = one("starttls.pop3", dialog(110, "pop3", plain_caps=("STLS", "USER"), probes=probes))
    assert finding.status == Status.FAIL and finding.severity == Severity.CRITICAL
    assert "-ERR [AUTH] failed" in finding.detail


def test_pop3_user_advertised_but_refused_is_medium() -> None:
    finding = one("starttls.pop3", dialog(110, "pop3", plain_caps=("STLS", "USER")))
    assert finding.status == Status.FAIL and finding.severity == Severity.MEDIUM


def test_implicit_port_speaking_plaintext_fails_and_refused_port_errors() -> None:
    plaintext = dialog(
        465,
        "submissions",
        outcome="plaintext",
        tls=None,
        reason="the server answered in plaintext: [SSL: WRONG_VERSION_NUMBER] wrong version number",
    )
    assert one("tls.implicit-ports", plaintext).status == Status.FAIL
    # Another handshake failure whose text happens to say 'wrong version number' is not graded as plaintext.
    other = dialog(
        465, "submissions", outcome="tls-failed", tls=None, reason="TLS handshake failed: wrong version number"
    )
    assert one("tls.implicit-ports", other).status == Status.ERROR
    refused = dialog(993, "imaps", outcome="refused", tls=None, reason="connection to 192.0.2.25:993 refused")
    finding = one("tls.implicit-ports", refused)
    assert finding.status == Status.ERROR and "refused" in finding.detail


def test_webmail_without_redirect_fails_high_and_without_hsts_fails_low() -> None:
    http = HttpProbe(http_status=200, redirects_to_https=False, https_status=200, hsts=None)
    by_key = {f.id.rsplit("#", 1)[1]: f for f in run("https.webmail", dialog(443, "https", http=http))}
    assert by_key["redirect"].status == Status.FAIL and by_key["redirect"].severity == Severity.HIGH
    assert by_key["hsts"].status == Status.FAIL and by_key["hsts"].severity == Severity.LOW


def test_webmail_hsts_max_age_zero_fails_and_no_port_80_passes_redirect() -> None:
    http = HttpProbe(
        http_error="connection refused", http_error_kind=ErrorKind.REFUSED, https_status=200, hsts="max-age=0"
    )
    by_key = {f.id.rsplit("#", 1)[1]: f for f in run("https.webmail", dialog(443, "https", http=http))}
    assert by_key["redirect"].status == Status.PASS
    assert by_key["hsts"].status == Status.FAIL


def test_port_80_server_text_saying_refused_is_not_a_refused_connection() -> None:
    # The server answered port 80 with "access refused: ..." instead of an HTTP status line:
    # something *is* served over plain HTTP, so the redirect is unverified, never a pass.
    http = HttpProbe(
        http_error="not an HTTP status line: 'access refused: plain HTTP disabled'",
        http_error_kind=ErrorKind.GARBAGE,
        https_status=200,
        hsts="max-age=31536000",
    )
    by_key = {f.id.rsplit("#", 1)[1]: f for f in run("https.webmail", dialog(443, "https", http=http))}
    assert by_key["redirect"].status == Status.ERROR


def test_webmail_unreachable_https_is_an_error() -> None:
    http = HttpProbe(http_status=301, http_location="https://w/", redirects_to_https=True, https_error="timeout")
    by_key = {f.id.rsplit("#", 1)[1]: f for f in run("https.webmail", dialog(443, "https", http=http))}
    assert by_key["hsts"].status == Status.ERROR and "timeout" in by_key["hsts"].detail


def test_dialog_evidence_round_trips_through_json() -> None:
    bundle = ev(*ALL_GOOD, dialog(587, "submission", outcome="throttled", reason="421", probes=()))
    again = evidence_from_json(evidence_to_json(bundle))
    assert again == bundle
    assert again.dialogs[1].probe("mail-from") == REFUSED_MAIL


def test_an_unresolvable_endpoint_is_an_error_never_left_out() -> None:
    unresolved = Endpoint("mail.typo.example", 587, "submission", "starttls", "user", (), ("NXDOMAIN",))
    disc = Discovery(
        domain="example.org", resolver="system", mx=DnsAnswer("example.org", "MX", "nodata"), endpoints=(unresolved,)
    )
    # Without any dialogue result, and with the collector's "no address" result.
    bare = replace(ev(), discovery=disc)
    no_address = DialogResult(
        host="mail.typo.example",
        ip="-",
        port=587,
        proto="submission",
        tls_mode="starttls",
        source="user",
        outcome="error",
        reason="no IP address is known for mail.typo.example (NXDOMAIN)",
    )
    marked = replace(ev(no_address), discovery=disc)
    for evidence in (bare, marked):
        findings = evaluate([CHECKS["starttls.submission-requires-tls"]], evidence)
        assert [(f.status, f.subject) for f in findings] == [(Status.ERROR, "mail.typo.example[-]:587")], findings
