"""German reports say the collectors' TLS and host texts in German (issue 12, item 6).

The vulnerability probe outcomes, the graded items of a certificate and key exchange, the
TLS scan's own errors, the retention basis of log targets, backup caveats and the reason a
database was not examined reach findings as messages. Here they are produced by the
collectors themselves (probes decided without a connection, host roots read from disk),
evaluated with ``lang="de"``, and no English sentence of these families may be left.
"""

from __future__ import annotations

import string
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import auditor.checks.backup as backup_checks
import auditor.checks.retention as retention_checks
import auditor.checks.tls as tls_checks
import pytest

from auditor.collectors.tls.vulns import run_vulnerabilities
from auditor.evidence import evidence_from_json, evidence_to_json
from auditor.evidence.backup import BackupConfig, BackupRetention
from auditor.evidence.host import HostEvidence, UserDatabase
from auditor.evidence.tls import TLS12, TLS13, VulnResult
from auditor.messages import render, templates
from auditor.metadata import packaged_metadata
from auditor.models import Finding, msg
from auditor.registry import checks_in_module
from auditor.runner import evaluate
from tests.checks import evidence_factory as ef
from tests.checks import host_factory as hf
from tests.checks.test_tls import clean_scan, weak_scan
from tests.hostroots import assemble

#: Message families whose English must not show in a German report.
PREFIXES = ("tls.vuln.d.", "tls.item.", "tls.rating.", "tls.scan.", "logs.basis.", "backup.caveat.", "inventory.db.")


def english_fragments() -> set[str]:
    """The literal English text of every message of these families (between placeholders, 8+ chars)."""
    found: set[str] = set()
    for key, forms in templates().items():
        if not key.startswith(PREFIXES):
            continue
        for literal, _, _, _ in string.Formatter().parse(forms["en"]):
            for part in literal.replace("(", ":").replace(")", ":").split(":"):
                part = part.strip(" ;,'")
                if len(part) >= 8 and part not in forms["de"]:
                    found.add(part)
    return found


ENGLISH = english_fragments()


def texts(findings: list[Finding]) -> list[str]:
    out = []
    for f in findings:
        out.append(f.detail)
        out += [f"{o.label}: {o.value}" for o in f.observations]
    return out


def english_left(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(frag, text[:200]) for text in texts(findings) for frag in ENGLISH if frag in text]


def test_the_families_have_english_to_look_for() -> None:
    assert len(ENGLISH) > 30
    assert "only TLS 1.3 is accepted" in ENGLISH and "nothing removes old lines" in ENGLISH


def _probe_results(protocols: dict[str, bool | None]) -> tuple[VulnResult, ...]:
    """The probe outcomes as the collector writes them where no connection is needed."""
    info: Any = SimpleNamespace(state=SimpleNamespace(connections=0))
    return run_vulnerabilities(info, protocols, {}, None, None)


def test_tls_findings_in_german_carry_no_english_collector_text() -> None:
    only13 = _probe_results({TLS13: True})
    assert {v.status for v in only13} == {"ok", "not-applicable"}
    scanned = clean_scan(vulnerabilities=only13, errors=(msg("tls.scan.no-version"),))
    broken = weak_scan(
        vulnerabilities=(VulnResult("robot", "error", msg("tls.vuln.d.no-shared-suite")),),
        errors=(msg("tls.scan.sha1-problem", version=TLS12, problem="timeout"),),
        incomplete=(f"signatures:{TLS12}",),
        sha1_signatures=None,
    )
    checks = checks_in_module(tls_checks, packaged_metadata())
    findings = [f for one in (scanned, broken) for f in evaluate(checks, ef.evidence(tls=(one,)), lang="de")]
    assert findings and not english_left(findings), english_left(findings)
    shown = "\n".join(texts(findings))
    assert "nur TLS 1.3 wird angenommen" in shown and "Signatur Nr. 0 sha256WithRSAEncryption" in shown
    assert "Schlüssel des Serverzertifikats RSA 2048 Bit" in shown
    # the English report is unchanged
    english = "\n".join(texts(evaluate(checks, ef.evidence(tls=(scanned,)), lang="en")))
    assert "TLS 1.3 is accepted, so the TLS library post-dates Heartbleed" in english
    assert "leaf key RSA 2048 bit" in english and "signature #0 sha256WithRSAEncryption" in english


def test_plain_strings_of_older_bundles_still_render() -> None:
    old = clean_scan(vulnerabilities=(VulnResult("heartbleed", "ok", "TLS 1.3 accepted"),), errors=("some old error",))
    checks = checks_in_module(tls_checks, packaged_metadata())
    findings = evaluate(checks, ef.evidence(tls=(old,)), lang="de")
    assert any("TLS 1.3 accepted" in t for t in texts(findings))


def _roots(tmp_path: Path) -> list[tuple[Path, Any]]:
    roots: list[tuple[Path, Any]] = []
    for manifest in assemble.manifests():
        if "corpus" in manifest.sources and not assemble.CORPUS.is_dir():
            continue
        roots.append((assemble.assemble(manifest, tmp_path / manifest.name), assemble.claims(manifest)))
    return roots


def test_host_findings_in_german_carry_no_english_collector_text(tmp_path: Path) -> None:
    roots = _roots(tmp_path)
    if not roots:
        pytest.skip("no host root without the shared corpus")
    findings: list[Finding] = []
    for root, claim_set in roots:
        findings += assemble.audit(root, claim_set, lang="de")
    assert findings and not english_left(findings), english_left(findings)


def test_journald_and_backup_texts_in_german() -> None:
    journal = replace(
        hf.debian_mail_target("/var/log/journal"),
        route="journald",
        routed_by=(),
        retention_days=None,
        unbounded=True,
        basis=msg("logs.basis.no-max-retention"),
        retention_sources=(),
        kind="stream",
    )
    family = hf.family("journal", journal)
    retention = BackupRetention(
        "borgmatic", "/etc/borgmatic/config.yaml", 3, (), None, True, False, (msg("backup.caveat.dry-run"),)
    )
    host = hf.host(logs=(family,), backups=BackupConfig((retention,), ("/etc/borgmatic/config.yaml",)))
    checks = checks_in_module(retention_checks, packaged_metadata()) + checks_in_module(
        backup_checks, packaged_metadata()
    )
    findings = evaluate(checks, hf.evidence(host, hf.claims()), lang="de")
    shown = "\n".join(texts(findings))
    assert "kein MaxRetentionSec" in shown and "Probelauf (-n/--dry-run)" in shown
    assert not english_left(findings), english_left(findings)


def test_messages_in_evidence_round_trip_through_the_bundle() -> None:
    tls = clean_scan(
        vulnerabilities=(
            VulnResult("fallback-scsv", "not-applicable", msg("tls.vuln.d.no-lower-version", version=TLS12)),
        ),
        errors=(msg("tls.scan.groups-problem", version=TLS13, problem="timeout"), "an old plain error"),
    )
    target = replace(hf.debian_mail_target(), basis=msg("logs.basis.no-rule", path="/var/log/mail.log"))
    retention = BackupRetention(
        "restic", "/etc/restic.env", 1, (), None, True, True, (msg("backup.caveat.run-by", job="cron"), "plain")
    )
    db = UserDatabase("mysql://postfix@127.0.0.1/postfix", "mysql", error=msg("inventory.db.credentials-needed"))
    host: HostEvidence = hf.host(
        logs=(hf.family("mail", target),),
        backups=BackupConfig((retention,), ()),
        databases=(db,),
    )
    bundle = replace(ef.evidence(tls=(tls,)), host=host)
    again = evidence_from_json(evidence_to_json(bundle))
    assert again == bundle
    assert again.tls[0].vulnerabilities[0].detail == msg("tls.vuln.d.no-lower-version", version=TLS12)
    assert again.host is not None and again.host.logs[0].targets[0].basis == target.basis
    assert render(again.host.databases[0].error or "", "de").startswith("Zugangsdaten nötig")
