"""``auditor fleet DOMAINS_FILE --out-dir DIR``: many domains, shared endpoints probed once.

Writes ``DIR/<domain>.json`` (each the report ``auditor scan -o`` writes), ``DIR/fleet.json``
and ``DIR/fleet.html``; mails the summary with ``--mail-to``. Exit codes as for ``scan``,
over all domains: 1 when any domain fails at ``--fail-on``, 4 when one could not be
verified completely, 3 when a domain could not be audited at all or the mail failed.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from auditor.collect import ScanOptions
from auditor.commands import ReportMaker, pin_mail_server
from auditor.evidence import Evidence
from auditor.exitcodes import ExitCode
from auditor.fleet.backend import DEFAULT_REDELIVER_S, Backend, LocalBackend
from auditor.fleet.domains import DomainJob, load_domains
from auditor.fleet.history import History, HistoryError, changes, database_url
from auditor.fleet.mail import build_fleet_message
from auditor.fleet.runner import FleetOutcome, FleetRequest, run_fleet
from auditor.fleet.summary import (
    FleetSummary,
    by_check,
    by_clause,
    endpoint_table,
    fleet_from_json,
    fleet_to_json,
    verdict_counts,
)
from auditor.fsutil import atomic_write
from auditor.mailer import MailError, MailSettings, send_message
from auditor.models import Need, Report, Status
from auditor.reports.fleet_html import render_fleet_html
from auditor.reports.terminal import plain
from auditor.request import ReportRequest, UsageError, collect_options, mail_from_options, report_request
from auditor.runner import failing
from auditor.safeload import MAX_JSON_BYTES, InputFileError, read_bytes

AddOptions = Callable[..., None]


def add_fleet_parsers(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    add_collection: AddOptions,
    add_evaluation: AddOptions,
    add_mail: AddOptions,
) -> None:
    fleet = sub.add_parser(
        "fleet", help="audit many domains; endpoints they share are probed once (locally or on Celery workers)"
    )
    fleet.add_argument("domains_file", type=Path, metavar="DOMAINS_FILE", help="text (one domain a line) or TOML")
    fleet.add_argument("--out-dir", type=Path, required=True, metavar="DIR", help="reports go here")
    fleet.add_argument("--fresh", action="store_true", help="redo every domain (default: keep reports already in DIR)")
    fleet.add_argument(
        "--workers", type=int, default=16, metavar="N", help="domains planned and units probed at once (local)"
    )
    fleet.add_argument(
        "--broker", metavar="URL", help="Redis URL of a Celery broker: run on `auditor worker`s (default: this process)"
    )
    fleet.add_argument(
        "--history",
        metavar="URL",
        help="database of past runs: sqlite:///FILE or postgresql://USER@HOST/DB (default: DIR/history.sqlite)",
    )
    fleet.add_argument(
        "--since",
        metavar="last|RUN_ID",
        help="show what changed per domain since the last run (or the run with this id)",
    )
    add_collection(fleet)
    add_evaluation(fleet, outputs=False)
    add_mail(fleet)

    worker = sub.add_parser("worker", help="run a Celery worker for `auditor fleet --broker URL`")
    worker.add_argument("--broker", required=True, metavar="URL", help="Redis URL, e.g. redis://queue.example:6379/0")
    worker.add_argument(
        "--concurrency", type=int, default=os.cpu_count() or 2, metavar="N", help="tasks at once (default: cores)"
    )
    worker.add_argument(
        "--redeliver-after",
        type=float,
        default=DEFAULT_REDELIVER_S,
        metavar="SECONDS",
        help="hand a task on again when the worker that took it vanished this long ago (default: %(default)s)",
    )
    worker.add_argument("--loglevel", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class _RichProgress:
    """One bar per stage of the run (rich); nothing when the output is not a terminal."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def stage(self, name: str, total: int) -> None:
        self._tasks[name] = self._progress.add_task(name, total=max(total, 0))

    def advance(self, name: str) -> None:
        self._progress.advance(self._tasks[name])


def _previous_summary(out_dir: Path) -> FleetSummary | None:
    path = out_dir / "fleet.json"
    if not path.exists():
        return None
    try:
        return fleet_from_json(read_bytes(path, max_bytes=MAX_JSON_BYTES, kind="fleet summary"))
    except (InputFileError, ValueError):
        return None  # a damaged summary is rebuilt from the reports, never trusted


def domain_options(values: dict[str, Any], job: DomainJob) -> ScanOptions:
    """One domain's collection options, built and validated by the same builder as ``scan``'s:
    the command line's options, with the domain file's entries for this domain on top."""
    return collect_options(
        {
            **values,
            "domain": job.domain,
            "service": [*(values.get("service") or ()), *job.services],
            "statement": job.statement or values.get("statement"),
            "claims": job.claims or values.get("claims"),
            "host_root": job.host_root or values.get("host_root"),
            "db": job.db or values.get("db"),
        }
    )


def cmd_fleet(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    values = vars(args)
    if args.no_network:
        raise UsageError("a fleet audits domains over the network; --no-network does not apply")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    report = report_request(values)
    make = ReportMaker(report, console)
    probe_endpoints = make.reads(Need.ENDPOINTS)
    domains = [
        replace(domain_options(values, job), probe_endpoints=probe_endpoints) for job in load_domains(args.domains_file)
    ]
    mail = mail_from_options(values)
    previous = None if args.fresh else _previous_summary(args.out_dir)
    request = FleetRequest(
        domains=domains,
        out_dir=args.out_dir,
        resume=not args.fresh,
        previous_endpoints={d.domain: d.endpoints for d in previous.domains} if previous else {},
    )
    backend = _backend(args, console)
    started = _now()

    def make_report(evidence: Evidence) -> Report:
        return make(evidence, started)

    try:
        outcome = _run(request, backend, make_report, console, quiet=report.quiet)
    finally:
        backend.close()
    summary = _with_history(_summary(outcome, report, backend.name, started), outcome, args)
    atomic_write(args.out_dir / "fleet.json", fleet_to_json(summary))
    atomic_write(args.out_dir / "fleet.html", render_fleet_html(summary))
    if not report.quiet:
        _print(summary, console, show_changes=bool(args.since))
    delivered = _mail(summary, mail, args.resolver, report.quiet, console) if mail is not None else True
    return _exit_code(summary, outcome, report, delivered)


def _backend(args: argparse.Namespace, console: Console) -> Backend:
    if not args.broker:
        return LocalBackend(
            per_ip_concurrency=args.per_ip_concurrency,
            per_ip_pace=args.per_ip_pace,
            plan_workers=args.workers,
            probe_workers=args.workers,
        )
    _check_broker(args.broker)
    from auditor.fleet.celery_backend import CeleryBackend

    celery = CeleryBackend(args.broker)
    workers = celery.workers()
    if not args.quiet:
        if workers:
            console.print(f"celery: {len(workers)} worker(s): {plain(', '.join(workers))}")
        else:
            console.print("[yellow]celery: no worker answers yet; tasks wait in the queue until one starts[/]")
    return celery


def _check_broker(url: str) -> None:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--broker {url!r}: a Redis URL (redis://HOST:PORT/DB, rediss:// for TLS)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise UsageError(f"--broker {url}: Redis does not answer: {exc}") from None


def cmd_worker(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    _check_broker(args.broker)
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    from auditor.fleet.celery_backend import run_worker

    run_worker(args.broker, concurrency=args.concurrency, redeliver_after=args.redeliver_after, loglevel=args.loglevel)
    return ExitCode.OK


def _run(
    request: FleetRequest,
    backend: Backend,
    make_report: Callable[[Evidence], Report],
    console: Console,
    *,
    quiet: bool,
) -> FleetOutcome:
    if quiet or not console.is_terminal:
        return run_fleet(request, backend, make_report)
    columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        return run_fleet(request, backend, make_report, _RichProgress(progress))


def _summary(outcome: FleetOutcome, report: ReportRequest, backend: str, started: str) -> FleetSummary:
    reports = outcome.reports
    notes = []
    if outcome.units:
        notes.append(
            f"{outcome.keys} distinct services at {len({k.split('[')[1] for k in outcome.protocols})} addresses were "
            f"probed once each for all domains ({outcome.units} probe units)"
        )
    return FleetSummary(
        schema_version="1",
        run_id=str(uuid.uuid4()),
        started=started,
        finished=_now(),
        backend=backend,
        profile=report.profile_name,
        by_verdict=verdict_counts(outcome.domains),
        domains=tuple(outcome.domains),
        by_check=by_check(reports.values()),
        by_clause=by_clause(reports.values()),
        endpoints=endpoint_table(outcome.domains, reports, outcome.protocols, outcome.connections),
        notes=tuple(notes),
    )


def _with_history(summary: FleetSummary, outcome: FleetOutcome, args: argparse.Namespace) -> FleetSummary:
    """Compare with the previous run (or ``--since RUN_ID``), then record this run."""
    try:
        history = History(database_url(args.history, args.out_dir))
    except HistoryError as exc:
        return replace(summary, notes=(*summary.notes, f"history not kept: {exc}"))
    try:
        wanted = None if args.since in (None, "last") else str(args.since)
        baseline = history.previous_run(run_id=wanted)
        if wanted is not None and baseline is None:
            raise UsageError(f"--since {wanted}: no such run in the history")
        if baseline is not None:
            summary = replace(
                summary, previous_run=baseline, changes=changes(history.results(baseline), summary, outcome.reports)
            )
        history.record(summary, outcome.reports)
    except HistoryError as exc:
        summary = replace(summary, notes=(*summary.notes, f"history not kept: {exc}"))
    finally:
        history.close()
    return summary


def _print(summary: FleetSummary, console: Console, *, show_changes: bool = False) -> None:
    table = Table(title=f"fleet: {len(summary.domains)} domains", expand=False)
    for column in ("domain", "verdict", "fail", "error", "warn", "worst finding"):
        table.add_column(column, overflow="fold")
    for entry in summary.domains:
        worst = entry.worst[0] if entry.worst else None
        table.add_row(
            plain(entry.domain),
            entry.verdict + (" (kept)" if entry.resumed else ""),
            str(entry.by_status.get("fail", 0)),
            str(entry.by_status.get("error", 0)),
            str(entry.by_status.get("warn", 0)),
            plain(f"{worst.check_id} {worst.subject}" if worst else (entry.error or "")),
        )
    console.print(table)
    verdicts = ", ".join(f"{count} {verdict}" for verdict, count in summary.by_verdict.items())
    console.print(f"verdicts: {plain(verdicts)}")
    if show_changes:
        if summary.previous_run is None:
            console.print("changes: no earlier run in the history")
        for change in summary.changes:
            mark = "[bold red]worse[/] " if change.worse else ""
            console.print(
                f"{mark}{plain(change.domain)}: {change.before} → {change.after}"
                + (f"; new: {plain(', '.join(change.new_failures))}" if change.new_failures else "")
                + (f"; fixed: {plain(', '.join(change.fixed))}" if change.fixed else "")
            )
        if summary.previous_run is not None and not summary.changes:
            console.print(f"changes: none since run {plain(summary.previous_run)}")
    for note in summary.notes:
        console.print(f"note: {plain(note)}")


def _mail(summary: FleetSummary, settings: MailSettings, resolver: str | None, quiet: bool, console: Console) -> bool:
    pinned = pin_mail_server(settings, resolver, console)
    if pinned is None:
        return False
    try:
        message_id = send_message(build_fleet_message(summary, pinned), pinned)
    except MailError as exc:
        console.print(f"[bold red]mail not sent:[/] {plain(str(exc))}")
        return False
    if not quiet:
        console.print(f"mailed fleet summary to {plain(', '.join(pinned.recipients))} ({plain(message_id)})")
    return True


def _exit_code(summary: FleetSummary, outcome: FleetOutcome, report: ReportRequest, delivered: bool) -> ExitCode:
    reports = outcome.reports.values()
    if report.fail_on is not None and any(failing(r.findings, report.fail_on) for r in reports):
        return ExitCode.FINDINGS
    if not delivered or outcome.not_audited or any(d.verdict == "not-run" for d in summary.domains):
        return ExitCode.NOT_RUN
    if any(f.status == Status.ERROR and not f.in_baseline for r in reports for f in r.findings):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


FLEET_COMMANDS = {"fleet": cmd_fleet, "worker": cmd_worker}
