"""SARIF (validated against the OASIS schema), JUnit XML and Markdown renderings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import jsonschema
from auditor.reports.junit import render_junit
from auditor.reports.markdown import render_markdown
from auditor.reports.sarif import render_sarif

from auditor.metadata import packaged_metadata
from auditor.models import Finding, Location, Observation, Severity, Status
from auditor.registry import load_checks
from auditor.report import build_report
from auditor.runner import evaluate
from tests.checks.evidence_factory import evidence, mail_dns, txt

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())
HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> [x](javascript:alert(3)) \x00\x07 | ` *'


def _report():  # type: ignore[no-untyped-def]
    ev = evidence(mail_dns=mail_dns(spf_record=txt("example.org", f"v=spf1 {HOSTILE} +all")))
    findings = evaluate(load_checks(packaged_metadata()), ev)
    host_finding = Finding(
        id="config.transport:/etc/postfix/master.cf",
        check_id="config.transport",
        status=Status.FAIL,
        severity=Severity.HIGH,
        title="Submission requires TLS",
        subject="/etc/postfix/master.cf",
        detail=f"smtpd_tls_security_level=may on submission {HOSTILE}",
        observations=(
            Observation("setting", "smtpd_tls_security_level=may", Location(path="/etc/postfix/master.cf", line=17)),
        ),
        clauses=("GDPR-32-1-a",),
        remediation="set encrypt",
        area="host",
    )
    waived = replace(findings[0], id="waived:x", status=Status.WAIVED, waiver="until 2027-01-01: accepted")
    return build_report(ev, [*findings, host_finding, waived], profile="bsi-tr-02102-2", lang="en")


def test_sarif_is_valid_and_points_at_config_lines() -> None:
    document = json.loads(render_sarif(_report()))
    jsonschema.validate(document, SCHEMA)
    run = document["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "GDPR-32-1-a" in rules["config.transport"]["properties"]["tags"]
    result = next(r for r in run["results"] if r["ruleId"] == "config.transport")
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "etc/postfix/master.cf" and location["region"]["startLine"] == 17
    assert result["level"] == "error" and result["kind"] == "fail"
    assert any("suppressions" in r for r in run["results"])
    assert "<script>alert(1)</script>" in result["message"]["text"]  # JSON keeps it as data, well-formed


def test_junit_is_well_formed_with_hostile_bytes() -> None:
    xml = render_junit(_report())
    root = ET.fromstring(xml)
    failures = root.findall(".//failure")
    assert int(root.get("failures", "0")) == len(failures) >= 2
    assert "\x00" not in xml and "\x07" not in xml
    assert any("<script>" in (f.get("message") or "") for f in failures)  # escaped by XML, restored on parse
    assert "<script>" not in xml.replace("&lt;script&gt;", "")


def test_markdown_is_inert() -> None:
    md = render_markdown(_report())
    assert "<script>" not in md and "<img" not in md
    assert "](javascript:" not in md and "\\[x\\]" in md
    assert "| fail | high | config.transport |" in md
