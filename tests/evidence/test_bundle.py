"""The evidence bundle's JSON form: current round trip, and version 1 bundles still readable."""

from __future__ import annotations

import json

from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, InputError, Target, evidence_from_json, evidence_to_json
from auditor.metadata import packaged_metadata
from auditor.models import Need, Status
from auditor.registry import load_checks
from auditor.runner import evaluate

V1_BUNDLE = {
    "schema_version": "1",
    "collected_at": "2026-12-05T10:00:00+00:00",
    "target": {"domain": None, "host_root": "/srv/snapshot"},
    "network": False,
    "input_errors": ["host: the host collector failed: PermissionError: /srv/snapshot"],
}


def test_input_errors_round_trip_typed() -> None:
    evidence = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at="2026-12-05T10:00:00+00:00",
        target=Target(domain=None),
        network=False,
        input_errors=(InputError(Need.STATEMENT, "statement.txt: not found"),),
    )
    assert evidence_from_json(evidence_to_json(evidence)) == evidence
    assert str(evidence.input_errors[0]) == "statement: statement.txt: not found"


def test_a_version_1_bundle_is_read_and_its_failed_inputs_still_give_errors() -> None:
    evidence = evidence_from_json(json.dumps(V1_BUNDLE))
    assert evidence.input_errors == (
        InputError(Need.HOST, "the host collector failed: PermissionError: /srv/snapshot"),
    )
    host_checks = [c for c in load_checks(packaged_metadata()) if c.meta.needs == frozenset({Need.HOST})]
    findings = evaluate(host_checks, evidence)
    assert findings and {f.status for f in findings} == {Status.ERROR}
    assert all("PermissionError" in f.detail for f in findings)
