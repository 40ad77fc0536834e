"""Statement-only checks on claim fixtures: pass, fail, error and skipped cases."""

from __future__ import annotations

from dataclasses import replace

import auditor.checks.statement as statement_checks

from auditor.claims import extract_claims, statement_from_bytes
from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, Target
from auditor.evidence.claims import ClaimSet
from auditor.evidence.tls import TlsScan
from auditor.messages import render, render_observation
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Outcome, Severity, Status
from auditor.registry import CheckContext, checks_in_module
from auditor.runner import evaluate
from tests.checks.test_tls import clean_scan, weak_scan
from tests.claims import paraphrases

CHECKS = {c.meta.id: c for c in checks_in_module(statement_checks, packaged_metadata())}


def _claims(text: str) -> ClaimSet:
    return extract_claims(statement_from_bytes(text.encode(), "statement.txt"))


def _evidence(claims: ClaimSet | None) -> Evidence:
    return Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at="2026-01-01T00:00:00+00:00",
        target=Target(domain="example.org"),
        network=True,
        claims=claims,
    )


def _run(check_id: str, claims: ClaimSet | None) -> list[Finding]:
    return [f for f in evaluate([CHECKS[check_id]], _evidence(claims)) if f.check_id == check_id]


def _finding(check_id: str, status: Status, subject: str = "mail.example.org[192.0.2.1]:587") -> Finding:
    return Finding(
        id=f"{check_id}:{subject}",
        check_id=check_id,
        status=status,
        severity=Severity.HIGH,
        title=check_id,
        subject=subject,
        detail=f"{check_id} {status.value}",
    )


def _with_findings(claims: ClaimSet, findings: list[Finding]) -> list[Outcome]:
    """Run the phase-two check with the given first-phase findings, as the runner hands them over."""
    ctx = CheckContext(evidence=_evidence(claims), findings=tuple(findings))
    # rendered as the runner renders them, so the tests read the English sentences
    return [
        replace(
            o, detail=render(o.detail, "en"), observations=tuple(render_observation(x, "en") for x in o.observations)
        )
        for o in CHECKS["statement.transport-claim"].func(ctx)
    ]


def test_metadata_is_packaged_for_every_statement_check() -> None:
    assert set(CHECKS) == {
        "statement.retention-declared",
        "statement.outdated-law",
        "statement.transport-claim",
        "statement.tls-version",
    }
    assert CHECKS["statement.retention-declared"].meta.clauses[0] == "GDPR-13-2-a"
    assert CHECKS["statement.transport-claim"].meta.uses_findings
    assert CHECKS["statement.transport-claim"].meta.severity == Severity.HIGH
    assert CHECKS["statement.outdated-law"].meta.severity == Severity.INFO


def test_retention_declared_on_juli() -> None:
    findings = {f.subject: f for f in _run("statement.retention-declared", _claims(paraphrases.JULI_DE))}
    assert findings["mail-metadata-logs"].status == Status.PASS
    assert findings["webmail-logs"].status == Status.PASS
    # account data is listed with its fields but no period: Art. 13(2)(a) gap
    assert findings["account-data"].status == Status.FAIL
    assert "name" in findings["account-data"].detail
    assert findings["account-data"].claim is not None
    assert findings["account-data"].claim.claim_id == "inventory.account-data"
    assert "GDPR-13-2-a" in findings["account-data"].clauses


def test_retention_declared_on_mailgun() -> None:
    findings = {f.subject: f.status for f in _run("statement.retention-declared", _claims(paraphrases.MAILGUN_EN))}
    assert findings == {
        "message-bodies": Status.PASS,
        "message-metadata": Status.PASS,
        "suppression-lists": Status.PASS,
        "recipient-activity": Status.FAIL,
    }


def test_retention_declared_errors_when_nothing_was_recognised() -> None:
    [finding] = _run("statement.retention-declared", _claims("Wir speichern Ihre Daten nur so lange wie nötig."))
    assert finding.status == Status.ERROR
    assert "1 privacy-relevant sentences were not understood" in finding.detail


def test_statement_checks_are_skipped_without_a_statement() -> None:
    for check_id in CHECKS:
        [finding] = _run(check_id, None)
        assert finding.status == Status.SKIPPED


def test_outdated_law_names_the_current_provisions() -> None:
    findings = _run("statement.outdated-law", _claims(paraphrases.JULI_EN))
    assert [f.status for f in findings] == [Status.FAIL, Status.FAIL]
    assert all(f.severity == Severity.INFO for f in findings)
    bdsg, tkg = findings
    # successors named as the statement's language names them (English statement here)
    assert "§ 9 BDSG" in bdsg.detail and "Art. 32 GDPR / Section 64 BDSG" in bdsg.detail
    assert "GDPR-32" in bdsg.clauses and "BDSG-64" in bdsg.clauses
    assert "Section 3 TDDDG" in tkg.detail and "TDDDG-3" in tkg.clauses


def test_outdated_law_flags_ttdsg_and_passes_current_citations() -> None:
    [ttdsg] = _run("statement.outdated-law", _claims("Wir verarbeiten Cookies nach dem TTDSG."))
    assert ttdsg.status == Status.FAIL and "TDDDG" in ttdsg.detail
    [current] = _run("statement.outdated-law", _claims("Wir schützen Daten nach Art. 32 DSGVO und § 3 TDDDG."))
    assert current.status == Status.PASS
    assert "Art. 32 DSGVO" in current.detail


def test_transport_claim_fails_on_a_failed_network_finding() -> None:
    claims = _claims(paraphrases.JULI_DE)
    findings = [
        _finding("tls.protocols", Status.PASS),
        _finding("starttls.submission-auth", Status.FAIL),
        _finding("dmarc.policy", Status.FAIL),
    ]
    [result] = _with_findings(claims, findings)
    assert result.status == Status.FAIL and result.severity == Severity.HIGH
    assert "starttls.submission-auth" in result.detail and "dmarc" not in result.detail
    assert result.claim is not None and result.claim.claim_id == "transport-encryption.client-access.enforced"
    assert [o.label for o in result.observations] == ["statement", "starttls.submission-auth"]


def test_transport_claim_passes_only_with_network_evidence() -> None:
    claims = _claims(paraphrases.JULI_EN)
    [ok] = _with_findings(claims, [_finding("tls.protocols", Status.PASS), _finding("mta-sts.mode", Status.WARN)])
    assert ok.status == Status.PASS
    [none] = _with_findings(claims, [_finding("dmarc.policy", Status.PASS)])
    assert none.status == Status.ERROR and "no network evidence to compare" in none.detail
    [errors_only] = _with_findings(claims, [_finding("tls.protocols", Status.ERROR)])
    assert errors_only.status == Status.ERROR


def test_transport_claim_is_not_confirmed_while_some_endpoints_could_not_be_verified() -> None:
    claims = _claims(paraphrases.JULI_DE)
    partly = [_finding("tls.protocols", Status.PASS), _finding("starttls.imap", Status.ERROR)]
    [result] = _with_findings(claims, partly)
    assert result.status == Status.ERROR and "1 of 2" in result.detail
    # The host configuration counts too: a config.transport failure contradicts the promise.
    [offline] = _with_findings(claims, [_finding("config.transport", Status.FAIL)])
    assert offline.status == Status.FAIL


def test_client_access_promise_is_not_contradicted_by_port_25() -> None:
    """Port 25 between mail servers may accept plaintext (RFC 3207); a promise about the users'
    programs speaks about submission, IMAP and POP3 only."""
    claims = _claims(paraphrases.JULI_EN)
    mx = "mx.example.org[192.0.2.2]:25"
    [result] = _with_findings(
        claims, [_finding("starttls.offered", Status.FAIL, mx), _finding("tls.protocols", Status.PASS)]
    )
    assert result.status == Status.PASS
    [result] = _with_findings(claims, [_finding("mta-sts.mode", Status.FAIL, "example.org")])
    assert result.status == Status.ERROR  # nothing about client access was examined


def test_transport_claim_skipped_without_an_encryption_promise() -> None:
    [result] = _with_findings(_claims(paraphrases.MAILGUN_EN), [_finding("tls.protocols", Status.FAIL)])
    assert result.status == Status.SKIPPED


def test_transport_claim_through_the_runner_sees_phase_one_findings() -> None:
    findings = _run("statement.transport-claim", _claims(paraphrases.JULI_DE))
    # only statement checks ran: no TLS/STARTTLS/MTA-STS finding to compare with
    assert [f.status for f in findings] == [Status.ERROR]


def _tls_run(text: str, *scans: TlsScan) -> list[Finding]:
    evidence = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at="2026-11-23T10:00:00+00:00",
        target=Target(domain="example.org"),
        network=True,
        tls=scans,
        claims=_claims(text),
    )
    return evaluate([CHECKS["statement.tls-version"]], evidence)


MIN_TLS = "Unsere Mailprogramme-Zugänge (IMAP, POP3, SMTP-Submission) erlauben nur TLS 1.2 oder höher."


def test_minimum_tls_version_promise_is_read_and_held_against_the_scans() -> None:
    claims = _claims(MIN_TLS)
    assert [(c.kind, c.subject, c.value) for c in claims.claims] == [
        ("transport-encryption", "client-access", "min-tls-1.2")
    ]
    [ok] = _tls_run(MIN_TLS, clean_scan())
    assert ok.status == Status.PASS
    [bad] = _tls_run(MIN_TLS, weak_scan())
    assert bad.status == Status.FAIL and bad.severity == Severity.HIGH and "TLSv1.0" in str(bad.observations)
    # port 25 between mail servers is not what the promise covers
    [skipped] = _tls_run(MIN_TLS, weak_scan(port=25, proto="smtp"))
    assert skipped.status == Status.SKIPPED
    unknown = clean_scan(protocols={"SSLv3": False, "TLSv1.0": None, "TLSv1.1": False, "TLSv1.2": True})
    [error] = _tls_run(MIN_TLS, unknown)
    assert error.status == Status.ERROR


def test_outdated_law_comes_from_the_clause_catalogue() -> None:
    # Sections of a repealed act are outdated too, and the successor is the section's own
    # clause in force where the catalogue knows it (§ 9 TTDSG -> § 9 TDDDG).
    [ttdsg9] = _run("statement.outdated-law", _claims("Verkehrsdaten verarbeiten wir nach § 9 TTDSG."))
    assert ttdsg9.status == Status.FAIL and "9 TDDDG" in ttdsg9.detail and "TDDDG-9" in ttdsg9.clauses
    [tkg96] = _run("statement.outdated-law", _claims("Verkehrsdaten verarbeiten wir nach § 96 TKG."))
    assert tkg96.status == Status.FAIL and "TDDDG-9" in tkg96.clauses
    [tmg] = _run("statement.outdated-law", _claims("Anbieterkennzeichnung nach dem Telemediengesetz."))
    assert tmg.status == Status.FAIL and "TDDDG-19" in tmg.clauses
    [current] = _run("statement.outdated-law", _claims("Wir speichern nach § 12 TDDDG und dem TKG."))
    assert current.status == Status.PASS


def test_outdated_law_names_the_successor_in_the_report_language() -> None:
    evidence = _evidence(_claims("Verkehrsdaten verarbeiten wir nach § 9 TTDSG."))
    [german] = evaluate([CHECKS["statement.outdated-law"]], evidence, lang="de")
    assert german.detail == "die Erklärung zitiert '§ 9 TTDSG', das nicht mehr gilt; stattdessen § 9 TDDDG zitieren"


def test_a_german_report_names_the_statements_categories_and_fields_in_german() -> None:
    """Category, field and event ids of the claims become the report language's names."""
    claims = _claims(
        "Wir speichern die IP-Adresse und den Absender in den Verbindungsdaten. Bestandsdaten löschen wir nach der "
        "Kündigung deines Kontos."
    )
    check = CHECKS["statement.retention-declared"]
    german = {f.subject: f.detail for f in evaluate([check], _evidence(claims), lang="de")}
    assert german["mail-metadata-logs"] == (
        "die Erklärung nennt Mailserver-Protokolle (Verbindungs- und Verkehrsdaten) (IP-Adresse, Absender), gibt "
        "dafür aber keine Speicherdauer an"
    )
    assert german["closed-account-data"] == (
        "die Erklärung bewahrt Daten gekündigter Konten (kein Zeitraum) (nach Schließung des Kontos) auf"
    )
    english = {f.subject: f.detail for f in evaluate([check], _evidence(claims), lang="en")}
    assert "mail server logs (connection and traffic data) (IP address, sender)" in english["mail-metadata-logs"]
