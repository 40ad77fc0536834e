"""The report model against its shipped, versioned JSON Schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from auditor.metadata import packaged_metadata
from auditor.registry import load_checks
from auditor.report import (
    build_report,
    generated_schema,
    report_from_json,
    report_to_json,
    shipped_schema,
    validate_report_json,
)
from auditor.runner import evaluate
from tests.checks.evidence_factory import evidence, mail_dns, txt


def test_shipped_schema_matches_the_model() -> None:
    assert shipped_schema() == json.loads(json.dumps(generated_schema())), (
        "report model changed: regenerate auditor/data/schema/report-1.json and bump the version if incompatible"
    )


def _report():  # type: ignore[no-untyped-def]
    ev = evidence(mail_dns=mail_dns(dmarc_record=txt("_dmarc.example.org")))
    return build_report(ev, evaluate(load_checks(packaged_metadata()), ev), profile="bsi-tr-02102-2", lang="en")


def test_report_validates_round_trips_and_summarises() -> None:
    report = _report()
    document = json.loads(report_to_json(report))
    validate_report_json(document)
    assert report_from_json(report_to_json(report)) == report
    assert report.summary.verdict == "fail" and report.summary.by_status["fail"] == 1
    coverage = {c.clause_id: c for c in report.clause_coverage}
    assert coverage["GDPR-5-1-f"].failed == 1 and coverage["GDPR-5-1-f"].examined >= 2
    assert report.findings[0].check_id == "dmarc.policy"  # failures first


def test_schema_rejects_an_invalid_status() -> None:
    document = json.loads(report_to_json(_report()))
    document["findings"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(document)
