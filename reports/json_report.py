"""JSON report: the schema-versioned serialisation of the report model."""

from __future__ import annotations

from auditor.models import Report
from auditor.report import report_to_json


def render_json(report: Report) -> bytes:
    return report_to_json(report) + b"\n"
