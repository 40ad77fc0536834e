"""HTML report: one self-contained file rendered by Jinja2 with autoescaping.

Every string in a report can come from a hostile server, config or statement, so
autoescape is forced on (not left to the file-name heuristic) and the page declares a
Content-Security-Policy that forbids scripts and any external fetch.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
from auditor.reports.i18n import strings_for

from auditor.messages import render, templates
from auditor.models import Location, Report, Status, msg

_SEVERITIES = ["critical", "high", "medium", "low", "info"]
# Coverage lists binding law as "not examined"; guidance and rulings are only rationale.
_LAWS = {"GDPR", "BDSG", "TDDDG"}


# C0/C1 control characters (bar tab and newline) from banners or TXT records render as
# garbage or, in some viewers, as terminal escapes; every printed value is cleaned.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(value: Any) -> Any:
    return _CONTROL.sub("\ufffd", value) if isinstance(value, str) else value


def environment() -> jinja2.Environment:
    """The Jinja2 environment of every HTML page we render: autoescape forced, controls cleaned."""
    env = jinja2.Environment(
        finalize=_clean,
        loader=jinja2.PackageLoader("auditor.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["location"] = lambda loc: str(Location(**loc)) if isinstance(loc, dict) else str(loc)
    return env


def render_html(report: Report) -> str:
    problems = [f for f in report.findings if f.status in (Status.FAIL, Status.WARN, Status.ERROR, Status.WAIVED)]
    others = [f for f in report.findings if f not in problems]
    claim_findings: dict[str, list[Any]] = {}
    for finding in report.findings:
        if finding.claim is not None:
            claim_findings.setdefault(finding.claim.claim_id, []).append(finding)
    # A claim's verdict is its worst finding: one contradiction outweighs any confirmation.
    order = [Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED, Status.PASS, Status.SKIPPED]
    claim_verdicts = {
        claim_id: min((f.status for f in related), key=order.index).value
        for claim_id, related in claim_findings.items()
    }
    examined = {row.clause_id for row in report.clause_coverage}
    not_examined = [
        cid for cid, info in report.clauses.items() if cid not in examined and info.get("law") in _LAWS and "-" in cid
    ]
    # The weakest readings first: a claim whose data category came from a heading is the one
    # a reviewer must check before relying on any finding built on it.
    rank = {"low": 0, "medium": 1, "high": 2}
    claims = sorted(report.claims, key=lambda c: rank.get(str(c.get("confidence", "high")), 2))
    template = environment().get_template("report.html.j2")

    def term(kind: str, value: str) -> str:
        """A claim's kind, category, event or field as the report's language names it (else its id)."""
        key = f"claims.{kind}.{value}"
        return render(msg(key), report.lang) if key in templates() else value

    return template.render(
        report=report,
        claims=claims,
        term=term,
        t=strings_for(report.lang),
        severities=_SEVERITIES,
        problems=problems,
        others=others,
        claim_findings=claim_findings,
        not_examined=not_examined,
        claim_verdicts=claim_verdicts,
    )
