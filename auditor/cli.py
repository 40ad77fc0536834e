"""Command line: ``auditor scan | evaluate | checks | claims``.

Argument errors exit 2 with a usage message (argparse); every other outcome maps to
:class:`~auditor.exitcodes.ExitCode`. ``sys.exit`` is called only in :func:`main`.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from auditor import __version__
from auditor.collect import ScanOptions, collect
from auditor.collectors.discovery import ServiceSpecError, is_hostname, parse_service
from auditor.collectors.dnsclient import ResolverSpec
from auditor.evidence import Evidence, evidence_from_json, evidence_to_json
from auditor.exitcodes import ExitCode
from auditor.fsutil import atomic_write
from auditor.metadata import MetadataError, load_mapping_file, packaged_metadata
from auditor.models import Report, Severity, Status
from auditor.registry import Check, load_checks, select, with_overrides
from auditor.report import build_report
from auditor.reports.outputs import OutputError, renderer_for, write_outputs
from auditor.reports.terminal import print_summary
from auditor.runner import evaluate, failing

FAIL_ON_CHOICES = [s.value for s in Severity] + ["none"]


class UsageError(Exception):
    """A bad argument or input file: exit 2 with this message."""


def _add_evaluation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", action="append", default=[], metavar="FILE", type=Path,
                        help="write the report; format from the extension (.json, .html); repeatable")
    parser.add_argument("--only", action="append", default=[], metavar="GLOB", help="run only checks matching GLOB")
    parser.add_argument("--skip", action="append", default=[], metavar="GLOB", help="skip checks matching GLOB")
    parser.add_argument("--profile", default="bsi-tr-02102-2", help="TLS grading profile (default: %(default)s)")
    parser.add_argument("--lang", choices=["en", "de"], default="en", help="report language (default: %(default)s)")
    parser.add_argument("--fail-on", choices=FAIL_ON_CHOICES, default="high",
                        help="exit 1 if a finding at or above this severity fails (default: %(default)s)")
    parser.add_argument("--mapping", type=Path, metavar="YAML",
                        help="override check severities/clauses (check.id: {severity: ..., clauses: [...]})")
    parser.add_argument("--quiet", "-q", action="store_true", help="no terminal summary")
    parser.add_argument("--show-passed", action="store_true", help="list passed checks in the terminal summary")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditor", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = sub.add_parser("scan", help="collect evidence and evaluate all checks")
    scan.add_argument("domain", nargs="?", help="mail domain to audit (omit with --no-network)")
    scan.add_argument("--service", action="append", default=[], metavar="HOST[:PORT]/PROTO",
                      help="extra endpoint to probe, e.g. mail.example.org:993/imaps; repeatable")
    scan.add_argument("--resolver", metavar="IP[:PORT]", help="DNS server for every lookup and connection")
    scan.add_argument("--ca-file", metavar="PEM", help="trust these CA certificates (private or test CAs)")
    scan.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                      help="time budget for the whole collection (default: %(default)s)")
    scan.add_argument("--no-network", action="store_true", help="host/statement only: probe nothing")
    scan.add_argument("--state-dir", type=Path, metavar="DIR", help="remember facts between runs here")
    scan.add_argument("--evidence-out", type=Path, metavar="JSON", help="save the evidence bundle")
    _add_evaluation_options(scan)

    ev = sub.add_parser("evaluate", help="re-run the checks on a saved evidence bundle, offline")
    ev.add_argument("bundle", type=Path)
    _add_evaluation_options(ev)

    cat = sub.add_parser("checks", help="list every check with its severity and clauses")
    cat.add_argument("--lang", choices=["en", "de"], default="en")
    cat.add_argument("--mapping", type=Path, metavar="YAML")
    return parser


def _load_checks(args: argparse.Namespace, console: Console) -> list[Check]:
    try:
        metadata = packaged_metadata()
        overrides = load_mapping_file(args.mapping) if getattr(args, "mapping", None) else {}
    except MetadataError as exc:
        raise UsageError(str(exc)) from None
    checks = load_checks(metadata, warn=lambda msg: console.print(f"[yellow]warning:[/] {msg}", markup=True))
    checks = with_overrides(checks, overrides)
    if hasattr(args, "only"):
        checks = select(checks, args.only, args.skip)
        if not checks:
            raise UsageError("no check matches the --only/--skip selection (see `auditor checks`)")
    return checks


def _clause_info(lang: str) -> dict[str, dict[str, str]]:
    try:
        from auditor.clauses import load_catalogue
    except ImportError:
        return {}
    catalogue = load_catalogue()
    info = {}
    for cid in catalogue.ids():
        clause = catalogue.get(cid)
        if clause is not None:
            info[cid] = {"id": cid, "title": clause.title.get(lang) or clause.title.get("en", cid), "url": clause.url}
    return info


def _finish(report: Report, args: argparse.Namespace, console: Console) -> ExitCode:
    try:
        write_outputs(report, args.output)
    except OSError as exc:
        raise UsageError(f"cannot write report: {exc}") from None
    if not args.quiet:
        print_summary(report, console, show_passed=args.show_passed)
        for path in args.output:
            console.print(f"wrote {path}", markup=False)
    if args.fail_on != "none" and failing(report.findings, Severity(args.fail_on)):
        return ExitCode.FINDINGS
    if any(f.status == Status.ERROR for f in report.findings):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _evaluate(evidence: Evidence, args: argparse.Namespace, console: Console, started: str) -> Report:
    checks = _load_checks(args, console)
    findings = evaluate(checks, evidence, profile=args.profile, lang=args.lang)
    return build_report(evidence, findings, profile=args.profile, lang=args.lang, clause_info=_clause_info(args.lang),
                        started=started, run_id=str(uuid.uuid4()))


def cmd_scan(args: argparse.Namespace, console: Console) -> ExitCode:
    if args.domain and not is_hostname(args.domain):
        raise UsageError(f"{args.domain!r} is not a domain name")
    if not args.domain and not args.no_network:
        raise UsageError("give a DOMAIN to audit, or --no-network for host/statement-only audits")
    try:
        ResolverSpec.parse(args.resolver)
        for spec in args.service:
            parse_service(spec)
        for path in args.output:
            renderer_for(path)
    except (ValueError, ServiceSpecError, OutputError) as exc:
        raise UsageError(str(exc)) from None
    if args.ca_file and not Path(args.ca_file).is_file():
        raise UsageError(f"--ca-file {args.ca_file}: no such file")
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    options = ScanOptions(
        domain=args.domain.rstrip(".").lower() if args.domain else None,
        services=tuple(args.service),
        resolver=args.resolver,
        ca_file=args.ca_file,
        timeout=args.timeout,
        network=not args.no_network,
        state_dir=args.state_dir,
    )
    t0 = time.monotonic()
    show_progress = console.is_terminal and not args.quiet
    if show_progress:
        with console.status("collecting evidence …") as status:
            evidence = collect(options, on_step=lambda name: status.update(f"collecting: {name}"))
    else:
        evidence = collect(options)
    if args.evidence_out:
        atomic_write(args.evidence_out, evidence_to_json(evidence))
    report = _evaluate(evidence, args, console, started)
    code = _finish(report, args, console)
    if not args.quiet:
        console.print(f"collected in {time.monotonic() - t0:.1f} s", markup=False)
    discovery = evidence.discovery
    if discovery is not None and discovery.fatal and discovery.mx.status not in ("ok", "nodata"):
        console.print(f"[bold red]audit could not run:[/] {discovery.fatal}", highlight=False)
        return ExitCode.NOT_RUN
    return code


def cmd_evaluate(args: argparse.Namespace, console: Console) -> ExitCode:
    try:
        evidence = evidence_from_json(args.bundle.read_bytes())
    except OSError as exc:
        raise UsageError(f"{args.bundle}: cannot read: {exc}") from None
    except ValueError as exc:
        first = str(exc).splitlines()[:3]
        raise UsageError(f"{args.bundle}: not an evidence bundle: {' '.join(first)}") from None
    for path in args.output:
        try:
            renderer_for(path)
        except OutputError as exc:
            raise UsageError(str(exc)) from None
    report = _evaluate(evidence, args, console, datetime.now(UTC).replace(microsecond=0).isoformat())
    return _finish(report, args, console)


def cmd_checks(args: argparse.Namespace, console: Console) -> ExitCode:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="auditor checks", expand=True)
    for column in ("id", "severity", "needs", "title", "clauses", "source"):
        table.add_column(column, overflow="fold")
    for item in _load_checks(args, console):
        meta = item.meta
        table.add_row(escape(meta.id), meta.severity.value, ",".join(sorted(n.value for n in meta.needs)),
                      escape(meta.title_in(args.lang)), escape(", ".join(meta.clauses)), escape(meta.source))
    console.print(table)
    return ExitCode.OK


COMMANDS = {"scan": cmd_scan, "evaluate": cmd_evaluate, "checks": cmd_checks}


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(stderr=False, highlight=False, soft_wrap=False)
    if not console.is_terminal:  # logs and CI: no 80-column wrapping of ids and details
        console = Console(stderr=False, highlight=False, soft_wrap=False, width=160)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        code = COMMANDS[args.command](args, console)
    except UsageError as exc:
        errors.print(f"auditor: error: {exc}", markup=False)
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        errors.print("auditor: interrupted", markup=False)
        code = ExitCode.INTERRUPTED
    sys.exit(int(code))
