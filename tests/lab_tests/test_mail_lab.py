"""Dialogs and STARTTLS checks against the lab's real Postfix/Dovecot hosts.

Discovery runs against the lab DNS, so the whole chain (MX/SRV records -> endpoints
-> dialogs -> checks) is exercised. The lab is required: without the ``lab``
fixture (tests/conftest.py) or its servers these tests fail, they never skip.
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import time
from pathlib import Path

import auditor.checks.starttls as starttls_module
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from auditor.collectors.dialogs import collect_dialogs
from auditor.collectors.discovery import discover
from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.evidence import Evidence, Target
from auditor.evidence.dialogs import DialogResult
from auditor.evidence.network import Endpoint
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Severity, Status
from auditor.registry import checks_in_module
from auditor.runner import evaluate

pytestmark = pytest.mark.lab

CHECKS = checks_in_module(starttls_module, packaged_metadata())
HELO = "scanner.lab.test"


def dns(lab) -> DnsClient:  # type: ignore[no-untyped-def]
    return DnsClient(ResolverSpec.parse(lab.resolver), timeout=2, lifetime=4)


def dialogs_for(lab, domain: str) -> tuple[DialogResult, ...]:  # type: ignore[no-untyped-def]
    found = discover(domain, dns(lab))
    assert found.fatal is None and found.endpoints, found
    return collect_dialogs(found.endpoints, deadline=time.monotonic() + 60, helo_name=HELO)


def findings(results: tuple[DialogResult, ...]) -> dict[tuple[str, int], list[Finding]]:
    ev = Evidence(
        schema_version="1",
        collected_at="2026-11-23T10:00:00+00:00",
        target=Target(domain="lab.test"),
        network=True,
        dialogs=results,
    )
    by: dict[tuple[str, int], list[Finding]] = {}
    for finding in evaluate(CHECKS, ev):
        if finding.status == Status.SKIPPED:  # a check with nothing of its kind in these results
            continue
        port = int(finding.subject.rsplit(":", 1)[1]) if ":" in finding.subject else 0
        by.setdefault((finding.check_id, port), []).append(finding)
    return by


def only(by: dict[tuple[str, int], list[Finding]], check_id: str, port: int) -> Finding:
    [finding] = by[(check_id, port)]
    return finding


def test_weak_host_every_planted_plaintext_defect_is_found(lab) -> None:  # type: ignore[no-untyped-def]
    results = dialogs_for(lab, "weak.lab.test")
    ports = {r.port: r for r in results}
    assert set(ports) == {25, 587, 465, 143, 993, 110, 995}
    assert all(r.outcome == "ok" for r in results), [(r.subject, r.reason) for r in results]
    by = findings(results)

    auth = only(by, "starttls.auth-before-tls", 587)
    assert (auth.status, auth.severity) == (Status.FAIL, Severity.CRITICAL) and "535" in auth.detail
    mail = only(by, "starttls.submission-requires-tls", 587)
    assert (mail.status, mail.severity) == (Status.FAIL, Severity.HIGH) and "250" in mail.detail
    imap = only(by, "starttls.imap", 143)
    assert (imap.status, imap.severity) == (Status.FAIL, Severity.CRITICAL) and "AUTHENTICATIONFAILED" in imap.detail
    pop3 = only(by, "starttls.pop3", 110)
    assert (pop3.status, pop3.severity) == (Status.FAIL, Severity.CRITICAL)
    for port in (25, 587, 143, 110):
        assert only(by, "starttls.offered", port).status == Status.PASS
    # Every dialogue reached TLS; the certificates (expired on Postfix, wrong name on Dovecot)
    # are the TLS collector's to grade: tests/collectors/test_tls_lab.py.
    for port in (25, 587, 465, 143, 993, 110, 995):
        assert ports[port].tls is not None and ports[port].tls.version.startswith("TLSv1"), port


def test_clean_host_passes_everything(lab) -> None:  # type: ignore[no-untyped-def]
    results = dialogs_for(lab, "clean.lab.test")
    assert {r.port for r in results} == {25, 587, 465, 143, 993, 110, 995}
    statuses = {(f.check_id, f.subject, f.status.value) for fs in findings(results).values() for f in fs}
    assert {s for *_, s in statuses} == {"pass"}, sorted(statuses)
    by_port = {r.port: r for r in results}
    assert "LOGINDISABLED" in by_port[143].plain_caps and "AUTH PLAIN LOGIN" in by_port[587].tls_caps
    assert all(r.tls is not None and r.tls.version in ("TLSv1.2", "TLSv1.3") for r in results), [
        (r.subject, r.tls) for r in results
    ]


def test_throttled_host_yields_throttled_errors_never_a_false_answer(lab) -> None:  # type: ignore[no-untyped-def]
    # 12 connections inside anvil's 60 s window: the limit (10/min) must trigger.
    endpoint = Endpoint("mx.throttled.lab.test", 25, "smtp", "starttls", "mx", ("127.0.25.3",))
    results = collect_dialogs([endpoint] * 12, deadline=time.monotonic() + 60, helo_name=HELO)
    throttled = [r for r in results if r.outcome == "throttled"]
    assert throttled and all("421" in (r.reason or "") for r in throttled)
    assert all(r.outcome in ("ok", "throttled") for r in results)
    offered = findings(results)[("starttls.offered", 25)]
    assert all(f.status in (Status.PASS, Status.ERROR) for f in offered), offered
    errors = [f for f in offered if f.status == Status.ERROR]
    assert errors and all("throttled" in f.detail and "421" in f.detail for f in errors), offered


def test_delayed_host_greets_after_one_second_and_still_works(lab) -> None:  # type: ignore[no-untyped-def]
    endpoint = Endpoint("mx.delayed.lab.test", 25, "smtp", "starttls", "mx", ("127.0.25.4",))
    [result] = collect_dialogs([endpoint], deadline=time.monotonic() + 30, helo_name=HELO)
    assert result.outcome == "ok" and result.starttls == "ok", result.reason
    assert result.elapsed_ms >= 1000


def test_webmail_redirect_and_missing_hsts_on_lab_nginx(lab) -> None:  # type: ignore[no-untyped-def]
    endpoint = Endpoint("mta-sts.good.lab.test", 443, "https", "implicit", "user", (lab.web_ip,))
    by = {
        f.id.rsplit("#", 1)[1]: f
        for fs in findings(collect_dialogs([endpoint], deadline=time.monotonic() + 20, helo_name=HELO)).values()
        for f in fs
    }
    assert by["redirect"].status == Status.PASS and "https://mta-sts.good.lab.test/" in by["redirect"].detail
    assert (by["hsts"].status, by["hsts"].severity) == (Status.FAIL, Severity.LOW)


def _served_spki_sha256(ip: str) -> str:
    """SPKI hash of the certificate Postfix serves after STARTTLS on ip:25."""
    with socket.create_connection((ip, 25), timeout=5) as sock:
        stream = sock.makefile("rb")
        while not stream.readline().startswith(b"220 "):
            pass
        sock.sendall(b"EHLO scanner.lab.test\r\n")
        while not stream.readline().startswith(b"250 "):
            pass
        sock.sendall(b"STARTTLS\r\n")
        assert stream.readline().startswith(b"220")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with ctx.wrap_socket(sock) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der
    spki = (
        x509.load_der_x509_certificate(der)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.sha256(spki).hexdigest()


def test_tlsa_records_match_clean_and_not_weak(lab) -> None:  # type: ignore[no-untyped-def]
    client = dns(lab)
    cases = (("mx.clean.lab.test", "127.0.25.1", True), ("mx.weak.lab.test", "127.0.25.2", False))
    for host, ip, should_match in cases:
        answer = client.query(f"_25._tcp.{host}", "TLSA")
        assert answer.ok, answer
        [record] = answer.records
        usage, selector, mtype, data = record.split(None, 3)
        assert (usage, selector, mtype) == ("3", "1", "1")
        assert (data.replace(" ", "").lower() == _served_spki_sha256(ip)) is should_match


def test_clean_host_delivers_to_alice_and_serves_her_over_imap(lab) -> None:  # type: ignore[no-untyped-def]
    """The lab's mail path works end to end: SASL on 587 after TLS, Maildir, IMAP after STARTTLS."""
    import imaplib
    import smtplib
    import uuid

    lab_run = Path(os.environ.get("LAB_RUN") or Path(__file__).resolve().parents[1] / "lab" / "run")
    password = (lab_run / "mail" / "alice.password").read_text().strip()
    ctx = ssl.create_default_context(cafile=str(lab.ca_file))
    ctx.check_hostname = False  # we connect by IP; certificates are the TLS checks' business
    tag = uuid.uuid4().hex
    with smtplib.SMTP("127.0.25.1", 587, local_hostname=HELO, timeout=10) as smtp:
        smtp.starttls(context=ctx)
        smtp.login("alice@good.lab.test", password)
        smtp.sendmail("alice@good.lab.test", ["alice@good.lab.test"], f"Subject: lab {tag}\r\n\r\nhello\r\n")
    imap = imaplib.IMAP4("127.0.25.1", 143, timeout=10)
    try:
        imap.starttls(ssl_context=ctx)
        imap.login("alice@good.lab.test", password)
        for _ in range(50):
            imap.select("INBOX")
            _, found = imap.search(None, "SUBJECT", tag)
            if found and found[0]:
                break
            time.sleep(0.1)
        assert found and found[0], "the message did not arrive in alice's Maildir"
    finally:
        imap.logout()
