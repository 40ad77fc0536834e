"""Fleet history in SQLite (default) and PostgreSQL: runs recorded, changes per domain found."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from auditor.fleet.history import History, HistoryError, changes, database_url
from auditor.fleet.summary import DomainSummary, FleetSummary
from auditor.models import Finding, Report, Severity, Status, Summary


def _finding(fid: str, status: Status) -> Finding:
    return Finding(fid, fid.split(":")[0], status, Severity.HIGH, "t", fid.split(":")[1], "d")


def _report(domain: str, *findings: Finding) -> Report:
    verdict = "fail" if any(f.status == Status.FAIL for f in findings) else "pass"
    return Report("1", "auditor", "0", "r", "s", "f", domain, "p", "en", (), findings, Summary(verdict=verdict), ())


def _summary(run_id: str, started: str, reports: dict[str, Report]) -> FleetSummary:
    domains = tuple(
        DomainSummary(d, r.summary.verdict, f"{d}.json", {"fail": sum(f.status == Status.FAIL for f in r.findings)})
        for d, r in reports.items()
    )
    return FleetSummary("1", run_id, started, started, "local", "p", {}, domains, {}, (), ())


def _two_runs(history: History) -> FleetSummary:
    spf = _finding("spf.record:a.example", Status.FAIL)
    dmarc = _finding("dmarc.policy:b.example", Status.FAIL)
    first = {"a.example": _report("a.example", spf), "b.example": _report("b.example", dmarc)}
    history.record(_summary("run-1", "2026-12-01T00:00:00+00:00", first), first)
    # a fixed its SPF; b newly fails TLS; c is new
    tls = _finding("tls.protocols:mx[192.0.2.1]:25", Status.FAIL)
    second = {
        "a.example": _report("a.example", replace(spf, status=Status.PASS)),
        "b.example": _report("b.example", dmarc, tls),
        "c.example": _report("c.example"),
    }
    summary = _summary("run-2", "2026-12-08T00:00:00+00:00", second)
    baseline = history.previous_run()
    assert baseline == "run-1"
    found = changes(history.results(baseline), summary, second)
    history.record(replace(summary, previous_run=baseline, changes=found), second)
    return replace(summary, changes=found)


def _check(summary: FleetSummary) -> None:
    by_domain = {c.domain: c for c in summary.changes}
    assert by_domain["a.example"].fixed == ("spf.record:a.example",) and not by_domain["a.example"].worse
    assert by_domain["b.example"].new_failures == ("tls.protocols:mx[192.0.2.1]:25",) and by_domain["b.example"].worse
    assert by_domain["c.example"].before == "new"
    assert [c.domain for c in summary.worse] == ["b.example"]


def test_sqlite_history_beside_the_reports(tmp_path: Path) -> None:
    history = History(database_url(None, tmp_path))
    _check(_two_runs(history))
    assert history.previous_run() == "run-2" and history.previous_run(run_id="run-1") == "run-1"
    assert history.previous_run(run_id="nope") is None
    history.close()
    assert (tmp_path / "history.sqlite").is_file()


def test_postgresql_history_by_url(pg_database: tuple[str, str]) -> None:
    name, user = pg_database
    history = History(database_url(f"postgresql://{user}@127.0.0.1:5432/{name}", Path(".")))
    _check(_two_runs(history))
    history.close()


def test_unusable_database_is_an_error_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(HistoryError) as caught:
        History(database_url("postgresql://auditor:s3cret-pw@127.0.0.1:9/none", tmp_path))
    assert "s3cret-pw" not in str(caught.value)
