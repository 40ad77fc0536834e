"""Fleet history: every run's per-domain results in a database, so runs can be compared.

SQLite by default (``DIR/history.sqlite``), PostgreSQL (or anything SQLAlchemy speaks) by
URL (``--history postgresql://auditor@db/audits``). Two tables: one row per run, one row
per (run, domain) with the verdict, the counts and the ids of the findings that failed or
could not be verified. ``--since last`` compares with the previous run; the fleet mail
names the domains that got worse.

SQLAlchemy Core rather than hand-written SQL: one schema and one set of statements for
both engines, with parameters always bound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from auditor.fleet.summary import DomainChange, FleetSummary, verdict_rank
from auditor.models import Report, Status

_META = sa.MetaData()
RUNS = sa.Table(
    "auditor_fleet_runs",
    _META,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("started", sa.String(40), nullable=False),
    sa.Column("finished", sa.String(40), nullable=False),
    sa.Column("backend", sa.String(20), nullable=False),
    sa.Column("domains", sa.Integer, nullable=False),
)
RESULTS = sa.Table(
    "auditor_fleet_results",
    _META,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("auditor_fleet_runs.run_id"), primary_key=True),
    sa.Column("domain", sa.String(255), primary_key=True),
    sa.Column("verdict", sa.String(20), nullable=False),
    sa.Column("by_status", sa.Text, nullable=False),  # JSON object
    sa.Column("problems", sa.Text, nullable=False),  # JSON list of finding ids that failed or errored
)
_PROBLEMS = (Status.FAIL, Status.ERROR)


class HistoryError(Exception):
    """The history database cannot be opened or written; the message says why (never a password)."""


@dataclass(frozen=True, slots=True)
class DomainRecord:
    domain: str
    verdict: str
    by_status: dict[str, int]
    problems: frozenset[str]


def database_url(text: str | None, out_dir: Path) -> str:
    """``--history`` as an SQLAlchemy URL; default SQLite beside the reports; ``postgresql://``
    uses the psycopg 3 driver the project already depends on."""
    if not text:
        return f"sqlite:///{(out_dir / 'history.sqlite').resolve()}"
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


class History:
    def __init__(self, url: str) -> None:
        try:
            self._engine = sa.create_engine(url, future=True)
            _META.create_all(self._engine)
        except (sa.exc.SQLAlchemyError, ValueError, ImportError) as exc:
            raise HistoryError(f"history database {_safe(url)}: {_reason(exc)}") from None

    def previous_run(self, before: str | None = None, *, run_id: str | None = None) -> str | None:
        """The run to compare with: ``run_id`` if it exists, else the last run started before ``before``."""
        with self._engine.connect() as connection:
            if run_id is not None:
                found = connection.execute(sa.select(RUNS.c.run_id).where(RUNS.c.run_id == run_id)).first()
                return str(found[0]) if found else None
            query = sa.select(RUNS.c.run_id).order_by(RUNS.c.started.desc(), RUNS.c.finished.desc()).limit(1)
            if before is not None:
                query = query.where(RUNS.c.started < before)
            row = connection.execute(query).first()
            return str(row[0]) if row else None

    def results(self, run_id: str) -> dict[str, DomainRecord]:
        with self._engine.connect() as connection:
            rows = connection.execute(sa.select(RESULTS).where(RESULTS.c.run_id == run_id)).all()
        return {
            row.domain: DomainRecord(
                row.domain, row.verdict, json.loads(row.by_status), frozenset(json.loads(row.problems))
            )
            for row in rows
        }

    def record(self, summary: FleetSummary, reports: Mapping[str, Report]) -> None:
        """Store this run (one transaction: a run is in the history whole or not at all)."""
        rows = [
            {
                "run_id": summary.run_id,
                "domain": entry.domain,
                "verdict": entry.verdict,
                "by_status": json.dumps(entry.by_status, sort_keys=True),
                "problems": json.dumps(sorted(_problems(reports.get(entry.domain)))),
            }
            for entry in summary.domains
        ]
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    RUNS.insert(),
                    {
                        "run_id": summary.run_id,
                        "started": summary.started,
                        "finished": summary.finished,
                        "backend": summary.backend,
                        "domains": len(summary.domains),
                    },
                )
                if rows:
                    connection.execute(RESULTS.insert(), rows)
        except sa.exc.SQLAlchemyError as exc:
            raise HistoryError(f"history database: {_reason(exc)}") from None

    def close(self) -> None:
        self._engine.dispose()


def _problems(report: Report | None) -> set[str]:
    return {f.id for f in report.findings if f.status in _PROBLEMS} if report is not None else set()


def changes(
    before: Mapping[str, DomainRecord], summary: FleetSummary, reports: Mapping[str, Report]
) -> tuple[DomainChange, ...]:
    """What moved per domain since ``before``: verdict, findings newly failing, findings fixed.

    A domain got *worse* when its verdict dropped (pass > warn > incomplete > fail) or a
    finding fails now that did not before; domains new to the fleet are listed as such.
    """
    found: list[DomainChange] = []
    for entry in summary.domains:
        now = _problems(reports.get(entry.domain))
        old = before.get(entry.domain)
        if old is None:
            found.append(DomainChange(entry.domain, "new", entry.verdict, tuple(sorted(now)), (), bool(now)))
            continue
        new_problems = tuple(sorted(now - old.problems))
        fixed = tuple(sorted(old.problems - now))
        if not new_problems and not fixed and old.verdict == entry.verdict:
            continue
        worse = verdict_rank(entry.verdict) < verdict_rank(old.verdict) or bool(new_problems)
        found.append(DomainChange(entry.domain, old.verdict, entry.verdict, new_problems, fixed, worse))
    found.sort(key=lambda c: (not c.worse, c.domain))
    return tuple(found)


def _safe(url: str) -> str:
    """The URL without its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return "(unparsable URL)"


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
