"""The command line as a user meets it: exit codes, reports, offline re-evaluation.

Lab acceptance for the MTA-STS family lives here: each lab variant domain carries one
defect and must be reported with the right check, status, severity and clauses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.exitcodes import ExitCode
from auditor.report import validate_report_json


def run_cli(*argv: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    return int(exited.value.code or 0)


def lab_scan(lab, domain: str, tmp_path: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    out = tmp_path / f"{domain}.json"
    code = run_cli(
        "scan",
        domain,
        "--resolver",
        lab.resolver,
        "--ca-file",
        str(lab.ca_file),
        "--timeout",
        "30",
        "--only",
        "mta-sts.*",
        "--only",
        "tls-rpt.*",
        "--only",
        "spf.*",
        "--only",
        "dmarc.*",
        "-o",
        str(out),
        "-q",
        *extra,
    )
    report = json.loads(out.read_text())
    validate_report_json(report)
    return code, report


def by_check(report: dict) -> dict[str, list[dict]]:
    result: dict[str, list[dict]] = {}
    for finding in report["findings"]:
        result.setdefault(finding["check_id"], []).append(finding)
    return result


def test_correct_policy_passes(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, report = lab_scan(lab, "good.lab.test", tmp_path)
    assert code == ExitCode.OK
    statuses = {f["status"] for f in report["findings"]}
    assert statuses <= {"pass", "skipped"}, report["findings"]
    assert report["summary"]["verdict"] == "pass"


@pytest.mark.parametrize(
    ("variant", "check_id", "status", "severity", "clause"),
    [
        ("testing", "mta-sts.mode", "fail", "medium", "GDPR-32-1-a"),
        ("mxmissing", "mta-sts.mx-coverage", "fail", "high", "GDPR-32-1-b"),
        ("expired", "mta-sts.policy", "fail", "high", "GDPR-32-1-a"),
        ("untrusted", "mta-sts.policy", "fail", "high", "GDPR-32-1-a"),
        ("notlsrpt", "tls-rpt.record", "fail", "medium", "BSI-TR-03108"),
        ("nodmarc", "dmarc.policy", "fail", "medium", "GDPR-5-1-f"),
        ("weakdmarc", "dmarc.policy", "warn", "medium", "GDPR-5-1-f"),
        ("nomtasts", "mta-sts.record", "fail", "medium", "DSK-OH-EMAIL-2021"),
        ("badpolicy", "mta-sts.policy", "fail", "medium", "GDPR-32-1-a"),
        ("maxage", "mta-sts.max-age", "fail", "low", "BSI-TR-03108"),
        ("dead", "mta-sts.policy", "error", "medium", "GDPR-32-1-a"),
    ],
)
def test_each_planted_defect_is_reported(
    lab,
    tmp_path: Path,
    variant: str,
    check_id: str,
    status: str,  # type: ignore[no-untyped-def]
    severity: str,
    clause: str,
) -> None:
    _, report = lab_scan(lab, f"{variant}.lab.test", tmp_path)
    findings = by_check(report)[check_id]
    flagged = [f for f in findings if f["status"] == status]
    assert flagged, findings
    assert flagged[0]["severity"] == severity and clause in flagged[0]["clauses"]
    if status == "fail":
        assert flagged[0]["remediation"]
    # Exactly one defect per variant: nothing else fails.
    others = [f for f in report["findings"] if f["status"] == "fail" and f["check_id"] != check_id]
    assert others == []


def test_unresolvable_domain_exits_not_run_and_still_writes_report(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    code = run_cli(
        "scan", "nothere.lab.test", "--resolver", lab.resolver, "-o", str(out_json), "-o", str(out_html), "-q"
    )
    assert code == ExitCode.NOT_RUN
    report = json.loads(out_json.read_text())
    validate_report_json(report)
    assert any("NXDOMAIN" in f["detail"] and f["status"] == "error" for f in report["findings"])
    assert "NXDOMAIN" in out_html.read_text()


def test_dns_timeout_is_reported_as_error(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    # Nothing listens there: every lookup times out.
    code = run_cli("scan", "example.test", "--resolver", "127.0.53.254:53", "--timeout", "5", "-o", str(out), "-q")
    assert code == ExitCode.NOT_RUN
    details = " ".join(f["detail"] for f in json.loads(out.read_text())["findings"])
    assert "timeout" in details.lower()


def test_evaluate_bundle_offline_gives_identical_findings(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bundle, first, second = tmp_path / "bundle.json", tmp_path / "a.json", tmp_path / "b.json"
    run_cli(
        "scan",
        "mxmissing.lab.test",
        "--resolver",
        lab.resolver,
        "--ca-file",
        str(lab.ca_file),
        "--evidence-out",
        str(bundle),
        "-o",
        str(first),
        "-q",
    )
    code = run_cli("evaluate", str(bundle), "-o", str(second), "-q")
    assert code == ExitCode.FINDINGS
    strip = lambda r: [{k: v for k, v in f.items()} for f in json.loads(r.read_text())["findings"]]  # noqa: E731
    assert strip(first) == strip(second)


def test_dns_only_selection_opens_no_connection_and_says_so_later(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """--only over DNS checks collects no endpoint probes; a later evaluation of that bundle
    with the TLS checks skips them with the reason instead of calling the service silent."""
    bundle, report = tmp_path / "bundle.json", tmp_path / "tls.json"
    code, _ = lab_scan(lab, "good.lab.test", tmp_path, "--evidence-out", str(bundle))
    assert code == ExitCode.OK
    evidence = json.loads(bundle.read_text())
    assert evidence["endpoints_probed"] is False and evidence["dialogs"] == [] and evidence["tls"] == []
    assert evidence["discovery"]["endpoints"], "discovery still ran: the MX hosts are known"
    run_cli("evaluate", str(bundle), "--only", "tls.*", "--only", "dmarc.*", "-o", str(report), "-q")
    findings = json.loads(report.read_text())["findings"]
    tls = [f for f in findings if f["check_id"].startswith("tls.")]
    assert tls and all(f["status"] == "skipped" and "not probed" in f["detail"] for f in tls)
    assert any(f["check_id"] == "dmarc.policy" and f["status"] == "pass" for f in findings)


@pytest.mark.parametrize(
    "argv",
    [
        ["scan"],
        ["scan", "not a domain!"],
        ["scan", "example.org", "--resolver", "dns.example"],
        ["scan", "example.org", "--service", "mail.example.org:99999/imap"],
        ["scan", "example.org", "-o", "r.pdf"],
        ["scan", "example.org", "--fail-on", "severe"],
        ["frobnicate"],
        ["evaluate", "/nonexistent/bundle.json"],
    ],
)
def test_bad_command_lines_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(*argv) == ExitCode.USAGE
    assert "error" in capsys.readouterr().err


def test_evaluate_rejects_garbage_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1}')
    assert run_cli("evaluate", str(bad)) == ExitCode.USAGE
    assert "not an evidence bundle" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["scan", "evaluate", "run"])
def test_profile_typo_is_a_usage_error_naming_the_choices(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The profile is loaded at the command line, before anything is collected or graded.
    (tmp_path / "etc").mkdir()
    if command == "scan":
        argv = ["scan", "--no-network", "--host-root", str(tmp_path), "--profile", "bsi-tr-0210"]
    elif command == "evaluate":
        bundle = tmp_path / "bundle.json"
        facts = {"schema_version": "1", "collected_at": "2026-12-05T10:00:00+00:00", "network": False}
        bundle.write_text(json.dumps({**facts, "target": {"domain": None}}))
        argv = ["evaluate", str(bundle), "--profile", "bsi-tr-0210"]
    else:
        config = tmp_path / "audit.toml"
        config.write_text(f'[audit]\nno_network = true\nhost_root = "{tmp_path}"\nprofile = "bsi-tr-0210"\n')
        argv = ["run", str(config)]
    assert run_cli(*argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "bsi-tr-0210" in err and "bsi-tr-02102-2" in err and "mozilla-modern" in err
