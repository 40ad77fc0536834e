"""The fleet summary (``fleet.json``, ``fleet.html``, the fleet mail): pure values built from reports.

Per domain: verdict, counts, worst findings. Across the fleet: counts by check, by clause
and by shared endpoint (how many domains point at it, how many connections it took, which
checks fail on it), and the changes since the previous run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import TypeAdapter

from auditor.models import Finding, Report, Status

FLEET_SCHEMA_VERSION = "1"
WORST_SHOWN = 5  # findings listed per domain; the domain's own report has them all
_VERDICT_RANK = {"fail": 0, "incomplete": 1, "warn": 2, "pass": 3, "not-run": -1}
_STATUS_RANK = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2}


@dataclass(frozen=True, slots=True)
class WorstFinding:
    id: str
    check_id: str
    status: str
    severity: str
    subject: str
    detail: str


@dataclass(frozen=True, slots=True)
class DomainSummary:
    domain: str
    verdict: str  # pass | warn | fail | incomplete | not-run
    report: str | None  # file name in the output directory
    by_status: dict[str, int] = field(default_factory=dict)
    worst: tuple[WorstFinding, ...] = ()
    endpoints: tuple[str, ...] = ()  # host[ip]:port of the services it points at
    error: str | None = None  # why no report was written
    resumed: bool = False  # report kept from an earlier, interrupted run


@dataclass(frozen=True, slots=True)
class EndpointSummary:
    endpoint: str  # host[ip]:port
    proto: str
    domains: int
    connections: int  # this run (0 when every domain using it was resumed)
    failing_checks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClauseSummary:
    clause: str
    domains_examined: int
    domains_failed: int
    findings_failed: int


@dataclass(frozen=True, slots=True)
class DomainChange:
    """How a domain's result moved since the previous run (history)."""

    domain: str
    before: str
    after: str
    new_failures: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    worse: bool = False


@dataclass(frozen=True, slots=True)
class FleetSummary:
    schema_version: str
    run_id: str
    started: str
    finished: str
    backend: str
    profile: str
    by_verdict: dict[str, int]
    domains: tuple[DomainSummary, ...]
    by_check: dict[str, dict[str, int]]
    by_clause: tuple[ClauseSummary, ...]
    endpoints: tuple[EndpointSummary, ...]
    previous_run: str | None = None
    changes: tuple[DomainChange, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def worse(self) -> tuple[DomainChange, ...]:
        return tuple(c for c in self.changes if c.worse)


FLEET_ADAPTER: TypeAdapter[FleetSummary] = TypeAdapter(FleetSummary)


def fleet_to_json(summary: FleetSummary) -> bytes:
    return FLEET_ADAPTER.dump_json(summary, indent=1)


def fleet_from_json(data: bytes | str) -> FleetSummary:
    return FLEET_ADAPTER.validate_json(data)


def worst_findings(findings: Iterable[Finding], limit: int = WORST_SHOWN) -> tuple[WorstFinding, ...]:
    bad = [f for f in findings if f.status in _STATUS_RANK]
    bad.sort(key=lambda f: (_STATUS_RANK[f.status], -f.severity.rank, f.id))
    return tuple(
        WorstFinding(f.id, f.check_id, f.status.value, f.severity.value, f.subject, f.detail[:300]) for f in bad[:limit]
    )


def domain_summary(
    domain: str, report: Report, report_file: str, endpoints: Sequence[str], *, resumed: bool = False
) -> DomainSummary:
    return DomainSummary(
        domain=domain,
        verdict=report.summary.verdict,
        report=report_file,
        by_status=dict(report.summary.by_status),
        worst=worst_findings(report.findings),
        endpoints=tuple(endpoints),
        resumed=resumed,
    )


def not_run(domain: str, reason: str) -> DomainSummary:
    return DomainSummary(domain=domain, verdict="not-run", report=None, error=reason[:500])


def by_check(reports: Iterable[Report]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = {}
    for report in reports:
        for finding in report.findings:
            table.setdefault(finding.check_id, Counter())[finding.status.value] += 1
    return {check: dict(sorted(counts.items())) for check, counts in sorted(table.items())}


def by_clause(reports: Iterable[Report]) -> tuple[ClauseSummary, ...]:
    examined: Counter[str] = Counter()
    failed_domains: Counter[str] = Counter()
    failed_findings: Counter[str] = Counter()
    for report in reports:
        seen: set[str] = set()
        failed: set[str] = set()
        for finding in report.findings:
            if finding.status == Status.SKIPPED:
                continue
            seen.update(finding.clauses)
            if finding.status == Status.FAIL:
                failed.update(finding.clauses)
                failed_findings.update(finding.clauses)
        examined.update(seen)
        failed_domains.update(failed)
    return tuple(
        ClauseSummary(clause, examined[clause], failed_domains[clause], failed_findings[clause])
        for clause in sorted(examined, key=lambda c: (-failed_domains[c], c))
    )


def endpoint_table(
    domains: Sequence[DomainSummary],
    reports: Mapping[str, Report],
    protocols: Mapping[str, str],
    connections: Mapping[str, int],
) -> tuple[EndpointSummary, ...]:
    """Shared endpoints, most used first: domains pointing at each, connections, failing checks.

    A finding belongs to an endpoint when its subject names it (``host[ip]:port``), which
    is how every transport check names what it examined.
    """
    users: Counter[str] = Counter()
    for entry in domains:
        users.update(set(entry.endpoints))
    failing: dict[str, set[str]] = {}
    for report in reports.values():
        for finding in report.findings:
            if finding.status == Status.FAIL and finding.subject in users:
                failing.setdefault(finding.subject, set()).add(finding.check_id)
    return tuple(
        EndpointSummary(
            endpoint=label,
            proto=protocols.get(label, ""),
            domains=count,
            connections=connections.get(label, 0),
            failing_checks=tuple(sorted(failing.get(label, ()))),
        )
        for label, count in sorted(users.items(), key=lambda item: (-item[1], item[0]))
    )


def verdict_counts(domains: Iterable[DomainSummary]) -> dict[str, int]:
    counts = Counter(d.verdict for d in domains)
    return {v: counts[v] for v in sorted(counts, key=lambda v: _VERDICT_RANK.get(v, 9))}


def verdict_rank(verdict: str) -> int:
    """Lower is worse (fail < incomplete < warn < pass); not-run counts as worst."""
    return _VERDICT_RANK.get(verdict, -1)
