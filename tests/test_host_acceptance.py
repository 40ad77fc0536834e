"""Acceptance of issue 5: host evidence against the statement's claims, end to end.

The same scenarios run twice: through ``collect_host`` + the runner (always), and through
the real CLI (``auditor scan --no-network --host-root ... --claims ...``) once the host
checks are registered under the ``auditor.checks`` entry points. The lab's drifted and
compliant host roots (tests/lab/components/40-hostroot.sh) run as lab tests.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import auditor.checks.backup as backup_checks
import auditor.checks.config_transport as transport_checks
import auditor.checks.hashing as hashing_checks
import auditor.checks.inventory as inventory_checks
import auditor.checks.retention as retention_checks
import pytest
from auditor.reports.sarif import render_sarif

from auditor.claims import extract_claims, load_statement, write_claims_yaml
from auditor.cli import main
from auditor.collectors.host.collect import collect_host
from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, Target, evidence_to_json
from auditor.evidence.claims import Claim, ClaimSet
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Severity, Status
from auditor.registry import checks_in_module
from auditor.report import build_report, report_to_json, validate_report_json
from auditor.runner import evaluate
from tests.checks import host_factory as hf
from tests.collectors import hostroot_builder as hb

MODULES = (retention_checks, inventory_checks, hashing_checks, transport_checks, backup_checks)
CHECKS = [c for m in MODULES for c in checks_in_module(m, packaged_metadata())]
HOST_IDS = {c.meta.id for c in CHECKS}
MD5 = "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"
SHA512 = "$6$saltsalt$" + "b" * 86
MAIL_7D = hf.claim("retention", "mail-metadata-logs", period="P7D", fields=("ip-address", "sender", "recipient"))
HASH = hf.claim(
    "hash-scheme",
    "account-data",
    value="SHA512-CRYPT",
    fields=("password-hash",),
    quote="Dein Passwort wird ausschließlich als SHA512-CRYPT-Hash gespeichert.",
)
ACCOUNT = hf.claim(
    "inventory",
    "account-data",
    fields=("name", "e-mail-address", "password-hash", "creation-date"),
    quote="Name, E-Mail-Adresse, Passwort-Hash und Erstellungsdatum.",
)


def _findings(root: Path, claims: ClaimSet) -> list[Finding]:
    host = collect_host(root, collected_at=hb.NOW)
    evidence = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at=hb.NOW.isoformat(),
        target=Target(domain=None, host_root=str(root)),
        network=False,
        host=host,
        claims=claims,
    )
    return evaluate(CHECKS, evidence)


def _by(findings: list[Finding], check_id: str, status: Status | None = None) -> list[Finding]:
    return [f for f in findings if f.check_id == check_id and (status is None or f.status == status)]


@pytest.fixture
def debian(tmp_path: Path) -> Path:
    root = hb.copy_fixture(tmp_path / "root")
    hb.rotated_mail_logs(root)
    hb.dovecot_sqlite(root)
    hb.user_db(root, hashes=(MD5, MD5, SHA512), extra_columns=("phone",))
    return root


def test_a_debian_default_rotation_contradicts_a_seven_day_claim(debian: Path) -> None:
    [mail] = _by(_findings(debian, hf.claims(MAIL_7D)), "retention.mail")
    assert (mail.status, mail.severity) == (Status.FAIL, Severity.HIGH)
    assert "contradicted" in mail.detail
    where = {str(o.location) for o in mail.observations if o.location}
    assert {"/etc/rsyslog.conf:16", "/etc/logrotate.d/rsyslog:8", "/etc/logrotate.d/rsyslog:9"} <= where
    oldest = next(o for o in mail.observations if o.label == "oldest entry")
    assert str(oldest.location) == "/var/log/mail.log.4.gz" and "33 d old" in oldest.value
    assert mail.claim is not None and mail.claim.quote == hf.MAIL_QUOTE
    assert {"GDPR-5-1-e", "GDPR-13-2-a"} <= set(mail.clauses)


def test_b_md5_hashes_and_an_undeclared_phone_column(debian: Path) -> None:
    findings = _findings(debian, hf.claims(HASH, ACCOUNT))
    [weak] = _by(findings, "hashing.scheme", Status.FAIL)
    assert weak.severity == Severity.HIGH and "2 of 3" in weak.detail and "MD5-CRYPT 2" in weak.detail
    db_fails = [f for f in _by(findings, "inventory.undeclared", Status.FAIL) if f.subject.startswith("sqlite://")]
    [phone] = db_fails
    assert phone.id.endswith("#phone") and phone.severity == Severity.MEDIUM and "mailbox.phone" in phone.detail
    shown = json.dumps([f.detail for f in findings] + [o.value for f in findings for o in f.observations])
    assert "qjXMvbEw8oaL" not in shown and "saltsalt" not in shown


def test_c_symlinks_stay_inside_and_bad_files_are_error_findings(tmp_path: Path, debian: Path) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$outside-secret$xyz:19000::::::\n")
    (debian / "etc/rsyslog.conf").unlink()
    os.symlink(str(secret), debian / "etc/rsyslog.conf")  # absolute target: the snapshot's /…/shadow, absent
    os.symlink("../../../../shadow", debian / "etc/logrotate.d/escape")  # climbs out of the root: refused
    os.symlink("../../shadow", debian / "var/log/mail.log.9.gz")
    os.mkfifo(debian / "var/log/mail.log.8.gz")
    (debian / "etc/postfix/main.cf").write_text("garbage without equals sign\n")
    findings = _findings(debian, hf.claims(MAIL_7D, HASH))
    errors = [f for f in findings if f.status == Status.ERROR]
    assert any(f.check_id == "config.transport" and "main.cf:1" in f.detail for f in errors)
    assert any(f.check_id == "retention.mail" and "rsyslog.conf" in f.detail for f in errors)
    assert any(f.check_id == "retention.mail" and "mail.log.8.gz" in f.detail for f in errors)
    text = json.dumps([(f.detail, [o.value for o in f.observations]) for f in findings])
    assert "outside-secret" not in text


def _config_repo(root: Path, level: str) -> Path:
    """A configuration repository: only Postfix files, submission's TLS level as given."""
    hb.write(
        root,
        "/etc/postfix/main.cf",
        "smtpd_tls_security_level = may\nsmtpd_tls_protocols = >=TLSv1.2\nsmtpd_tls_mandatory_protocols = >=TLSv1.2\n",
    )
    master = (
        f"submission inet n - y - - smtpd\n  -o smtpd_tls_security_level={level}\n  -o smtpd_sasl_auth_enable=yes\n"
    )
    hb.write(root, "/etc/postfix/master.cf", master)
    return root


def test_sarif_and_json_reports_point_at_the_offending_config_lines(tmp_path: Path) -> None:
    root = _config_repo(tmp_path / "repo", "may")
    host = collect_host(root, collected_at=hb.NOW)
    evidence = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at=hb.NOW.isoformat(),
        target=Target(domain=None, host_root=str(root)),
        network=False,
        host=host,
    )
    findings = evaluate(CHECKS, evidence)
    report = build_report(evidence, findings, profile="bsi-tr-02102-2", lang="en")
    validate_report_json(json.loads(report_to_json(report)))
    results = json.loads(render_sarif(report))["runs"][0]["results"]
    first = [r["locations"][0]["physicalLocation"] for r in results if r["ruleId"] == "config.transport"]
    assert {"uri": "etc/postfix/master.cf", "uriBaseId": "HOSTROOT"} in [p["artifactLocation"] for p in first]
    assert ("etc/postfix/master.cf", 2) in {(p["artifactLocation"]["uri"], p["region"]["startLine"]) for p in first}
    fixed = collect_host(_config_repo(tmp_path / "fixed", "encrypt"), collected_at=hb.NOW)
    assert [f.status for f in evaluate(CHECKS, replace(evidence, host=fixed)) if f.check_id == "config.transport"] == [
        Status.PASS
    ]


def _claims_file(path: Path, *claims: Claim) -> Path:
    write_claims_yaml(hf.claims(*claims), path)
    return path


def _cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return int(exit_info.value.code or 0)


def test_cli_scan_of_a_host_root(tmp_path: Path, debian: Path) -> None:
    out = tmp_path / "report.json"
    claims = _claims_file(tmp_path / "claims.yaml", MAIL_7D, HASH, ACCOUNT)
    code = _cli(
        [
            "scan",
            "--no-network",
            "--host-root",
            str(debian),
            "--claims",
            str(claims),
            "--fail-on",
            "high",
            "-o",
            str(out),
        ]
    )
    report: dict[str, Any] = json.loads(out.read_text())
    got = {(f["check_id"], f["status"], f["severity"]) for f in report["findings"]}
    assert ("retention.mail", "fail", "high") in got and ("hashing.scheme", "fail", "high") in got
    assert ("inventory.undeclared", "fail", "medium") in got
    assert code == 1
    assert "qjXMvbEw8oaL" not in out.read_text() and "S3cr3t-DB-Passw0rd" not in out.read_text()


def test_cli_gates_ci_on_a_config_repository(tmp_path: Path) -> None:
    repo = _config_repo(tmp_path / "repo", "may")
    sarif = tmp_path / "out.sarif"
    assert _cli(["scan", "--host-root", str(repo), "--no-network", "--fail-on", "high", "-o", str(sarif)]) == 1
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    first = [
        r["locations"][0]["physicalLocation"]
        for r in results
        if r["ruleId"] == "config.transport" and r["level"] == "error"
    ]
    assert ("etc/postfix/master.cf", 2) in {(p["artifactLocation"]["uri"], p["region"]["startLine"]) for p in first}
    _config_repo(repo, "encrypt")
    assert _cli(["scan", "--host-root", str(repo), "--no-network", "--fail-on", "high", "-o", str(sarif)]) == 0


def _lab_claims(statement: Path) -> ClaimSet:
    """The lab statement's promises as a reviewed claims file would hold them (quotes from the text)."""
    text = " ".join(statement.read_text(encoding="utf-8").split())

    def quote(start: str, end: str) -> str:
        i = text.index(start)
        return text[i : text.index(end, i) + len(end)]

    logs = quote("Die Verbindungsdaten gesendeter", "Zeitpunkt der Zustellung.")
    web = quote("Unser Webmail-Zugang", "sieben Tage auf.")
    account = quote("Für Dein Postfach speichern wir", "Erstellungsdatum des Kontos.")
    backup = quote("Löschst Du eine E-Mail", "Datensicherung entfernt.")
    enforced = quote("Für den Abruf und Versand", "verschlüsselte Verbindung.")
    return ClaimSet(
        source=str(statement),
        sha256="0" * 64,
        language="de",
        claims=(
            hf.claim(
                "retention",
                "mail-metadata-logs",
                period="P7D",
                quote=logs,
                fields=("ip-address", "sender", "recipient", "timestamp"),
            ),
            hf.claim("retention", "webmail-logs", period="P7D", quote=web, fields=("ip-address", "url", "user-agent")),
            hf.claim(
                "inventory",
                "account-data",
                quote=account,
                fields=("name", "e-mail-address", "forwards", "alternative-address", "password-hash", "creation-date"),
            ),
            hf.claim("hash-scheme", "account-data", value="SHA512-CRYPT", quote=account, fields=("password-hash",)),
            hf.claim("backup", "mailboxes", period="P1D", quote=backup),
            hf.claim("transport-encryption", "client-access", value="enforced", quote=enforced),
        ),
    )


def _lab_statement(statement: Path, how: str) -> ClaimSet:
    """``reviewed``: the hand-checked claims; ``extracted``: what ``--statement`` reads from the text."""
    return _lab_claims(statement) if how == "reviewed" else extract_claims(load_statement(str(statement)))


@pytest.mark.lab
@pytest.mark.parametrize("how", ["reviewed", "extracted"])
def test_lab_drifted_host_contradicts_the_statement(lab, how: str) -> None:  # type: ignore[no-untyped-def]
    info = lab.data["hostroot"]
    findings = _findings(Path(info["drifted"]), _lab_statement(Path(info["statement_de"]), how))
    failed = {f.check_id for f in findings if f.status == Status.FAIL and f.severity.at_least(Severity.HIGH)}
    assert {
        "retention.mail",
        "retention.webmail",
        "retention.journal",
        "hashing.scheme",
        "config.transport",
        "backup.retention",
    } <= failed
    phone = [f for f in _by(findings, "inventory.undeclared", Status.FAIL) if f.id.endswith("#phone")]
    assert phone and phone[0].severity == Severity.MEDIUM
    evidence_json = evidence_to_json(
        Evidence(
            schema_version=EVIDENCE_SCHEMA_VERSION,
            collected_at=hb.NOW.isoformat(),
            target=Target(domain=None),
            network=False,
            host=collect_host(Path(info["drifted"]), collected_at=hb.NOW),
        )
    )
    shown = json.dumps([(f.detail, [o.value for o in f.observations]) for f in findings]).encode() + evidence_json
    for secret in info["planted_secrets"]:
        assert secret.encode() not in shown


@pytest.mark.lab
@pytest.mark.parametrize("how", ["reviewed", "extracted"])
def test_lab_compliant_host_has_no_host_failure(lab, how: str) -> None:  # type: ignore[no-untyped-def]
    info = lab.data["hostroot"]
    findings = _findings(Path(info["compliant"]), _lab_statement(Path(info["statement_de"]), how))
    failed = [(f.check_id, f.subject, f.detail) for f in findings if f.status == Status.FAIL]
    assert failed == []
    assert {f.check_id for f in findings if f.status == Status.PASS} >= {
        "retention.mail",
        "retention.webmail",
        "hashing.scheme",
        "config.transport",
        "backup.retention",
    }
    assert all(f.check_id in HOST_IDS for f in findings)


def test_cli_waivers_and_baseline_gate_only_what_is_new_or_expired(tmp_path: Path) -> None:
    """Issue 6 acceptance: an expired waiver does not hide its finding; a baseline makes only
    new findings fail. Run in a throwaway git repository, as a CI job would."""
    repo = _config_repo(tmp_path / "repo", "may")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    base = ["scan", "--host-root", str(repo), "--no-network", "--fail-on", "high"]
    baseline = tmp_path / "baseline.json"
    assert _cli([*base, "-o", str(baseline)]) == 1
    # Accepted as the baseline: the same findings no longer fail the run ...
    assert _cli([*base, "--baseline", str(baseline), "-o", str(tmp_path / "b.json")]) == 0
    # ... but a new defect (TLS 1.0 allowed again) does.
    main_cf = repo / "etc/postfix/main.cf"
    main_cf.write_text(main_cf.read_text().replace(">=TLSv1.2", ">=TLSv1"))
    assert _cli([*base, "--baseline", str(baseline), "-o", str(tmp_path / "c.json")]) == 1
    new = [
        f
        for f in json.loads((tmp_path / "c.json").read_text())["findings"]
        if f["status"] == "fail" and not f["in_baseline"]
    ]
    assert new and all(f["check_id"] == "config.transport" for f in new)

    waivers = tmp_path / "waivers.yaml"
    for expires, code, status in (("2099-12-31", 0, "waived"), ("2020-01-01", 1, "fail")):
        waivers.write_text(
            f"- check: config.transport\n  target: '*'\n  reason: migration ticket 42\n  expires: {expires}\n"
        )
        out = tmp_path / f"w-{expires}.json"
        assert _cli([*base, "--waivers", str(waivers), "-o", str(out)]) == code
        report = json.loads(out.read_text())
        transport = [f for f in report["findings"] if f["check_id"] == "config.transport" and f["status"] != "pass"]
        assert transport and {f["status"] for f in transport} == {status}
        assert all("migration ticket 42" in (f["waiver"] or "") for f in transport)
        if status == "fail":
            assert any("expired on 2020-01-01" in note for note in report["notes"])


@pytest.mark.lab
def test_lab_not_logged_promise_meets_the_real_log_formats(lab) -> None:  # type: ignore[no-untyped-def]
    """A statement saying IP addresses are not logged is contradicted by the drifted host's
    real nginx/Postfix/Roundcube logs, which record client addresses (planted defect found);
    the same host with the true claims gives no such finding."""
    info = lab.data["hostroot"]
    claims = _lab_statement(Path(info["statement_de"]), "reviewed")
    no_ips = hf.claim("none-stored", "ip-addresses", quote="Wir speichern keine IP-Adressen.")
    promised = ClaimSet(source=claims.source, sha256=claims.sha256, language="de", claims=(*claims.claims, no_ips))
    [contradicted] = _by(_findings(Path(info["drifted"]), promised), "inventory.not-stored", Status.FAIL)
    assert contradicted.severity == Severity.HIGH and "record the client address" in contradicted.detail
    truthful = _findings(Path(info["compliant"]), claims)
    assert [f.status for f in truthful if f.check_id == "inventory.not-stored"] == [Status.SKIPPED]
