"""retention.<family> on evidence fixtures: contradicted, consistent, unverifiable, undeclared, skipped."""

from __future__ import annotations

from dataclasses import replace

import auditor.checks.retention as retention_checks

from auditor.evidence.claims import Claim
from auditor.evidence.host import HostError, HostEvidence, LogFamily, LogTarget
from auditor.evidence.settings import SourceRef
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Location, Severity, Status
from auditor.registry import checks_in_module
from auditor.runner import evaluate
from tests.checks import host_factory as hf

CHECKS = {c.meta.id: c for c in checks_in_module(retention_checks, packaged_metadata())}
MAIL_7D = hf.claim("retention", "mail-metadata-logs", period="P7D", fields=("ip-address", "sender", "recipient"))


def _run(check_id: str, host: HostEvidence, *claims: Claim) -> list[Finding]:
    return evaluate([CHECKS[check_id]], hf.evidence(host, hf.claims(*claims)))


def _one(check_id: str, host: HostEvidence, *claims: Claim) -> Finding:
    found = [f for f in _run(check_id, host, *claims) if not f.id.endswith("#read-errors")]
    assert len(found) == 1, found
    return found[0]


def _locations(finding: Finding) -> set[str]:
    return {str(o.location) for o in finding.observations if o.location is not None}


def test_every_family_is_a_check_with_packaged_metadata() -> None:
    assert set(CHECKS) == {f"retention.{f}" for f in ("mail", "web-access", "webmail", "cloud", "auth", "journal")}
    for item in CHECKS.values():
        assert item.meta.severity == Severity.HIGH
        assert {"GDPR-5-1-e", "GDPR-13-2-a"} <= set(item.meta.clauses)
        assert item.meta.remediation["de"] and item.meta.description


def test_debian_weekly_rotate_4_contradicts_a_seven_day_claim() -> None:
    fam = hf.family(
        "mail",
        hf.debian_mail_target("/var/log/syslog", 13),
        hf.debian_mail_target(),
        oldest="2026-10-21T10:00:00+00:00",
        oldest_file="/var/log/mail.log.4.gz",
    )
    finding = _one("retention.mail", hf.host(logs=(fam,)), MAIL_7D)
    assert finding.status == Status.FAIL and finding.severity == Severity.HIGH
    assert "contradicted" in finding.detail and "35 d" in finding.detail and "33 d old" in finding.detail
    assert {
        "/etc/rsyslog.conf:16",
        "/etc/rsyslog.conf:13",
        "/etc/logrotate.d/rsyslog:8",
        "/etc/logrotate.d/rsyslog:9",
        "/var/log/mail.log.4.gz",
    } <= _locations(finding)
    oldest = [o for o in finding.observations if o.label == "oldest entry"]
    assert oldest and oldest[0].value.startswith("2026-10-21T10:00:00")
    assert finding.claim is not None and finding.claim.quote == hf.MAIL_QUOTE
    assert "GDPR-5-1-e" in finding.clauses and finding.remediation


def test_config_within_but_old_lines_on_disk_still_contradict() -> None:
    fam = hf.family(
        "mail",
        hf.daily_target("/var/log/mail.log"),
        oldest="2026-10-21T10:00:00+00:00",
        oldest_file="/var/log/mail.log.30.gz",
    )
    finding = _one("retention.mail", hf.host(logs=(fam,)), MAIL_7D)
    assert finding.status == Status.FAIL
    assert "logs on disk" in finding.detail and "configuration" not in finding.detail.split(":")[0]


def test_daily_rotate_6_and_young_logs_are_consistent() -> None:
    fam = hf.family(
        "mail",
        hf.daily_target("/var/log/mail.log"),
        oldest="2026-11-16T12:00:00+00:00",
        oldest_file="/var/log/mail.log.6.gz",
    )
    finding = _one("retention.mail", hf.host(logs=(fam,)), MAIL_7D)
    assert finding.status == Status.PASS and "consistent" in finding.detail


def test_unbounded_configuration_contradicts_even_without_logs_on_disk() -> None:
    target = LogTarget(
        "/var/log/roundcube/userlogins.log",
        (SourceRef("/etc/roundcube/config.inc.php", 7),),
        "log_dir",
        None,
        True,
        "no logrotate rule matches: nothing removes old lines",
    )
    fam = hf.family("webmail", target)
    webmail = hf.claim("retention", "webmail-logs", period="P7D", quote="Webmail-Logs sieben Tage.")
    finding = _one("retention.webmail", hf.host(logs=(fam,)), webmail)
    assert finding.status == Status.FAIL and "unbounded" in finding.detail
    assert "/etc/roundcube/config.inc.php:7" in _locations(finding)


def test_neither_configuration_nor_disk_known_is_unverifiable() -> None:
    target = LogTarget("/run/log/journal", (), "journald", None, False, "Storage=volatile")
    fam = LogFamily("journal", True, (target,), hf.observed("journal", None))
    finding = _one("retention.journal", hf.host(logs=(fam,)), MAIL_7D)
    assert finding.status == Status.ERROR and "unverifiable" in finding.detail


def test_statement_without_a_period_for_the_family_is_undeclared() -> None:
    fam = hf.family("auth", hf.daily_target("/var/log/auth.log"), fields=("user-name",))
    finding = _one("retention.auth", hf.host(logs=(fam,)))
    assert finding.status == Status.FAIL and finding.severity == Severity.MEDIUM
    assert "not declared" in finding.detail


def test_undeclared_ip_logs_kept_without_limit_are_high() -> None:
    target = LogTarget(
        "/var/log/nginx/access.log",
        (SourceRef("/etc/nginx/nginx.conf", 12),),
        "access_log",
        None,
        True,
        "no logrotate rule",
    )
    fam = hf.family("web-access", target, fields=("ip-address", "user-agent"))
    finding = _one("retention.web-access", hf.host(logs=(fam,)))
    assert finding.status == Status.FAIL and finding.severity == Severity.HIGH


def test_web_access_prefers_the_web_server_claim_over_the_webmail_one() -> None:
    fam = hf.family(
        "web-access",
        hf.daily_target("/var/log/nginx/access.log", rotate=13),
        oldest="2026-11-12T10:00:00+00:00",
        oldest_file="/var/log/nginx/access.log.11.gz",
    )
    webmail = hf.claim("retention", "webmail-logs", period="P7D", quote="Webmail sieben Tage.")
    web = hf.claim("retention", "web-access-logs", period="P14D", quote="Webserver 14 Tage.")
    finding = _one("retention.web-access", hf.host(logs=(fam,)), webmail, web)
    assert finding.status == Status.PASS and finding.claim is not None and finding.claim.quote == "Webserver 14 Tage."


def test_event_period_cannot_be_compared() -> None:
    fam = hf.family("mail", hf.debian_mail_target())
    claim = hf.claim("retention", "mail-metadata-logs", period="until-deleted")
    finding = _one("retention.mail", hf.host(logs=(fam,)), claim)
    assert finding.status == Status.ERROR and "event" in finding.detail


def test_family_absent_from_the_host_is_skipped() -> None:
    finding = _one("retention.cloud", hf.host(logs=(LogFamily("cloud", False),)), MAIL_7D)
    assert finding.status == Status.SKIPPED


def test_read_errors_become_error_findings_next_to_the_verdict() -> None:
    fam = hf.family("mail", hf.debian_mail_target(), errors=("/var/log/mail.log.2.gz: not a regular file (FIFO)",))
    host = hf.host(logs=(fam,), errors=(HostError("logs", "/etc/logrotate.d/rsyslog:3: rotate needs a number"),))
    findings = _run("retention.mail", host, MAIL_7D)
    errors = [f for f in findings if f.status == Status.ERROR]
    assert len(errors) == 1 and "FIFO" in errors[0].detail and "logrotate.d/rsyslog:3" in errors[0].detail
    assert any(f.status == Status.FAIL for f in findings)


def test_without_a_statement_the_engine_skips() -> None:
    fam = hf.family("mail", hf.debian_mail_target())
    findings = evaluate([CHECKS["retention.mail"]], hf.evidence(hf.host(logs=(fam,)), None))
    assert [f.status for f in findings] == [Status.SKIPPED]


def test_observation_locations_are_file_and_line() -> None:
    fam = hf.family("mail", hf.debian_mail_target())
    finding = _one("retention.mail", hf.host(logs=(fam,)), MAIL_7D)
    route = next(o for o in finding.observations if o.label == "written to")
    assert route.location == Location(path="/etc/rsyslog.conf", line=16)


def test_young_logs_with_unknown_configuration_are_unverifiable_not_consistent() -> None:
    # A young oldest entry does not show that anything deletes the logs.
    unknown = replace(hf.daily_target("/var/log/mail.log"), retention_days=None, basis="no rotation rule found")
    fam = hf.family("mail", unknown, oldest="2026-11-21T10:00:00+00:00", oldest_file="/var/log/mail.log")
    finding = _one("retention.mail", hf.host(logs=(fam,)), MAIL_7D)
    assert finding.status == Status.ERROR and "configured retention unknown" in finding.detail


def test_the_german_finding_is_german_throughout() -> None:
    fam = hf.family(
        "mail",
        hf.debian_mail_target("/var/log/syslog", 13),
        hf.debian_mail_target(),
        oldest="2026-10-21T10:00:00+00:00",
        oldest_file="/var/log/mail.log.4.gz",
    )
    evidence = hf.evidence(hf.host(logs=(fam,)), hf.claims(MAIL_7D))
    [german] = [f for f in evaluate([CHECKS["retention.mail"]], evidence, lang="de") if "read-errors" not in f.id]
    [english] = [f for f in evaluate([CHECKS["retention.mail"]], evidence) if "read-errors" not in f.id]
    assert german.message == english.message and german.message is not None  # one key, two languages
    assert german.detail.startswith("widerlegt durch") and "bei der Erhebung 33 d alt" in german.detail
    labels = {str(o.label) for o in german.observations}
    assert {"geschrieben nach", "konfigurierte Aufbewahrung", "ältester Eintrag", "Erklärung"} <= labels
    for english_word in ("contradicted", "configured retention", "oldest entry", "written to", " old at "):
        assert english_word not in german.detail + " ".join(f"{o.label} {o.value}" for o in german.observations)
