"""Evaluate checks against an evidence bundle: pure, repeatable, never crashing.

Two phases: ordinary checks see only evidence; checks declared with
``uses_findings=True`` (e.g. "the statement promises enforced encryption") run
afterwards and also see the first phase's findings.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from auditor.clauses import Catalogue, packaged_catalogue
from auditor.evidence import Evidence
from auditor.messages import render, render_observation
from auditor.models import Finding, Message, Need, Outcome, Severity, Status, msg
from auditor.profiles import Profile, load_profile
from auditor.registry import Check, CheckContext

_DETAIL_LIMIT = 2000


def satisfied_needs(evidence: Evidence) -> frozenset[Need]:
    """Which kinds of input this run actually collected."""
    have: set[Need] = set()
    if evidence.network:
        have.add(Need.NETWORK)
        if evidence.endpoints_probed:
            have.add(Need.ENDPOINTS)
    if getattr(evidence, "host", None) is not None:
        have.add(Need.HOST)
    if getattr(evidence, "claims", None) is not None:
        have.add(Need.STATEMENT)
    return frozenset(have)


_NEED_REASON = {
    Need.NETWORK: "runner.need-network",
    Need.ENDPOINTS: "runner.need-endpoints",
    Need.HOST: "runner.need-host",
    Need.STATEMENT: "runner.need-statement",
}


def failed_inputs(evidence: Evidence, need: Need) -> list[str]:
    """Reasons why an input of this kind was asked for but could not be used."""
    return [e.reason for e in evidence.input_errors if e.need is need]


def evaluate(
    checks: Sequence[Check],
    evidence: Evidence,
    *,
    profile: Profile | None = None,
    catalogue: Catalogue | None = None,
    lang: str = "en",
    options: dict[str, Any] | None = None,
    debug: bool = False,
) -> list[Finding]:
    """Run every check on the evidence. ``debug``: a crashing check's finding keeps its whole traceback."""
    have = satisfied_needs(evidence)
    first = [c for c in checks if not c.meta.uses_findings]
    second = [c for c in checks if c.meta.uses_findings]
    findings: list[Finding] = []
    profile = profile if profile is not None else load_profile()
    catalogue = catalogue if catalogue is not None else packaged_catalogue()
    base_ctx = CheckContext(evidence=evidence, profile=profile, catalogue=catalogue, options=dict(options or {}))
    for item in first:
        findings.extend(_run_one(item, base_ctx, have, lang, debug))
    phase_two_ctx = replace(base_ctx, findings=tuple(findings))
    for item in second:
        findings.extend(_run_one(item, phase_two_ctx, have, lang, debug))
    return findings


def _run_one(item: Check, ctx: CheckContext, have: frozenset[Need], lang: str, debug: bool) -> list[Finding]:
    missing = sorted(item.meta.needs - have)
    if missing:
        failures = [reason for need in missing for reason in failed_inputs(ctx.evidence, need)]
        if failures:
            # The input was asked for but could not be used: that is "could not verify".
            failed = msg("runner.input-failed", reasons="; ".join(failures))
            return [_finding(item, Outcome(Status.ERROR, ctx.evidence.target.domain or "-", failed), lang)]
        reasons = [msg(_NEED_REASON[n]) for n in missing]
        reason = reasons[0] if len(reasons) == 1 else "; ".join(render(r, lang) for r in reasons)
        return [_finding(item, Outcome(Status.SKIPPED, ctx.evidence.target.domain or "-", reason), lang)]
    try:
        outcomes = list(item.func(ctx))
    except Exception as exc:  # errors as values: one broken check never sinks the audit
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {last.filename.rsplit('/', 1)[-1]}:{last.lineno}" if last else ""
        detail: str | Message = msg("runner.crashed", error=repr(exc), where=where)
        if debug:
            detail = render(detail, lang) + "\n" + "".join(traceback.format_exception(exc))
        outcome = Outcome(Status.ERROR, ctx.evidence.target.domain or "-", detail)
        return [_finding(item, outcome, lang, limit=None if debug else _DETAIL_LIMIT)]
    if not outcomes:
        outcome = Outcome(Status.SKIPPED, ctx.evidence.target.domain or "-", msg("runner.nothing-to-examine"))
        return [_finding(item, outcome, lang)]
    return [_finding(item, o, lang) for o in outcomes]


def _finding(item: Check, outcome: Outcome, lang: str, limit: int | None = _DETAIL_LIMIT) -> Finding:
    meta = item.meta
    key = f"{meta.id}:{outcome.subject}" + (f"#{outcome.key}" if outcome.key else "")
    severity: Severity = outcome.severity or meta.severity
    clauses = tuple(dict.fromkeys(meta.clauses + outcome.extra_clauses))
    detail = render(outcome.detail, lang)
    return Finding(
        id=key,
        check_id=meta.id,
        status=outcome.status,
        severity=severity,
        title=meta.title_in(lang),
        subject=outcome.subject,
        detail=detail[:limit],
        observations=tuple(render_observation(o, lang) for o in outcome.observations),
        claim=outcome.claim,
        clauses=clauses,
        remediation=meta.remediation_in(lang) if outcome.status in (Status.FAIL, Status.WARN) else "",
        area=meta.area,
        message=outcome.detail if isinstance(outcome.detail, Message) else None,
    )


def failing(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    """Findings that gate a CI job: failed (not warned, not waived, not already in the
    accepted baseline) at or above ``threshold``."""
    return [f for f in findings if f.status == Status.FAIL and f.severity.at_least(threshold) and not f.in_baseline]
