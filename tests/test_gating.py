"""Waivers with expiry, baselines, report diffs, and the TOML config file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from auditor.config import ConfigError, load_config
from auditor.gating import GatingFileError, apply_waivers, diff_reports, known_in_baseline, load_waivers
from auditor.metadata import packaged_metadata
from auditor.models import Severity, Status
from auditor.registry import load_checks
from auditor.report import build_report
from auditor.request import scan_request
from auditor.runner import evaluate, failing
from tests.checks.evidence_factory import evidence, mail_dns, txt


def findings_for(**mail):  # type: ignore[no-untyped-def]
    return evaluate(load_checks(packaged_metadata()), evidence(mail_dns=mail_dns(**mail)))


NO_DMARC = {"dmarc_record": txt("_dmarc.example.org")}


def test_waiver_hides_until_expiry_then_the_finding_returns(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n  - check: dmarc.*\n    target: example.org\n    reason: migration\n    expires: 2026-12-31\n"
    )
    waivers = load_waivers(path)
    active, notes = apply_waivers(findings_for(**NO_DMARC), waivers, date(2026, 11, 23))
    dmarc = next(f for f in active if f.check_id == "dmarc.policy")
    assert dmarc.status == Status.WAIVED and "migration" in (dmarc.waiver or "") and notes == []
    expired, notes = apply_waivers(findings_for(**NO_DMARC), waivers, date(2027, 1, 1))
    dmarc = next(f for f in expired if f.check_id == "dmarc.policy")
    assert dmarc.status == Status.FAIL and "EXPIRED" in (dmarc.waiver or "")
    assert notes and "expired on 2026-12-31" in notes[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- check: x\n  reason: r\n", ":1: waiver lacks expires"),
        ("- check: x\n  reason: r\n  expires: soon\n", "expires must be a date"),
        ("- check: x\n  reason: r\n  expires: 2026-01-01\n  colour: red\n", "unknown waiver key"),
        ("waivers: [\n", "not valid YAML"),
    ],
)
def test_malformed_waivers_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text)
    with pytest.raises(GatingFileError, match=message) as caught:
        load_waivers(path)
    assert str(path) in str(caught.value)


def test_baseline_only_new_findings_fail() -> None:
    ev = evidence(mail_dns=mail_dns(**NO_DMARC))
    checks = load_checks(packaged_metadata())
    baseline = build_report(ev, evaluate(checks, ev), profile="p", lang="en")
    worse = evidence(mail_dns=mail_dns(**NO_DMARC, mta_sts_policy=None, mta_sts_record=txt("_mta-sts.example.org")))
    now = known_in_baseline(evaluate(checks, worse), baseline)
    new_failures = failing(now, Severity.MEDIUM)
    assert [f.check_id for f in new_failures] == ["mta-sts.record"]
    assert next(f for f in now if f.check_id == "dmarc.policy").in_baseline


def test_diff_lists_new_fixed_and_changed() -> None:
    checks = load_checks(packaged_metadata())
    ev_old = evidence(mail_dns=mail_dns(**NO_DMARC))
    ev_new = evidence(mail_dns=mail_dns(spf_record=txt("example.org", "v=spf1 mx ~all")))
    result = diff_reports(
        build_report(ev_old, evaluate(checks, ev_old), profile="p", lang="en"),
        build_report(ev_new, evaluate(checks, ev_new), profile="p", lang="en"),
    )
    assert [f.check_id for f in result.new] == ["spf.record"]
    assert [f.check_id for f in result.fixed] == ["dmarc.policy"]
    changed = diff_reports(
        build_report(ev_old, evaluate(checks, ev_old), profile="p", lang="en"),
        build_report(
            ev_old,
            [
                replace(f, severity=Severity.HIGH) if f.check_id == "dmarc.policy" else f
                for f in evaluate(checks, ev_old)
            ],
            profile="p",
            lang="en",
        ),
    )
    assert [(a.severity, b.severity) for a, b in changed.changed] == [(Severity.MEDIUM, Severity.HIGH)]


def test_config_file_becomes_scan_options(tmp_path: Path) -> None:
    path = tmp_path / "audit.toml"
    path.write_text(
        '[audit]\ndomain = "example.org"\nresolver = "127.0.53.1"\noutputs = ["r.html", "r.sarif"]\n'
        'fail_on = "medium"\nno_network = false\n\n[mail]\nto = ["dpo@example.org"]\n'
        'from = "auditor@example.org"\nserver = "mail.example.org"\nusername = "auditor"\n'
        'password_env = "AUDITOR_SMTP_PW"\n'
    )
    options, mail = load_config(path)
    assert options["output"] == [str(tmp_path / "r.html"), str(tmp_path / "r.sarif")]
    request = scan_request(options, mail)
    assert request.collect.domain == "example.org" and request.collect.network
    assert request.collect.resolver == "127.0.53.1"
    assert request.report.outputs == (tmp_path / "r.html", tmp_path / "r.sarif")
    assert request.report.fail_on is Severity.MEDIUM and request.report.profile.id == "bsi-tr-02102-2"
    assert mail is not None and mail.port == 587 and mail.tls == "starttls" and mail.password_env == "AUDITOR_SMTP_PW"
    assert request.mail is mail


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[audit]\ndomain = "x"\ncolour = "red"\n', ":3: unknown [audit] key 'colour'"),
        ('[audit]\ntimeout = "soon"\n', ":2: timeout has the wrong type"),
        ('[mail]\nto = "a@b"\nfrom = "c@d"\nserver = "s"\npassword = "hunter2"\n', "never put the SMTP password"),
        ("[audit\n", "audit.toml"),
        ("[extra]\n", ":1: unknown section"),
    ],
)
def test_bad_config_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "audit.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)
