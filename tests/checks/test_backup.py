"""backup.retention on evidence fixtures."""

from __future__ import annotations

from pathlib import Path

import auditor.checks.backup as backup_checks

from auditor.collectors.host.readers.backups import read_backups
from auditor.collectors.host.root import HostRoot
from auditor.evidence.claims import Claim
from auditor.evidence.host import HostError, HostEvidence
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Location, Severity, Status
from auditor.registry import checks_in_module
from auditor.runner import evaluate
from tests.checks import host_factory as hf

CHECK = checks_in_module(backup_checks, packaged_metadata())[0]
ONE_DAY = hf.claim(
    "backup", "mailboxes", period="P1D", quote="Gelöschte Mails werden einen Tag später aus dem Backup gelöscht."
)


def _run(host: HostEvidence, *claims: Claim) -> list[Finding]:
    return evaluate([CHECK], hf.evidence(host, hf.claims(*claims)))


def test_keeping_seven_dailies_contradicts_one_day() -> None:
    findings = _run(hf.host(backups=hf.backups(hf.borgmatic(7))), ONE_DAY)
    assert [(f.status, f.severity) for f in findings] == [(Status.FAIL, Severity.HIGH)]
    assert "7 d" in findings[0].detail and findings[0].claim is not None
    assert any(o.location == Location(path="/etc/borgmatic/config.yaml", line=23) for o in findings[0].observations)
    assert set(CHECK.meta.clauses) >= {"GDPR-17", "GDPR-5-1-e"}


def test_one_daily_is_consistent() -> None:
    assert [f.status for f in _run(hf.host(backups=hf.backups(hf.borgmatic(1))), ONE_DAY)] == [Status.PASS]


def test_dry_run_prune_keeps_forever() -> None:
    findings = _run(hf.host(backups=hf.backups(hf.borgmatic(1, effective=False))), ONE_DAY)
    assert findings[0].status == Status.FAIL and "dry run" in findings[0].detail


def test_no_backup_configuration_is_unverifiable() -> None:
    findings = _run(hf.host(backups=hf.backups()), ONE_DAY)
    assert [f.status for f in findings] == [Status.ERROR]


def test_backups_without_a_stated_period_are_undeclared() -> None:
    place = hf.claim("backup", "backups", value="separate-server", quote="Backups liegen auf einem eigenen Server.")
    findings = _run(hf.host(backups=hf.backups(hf.borgmatic(7))), place)
    assert [(f.status, f.severity) for f in findings] == [(Status.FAIL, Severity.MEDIUM)]


def test_unreadable_backup_config_is_an_error_finding() -> None:
    unreadable = HostError("backup", "/etc/rsnapshot.conf: permission denied")
    host = hf.host(backups=hf.backups(hf.borgmatic(1)), errors=(unreadable,))
    statuses = sorted(f.status.value for f in _run(host, ONE_DAY))
    assert statuses == ["error", "pass"]


def _borgmatic_keeping(tmp_path: Path, rule: str) -> HostEvidence:
    """Host evidence read by the real reader from a borgmatic config with one keep rule."""
    config = tmp_path / "etc" / "borgmatic" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"repositories:\n  - path: /backup/repo\n{rule}\n", encoding="utf-8")
    return hf.host(backups=read_backups(HostRoot(tmp_path)))


def test_keep_within_one_month_equals_a_one_month_claim(tmp_path: Path) -> None:
    # Calendar periods compare as periods: borgmatic's "1m" is the statement's "one month".
    one_month = hf.claim("backup", "mailboxes", period="P1M", quote="Backups werden nach einem Monat gelöscht.")
    findings = _run(_borgmatic_keeping(tmp_path, "keep_within: 1m"), one_month)
    assert [f.status for f in findings] == [Status.PASS]


def test_keep_monthly_one_equals_a_one_month_claim(tmp_path: Path) -> None:
    one_month = hf.claim("backup", "mailboxes", period="P1M", quote="Backups werden nach einem Monat gelöscht.")
    findings = _run(_borgmatic_keeping(tmp_path, "keep_monthly: 1"), one_month)
    assert [f.status for f in findings] == [Status.PASS]


def test_keep_within_one_month_contradicts_four_weeks(tmp_path: Path) -> None:
    four_weeks = hf.claim("backup", "mailboxes", period="P28D", quote="Backups werden nach vier Wochen gelöscht.")
    findings = _run(_borgmatic_keeping(tmp_path, "keep_within: 1m"), four_weeks)
    assert [(f.status, f.severity) for f in findings] == [(Status.FAIL, Severity.HIGH)]
