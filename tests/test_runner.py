"""The evaluation engine: skipping without input, crashes as errors, the findings phase."""

from __future__ import annotations

import types
from collections.abc import Iterator

from auditor.models import Need, Outcome, Severity, Status
from auditor.registry import CheckContext, check, checks_in_module
from auditor.runner import evaluate, failing
from tests.checks.evidence_factory import evidence


def _module(**functions: object) -> types.ModuleType:
    module = types.ModuleType("test_checks")
    for name, fn in functions.items():
        setattr(module, name, fn)
    return module


@check("t.crash", needs=[Need.NETWORK], area="dns", severity="high", clauses=["GDPR-32"])
def crashing(ctx: CheckContext) -> Iterator[Outcome]:
    """Always raises."""
    raise RuntimeError("boom")
    yield  # pragma: no cover


@check("t.host", needs=[Need.HOST], area="host", severity="low")
def needs_host(ctx: CheckContext) -> Iterator[Outcome]:
    """Needs a host root."""
    yield Outcome(Status.PASS, "-", "never reached without a host")


@check("t.fail", needs=[Need.NETWORK], area="dns", severity="medium", remediation="fix it")
def fails(ctx: CheckContext) -> Iterator[Outcome]:
    """Fails once, with a severity override."""
    yield Outcome(Status.FAIL, "a", "bad", severity=Severity.HIGH)
    yield Outcome(Status.PASS, "b", "good")


@check("t.summary", needs=[Need.NETWORK], area="dns", severity="info", uses_findings=True)
def reads_findings(ctx: CheckContext) -> Iterator[Outcome]:
    """Sees the other checks' findings."""
    yield Outcome(Status.PASS, "-", f"saw {len(ctx.findings)} findings")


CHECKS = checks_in_module(_module(a=crashing, b=needs_host, c=fails, d=reads_findings), {})


def test_crash_becomes_error_finding_with_reason() -> None:
    findings = {f.check_id: f for f in evaluate(CHECKS, evidence())}
    crash = findings["t.crash"]
    assert crash.status == Status.ERROR and "boom" in crash.detail


def test_crash_in_debug_mode_keeps_the_whole_traceback() -> None:
    crash = next(f for f in evaluate(CHECKS, evidence(), debug=True) if f.check_id == "t.crash")
    assert "Traceback (most recent call last)" in crash.detail and 'raise RuntimeError("boom")' in crash.detail
    quiet = next(f for f in evaluate(CHECKS, evidence()) if f.check_id == "t.crash")
    assert "Traceback" not in quiet.detail


def test_missing_input_is_skipped_with_reason() -> None:
    findings = {f.check_id: f for f in evaluate(CHECKS, evidence())}
    assert findings["t.host"].status == Status.SKIPPED and "--host-root" in findings["t.host"].detail


def test_outcome_severity_override_ids_and_remediation() -> None:
    findings = [f for f in evaluate(CHECKS, evidence()) if f.check_id == "t.fail"]
    assert [(f.id, f.status, f.severity) for f in findings] == [
        ("t.fail:a", Status.FAIL, Severity.HIGH),
        ("t.fail:b", Status.PASS, Severity.MEDIUM),
    ]
    assert findings[0].remediation == "fix it" and findings[1].remediation == ""
    assert failing(findings, Severity.HIGH) == [findings[0]]
    assert failing(findings, Severity.CRITICAL) == []


def test_findings_phase_runs_last_and_sees_first_phase() -> None:
    findings = evaluate(CHECKS, evidence())
    assert findings[-1].check_id == "t.summary"
    assert findings[-1].detail == f"saw {len(findings) - 1} findings"
