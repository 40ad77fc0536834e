"""Assemble the report model from evidence and findings; serialise and validate it.

The report is the product's contract with its users (CI parsers, DPO archives), so it
carries a schema version and is validated against the JSON Schema shipped in the
package; the schema file is generated from these dataclasses and a test keeps the two
in step.
"""

from __future__ import annotations

import importlib.resources
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any

import jsonschema
from pydantic import TypeAdapter

from auditor import __version__
from auditor.evidence import Evidence
from auditor.models import ClauseCoverage, Finding, Report, Status, Summary

REPORT_SCHEMA_VERSION = "1"
_ADAPTER: TypeAdapter[Report] = TypeAdapter(Report)

#: The extractor already bounds the sentences it reads; this bounds what a report repeats.
MAX_UNREAD_SHOWN = 200


def build_report(
    evidence: Evidence,
    findings: Sequence[Finding],
    *,
    profile: str,
    lang: str,
    clause_info: dict[str, dict[str, Any]] | None = None,
    started: str | None = None,
    run_id: str | None = None,
    notes: Iterable[str] = (),
) -> Report:
    ordered = sorted(findings, key=_order)
    claims: tuple[dict[str, Any], ...] = ()
    unread: tuple[str, ...] = ()
    claim_set = getattr(evidence, "claims", None)
    if claim_set is not None and is_dataclass(claim_set):
        claims = tuple(asdict(c) for c in getattr(claim_set, "claims", ()))
        unread = tuple(span.text for span in getattr(claim_set, "not_understood", ()))[:MAX_UNREAD_SHOWN]
    referenced = {c for f in ordered for c in f.clauses}
    info = clause_info or {}
    return Report(
        schema_version=REPORT_SCHEMA_VERSION,
        tool="auditor",
        tool_version=__version__,
        run_id=run_id or str(uuid.uuid4()),
        started=started or evidence.collected_at,
        finished=datetime.now(UTC).replace(microsecond=0).isoformat(),
        target=_target_name(evidence),
        profile=profile,
        lang=lang,
        inputs=evidence.inputs,
        findings=tuple(ordered),
        summary=summarise(ordered),
        clause_coverage=coverage(ordered),
        # Every catalogued clause, so the coverage matrix can show what was *not* examined.
        clauses={cid: info.get(cid, {"id": cid}) for cid in sorted(referenced | set(info))},
        claims=claims,
        notes=tuple(notes),
        statement_not_understood=unread,
    )


def _target_name(evidence: Evidence) -> str:
    parts = [p for p in (evidence.target.domain, evidence.target.host_root, evidence.target.statement) if p]
    return " + ".join(parts) or "-"


_STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.WAIVED: 3, Status.PASS: 4, Status.SKIPPED: 5}


def _order(finding: Finding) -> tuple[int, int, str]:
    return (_STATUS_ORDER[finding.status], -finding.severity.rank, finding.id)


def summarise(findings: Sequence[Finding]) -> Summary:
    by_status = Counter(f.status.value for f in findings)
    by_area: dict[str, dict[str, int]] = {}
    for finding in findings:
        area = by_area.setdefault(finding.area or "other", {s.value: 0 for s in Status})
        area[finding.status.value] += 1
    by_severity = Counter(f.severity.value for f in findings if f.status in (Status.FAIL, Status.WARN))
    if by_status.get("fail"):
        verdict = "fail"
    elif by_status.get("error"):
        verdict = "incomplete"
    elif by_status.get("warn"):
        verdict = "warn"
    else:
        verdict = "pass"
    return Summary(
        by_status={s.value: by_status.get(s.value, 0) for s in Status},
        by_severity=dict(sorted(by_severity.items())),
        verdict=verdict,
        by_area=dict(sorted(by_area.items())),
    )


def coverage(findings: Sequence[Finding]) -> tuple[ClauseCoverage, ...]:
    table: dict[str, Counter[str]] = {}
    for finding in findings:
        if finding.status == Status.SKIPPED:
            continue
        for clause in finding.clauses:
            table.setdefault(clause, Counter())[finding.status.value] += 1
    return tuple(
        ClauseCoverage(
            clause_id=clause,
            examined=sum(counts.values()),
            passed=counts["pass"],
            failed=counts["fail"] + counts["warn"],
            errors=counts["error"],
        )
        for clause, counts in sorted(table.items())
    )


def report_to_json(report: Report) -> bytes:
    return _ADAPTER.dump_json(report, indent=1)


def report_from_json(data: bytes | str) -> Report:
    return _ADAPTER.validate_json(data)


def generated_schema() -> dict[str, Any]:
    schema = _ADAPTER.json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://auditor.invalid/schema/report-{REPORT_SCHEMA_VERSION}.json"
    schema["title"] = f"auditor report, schema version {REPORT_SCHEMA_VERSION}"
    return schema


def shipped_schema() -> dict[str, Any]:
    path = importlib.resources.files("auditor") / "data" / "schema" / f"report-{REPORT_SCHEMA_VERSION}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def validate_report_json(document: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if a report document breaks the shipped schema."""
    jsonschema.validate(document, shipped_schema(), cls=jsonschema.Draft202012Validator)
