"""SARIF 2.1.0: one rule per check, one result per finding, file/line for host findings.

Code-scanning services (GitHub, GitLab) annotate a configuration repository from
this file, so host findings point at repository-relative paths and lines, and every
result carries a stable fingerprint (the finding id) for matching across runs.
"""

from __future__ import annotations

import json
from typing import Any

from auditor import __version__
from auditor.models import Finding, Report, Severity, Status

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_KIND = {
    Status.FAIL: "fail",
    Status.WARN: "fail",
    Status.ERROR: "review",
    Status.PASS: "pass",
    Status.SKIPPED: "notApplicable",
    Status.WAIVED: "fail",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub orders code-scanning alerts by this 0-10 score.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _level(finding: Finding) -> str:
    if finding.status == Status.WARN:
        return "warning" if finding.severity.rank >= Severity.MEDIUM.rank else "note"
    if finding.status in (Status.FAIL, Status.WAIVED):
        return _LEVEL[finding.severity]
    return "none"


def _locations(finding: Finding) -> list[dict[str, Any]]:
    physical = []
    for obs in finding.observations:
        loc = obs.location
        if loc is not None and loc.path:
            region = {"startLine": loc.line} if loc.line else {}
            entry: dict[str, Any] = {"artifactLocation": {"uri": loc.path.lstrip("/"), "uriBaseId": "HOSTROOT"}}
            if region:
                entry["region"] = region
            physical.append({"physicalLocation": entry})
    if physical:
        return physical[:10]
    return [{"logicalLocations": [{"fullyQualifiedName": finding.subject, "kind": "resource"}]}]


def render_sarif(report: Report) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in report.findings:
        if finding.check_id not in rules:
            clause_titles = [report.clauses.get(c, {}).get("title", c) for c in finding.clauses]
            rules[finding.check_id] = {
                "id": finding.check_id,
                "name": finding.check_id.replace(".", "_").replace("-", "_"),
                "shortDescription": {"text": finding.title},
                "fullDescription": {"text": f"{finding.title}. Clauses: {'; '.join(clause_titles) or '-'}"},
                "help": {"text": finding.remediation or finding.title},
                "defaultConfiguration": {"level": _LEVEL[finding.severity]},
                "properties": {
                    "tags": ["privacy", finding.area, *finding.clauses],
                    "security-severity": _SECURITY_SEVERITY[finding.severity],
                },
            }
        elif finding.remediation and rules[finding.check_id]["help"]["text"] == finding.title:
            rules[finding.check_id]["help"] = {"text": finding.remediation}
        result: dict[str, Any] = {
            "ruleId": finding.check_id,
            "ruleIndex": list(rules).index(finding.check_id),
            "kind": _KIND[finding.status],
            "level": _level(finding),
            "message": {"text": f"{finding.subject}: {finding.detail}"},
            "locations": _locations(finding),
            "partialFingerprints": {"auditorFindingId/v1": finding.id},
            "properties": {
                "status": finding.status.value,
                "severity": finding.severity.value,
                "clauses": list(finding.clauses),
            },
        }
        if finding.status == Status.WAIVED:
            result["suppressions"] = [{"kind": "external", "justification": finding.waiver or "waived"}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "auditor",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": "https://example.invalid/auditor",
                        "rules": list(rules.values()),
                    }
                },
                "automationDetails": {"id": f"auditor/{report.target}/{report.run_id}"},
                "originalUriBaseIds": {"HOSTROOT": {"description": {"text": "the audited host root"}}},
                "invocations": [
                    {"executionSuccessful": True, "startTimeUtc": report.started, "endTimeUtc": report.finished}
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
