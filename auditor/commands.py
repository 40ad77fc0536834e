"""The sub-commands behind the CLI: collect, evaluate, gate, render, deliver.

Each returns an :class:`ExitCode`; bad input raises :class:`UsageError` (exit 2).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from auditor.claims import StatementError, extract_claims, load_statement, write_claims_yaml
from auditor.clauses import Catalogue
from auditor.collect import collect
from auditor.collectors.discovery import is_ip
from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.config import ConfigError, load_config
from auditor.evidence import Evidence, evidence_from_json, evidence_to_json
from auditor.exitcodes import ExitCode
from auditor.fsutil import atomic_write
from auditor.gating import (
    GatingFileError,
    apply_waivers,
    diff_reports,
    known_in_baseline,
    load_report_file,
    load_waivers,
)
from auditor.mailer import MailError, MailSettings, send_report
from auditor.messages import render
from auditor.metadata import MetadataError, load_mapping_file, packaged_metadata
from auditor.models import Need, Report, Status
from auditor.registry import Check, load_checks, select, with_overrides
from auditor.report import build_report
from auditor.reports.outputs import write_outputs
from auditor.reports.terminal import plain, print_summary
from auditor.request import ReportRequest, ScanRequest, UsageError, report_request, scan_request
from auditor.runner import evaluate, failing
from auditor.safeload import MAX_JSON_BYTES, InputFileError, json_error, read_bytes
from auditor.state import StateStore


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _load_checks(
    console: Console, mapping: Path | None, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()
) -> list[Check]:
    try:
        metadata = packaged_metadata()
        overrides = load_mapping_file(mapping) if mapping else {}
    except MetadataError as exc:
        raise UsageError(str(exc)) from None
    checks = load_checks(metadata, warn=lambda msg: console.print(f"[yellow]warning:[/] {plain(msg)}"))
    checks = select(with_overrides(checks, overrides), only, skip)
    if not checks:
        raise UsageError("no check matches the --only/--skip selection (see `auditor checks`)")
    return checks


def clause_info(lang: str, catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Titles and links of every catalogued clause, so reports are self-contained."""
    info = {}
    for clause in catalogue:
        info[clause.id] = {"id": clause.id, "title": clause.title_in(lang), "url": clause.url, "law": clause.law}
    return info


def _language(requested: str, evidence: Evidence) -> str:
    """``--lang auto``: a German statement gets a German report (the DPO who signs reads it)."""
    if requested != "auto":
        return requested
    claims = evidence.claims
    return "de" if claims is not None and claims.language == "de" else "en"


class ReportMaker:
    """Evaluate evidence into reports with one set of checks, waivers, baseline and clause
    titles, loaded once: a scan makes one report, a fleet hundreds."""

    def __init__(self, request: ReportRequest, console: Console) -> None:
        self._request = request
        self._checks = _load_checks(console, request.mapping, request.only, request.skip)
        self._clause_info: dict[str, dict[str, dict[str, str]]] = {}
        try:
            self._waivers = load_waivers(request.waivers) if request.waivers else None
            self._baseline = load_report_file(request.baseline) if request.baseline else None
        except GatingFileError as exc:
            raise UsageError(str(exc)) from None

    def reads(self, need: Need) -> bool:
        """Whether any selected check needs this kind of evidence (collection skips what none reads)."""
        return any(need in item.meta.needs for item in self._checks)

    def __call__(self, evidence: Evidence, started: str) -> Report:
        request = self._request
        lang = _language(request.lang, evidence)
        debug = bool(os.environ.get("AUDITOR_DEBUG"))
        findings = evaluate(
            self._checks, evidence, profile=request.profile, catalogue=request.catalogue, lang=lang, debug=debug
        )
        notes: list[str] = [str(e) for e in evidence.input_errors]
        if self._waivers is not None:
            findings, waiver_notes = apply_waivers(findings, self._waivers, evidence.now.date())
            notes += waiver_notes
        if self._baseline is not None:
            findings = known_in_baseline(findings, self._baseline)
            known = sum(f.in_baseline for f in findings)
            notes.append(
                f"{known} finding(s) were already present in the baseline {request.baseline} and do not fail this run"
            )
        if lang not in self._clause_info:
            self._clause_info[lang] = clause_info(lang, request.catalogue)
        return build_report(
            evidence,
            findings,
            profile=request.profile_name,
            lang=lang,
            clause_info=self._clause_info[lang],
            started=started,
            run_id=str(uuid.uuid4()),
            notes=notes,
        )


def _report(evidence: Evidence, request: ReportRequest, console: Console, started: str) -> Report:
    return ReportMaker(request, console)(evidence, started)


def _exit_code(report: Report, request: ReportRequest) -> ExitCode:
    if request.fail_on is not None and failing(report.findings, request.fail_on):
        return ExitCode.FINDINGS
    if any(f.status == Status.ERROR and not f.in_baseline for f in report.findings):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _publish(report: Report, request: ReportRequest, console: Console) -> None:
    try:
        write_outputs(report, list(request.outputs))
    except OSError as exc:
        raise UsageError(f"cannot write report: {exc}") from None
    if not request.quiet:
        print_summary(report, console, show_passed=request.show_passed)
        for note in report.notes:
            console.print(f"note: {plain(note)}")
        for path in request.outputs:
            console.print(f"wrote {plain(str(path))}")


def pin_mail_server(settings: MailSettings, resolver: str | None, console: Console) -> MailSettings | None:
    """--resolver governs every connection of the run, the mail delivery included (None: unresolvable)."""
    if not resolver or is_ip(settings.server):
        return settings
    addresses, problems = DnsClient(ResolverSpec.parse(resolver)).addresses(settings.server)
    if not addresses:
        console.print(
            f"[bold red]mail not sent:[/] cannot resolve {plain(settings.server)}: {plain('; '.join(problems))}"
        )
        return None
    return replace(settings, address=addresses[0])


def _deliver(report: Report, request: ScanRequest, settings: MailSettings, console: Console) -> bool:
    """Mail the report; the previous run's counts (state dir) go into the subject."""
    options = request.collect
    store = StateStore(options.state_dir) if options.state_dir else None
    key = f"report-{report.target}"
    pinned = pin_mail_server(settings, options.resolver, console)
    if pinned is None:
        return False
    settings = pinned
    previous = store.load(key).get("by_status") if store else None
    try:
        message_id = send_report(report, settings, previous if isinstance(previous, dict) else None)
    except MailError as exc:
        console.print(f"[bold red]mail not sent:[/] {plain(str(exc))}")
        return False
    if store is not None:
        store.save(key, {"by_status": report.summary.by_status, "run_id": report.run_id, "finished": report.finished})
    if not request.report.quiet:
        console.print(f"mailed report to {plain(', '.join(settings.recipients))} ({plain(message_id)})")
    return True


def cmd_scan(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    return run_scan(scan_request(vars(args)), console)


def run_scan(request: ScanRequest, console: Console) -> ExitCode:
    """Collect, evaluate, publish and deliver one audit."""
    started = _now()
    t0 = time.monotonic()
    make_report = ReportMaker(request.report, console)
    options = replace(request.collect, probe_endpoints=make_report.reads(Need.ENDPOINTS))
    if console.is_terminal and not request.report.quiet:
        with console.status("collecting evidence …") as status:
            evidence = collect(options, on_step=lambda name: status.update(f"collecting: {name}"))
    else:
        evidence = collect(options)
    if request.evidence_out:
        atomic_write(request.evidence_out, evidence_to_json(evidence))
    report = make_report(evidence, started)
    _publish(report, request.report, console)
    if not request.report.quiet:
        console.print(f"collected in {time.monotonic() - t0:.1f} s")
    delivered = _deliver(report, request, request.mail, console) if request.mail is not None else True
    discovery = evidence.discovery
    if discovery is not None and discovery.fatal and discovery.mx.status not in ("ok", "nodata"):
        console.print(f"[bold red]audit could not run:[/] {plain(render(discovery.fatal, 'en'))}")
        return ExitCode.NOT_RUN
    code = _exit_code(report, request.report)
    return ExitCode.NOT_RUN if not delivered and code == ExitCode.OK else code


def cmd_evaluate(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    try:
        evidence = evidence_from_json(read_bytes(args.bundle, max_bytes=MAX_JSON_BYTES, kind="evidence bundle"))
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    except (ValueError, RecursionError) as exc:
        raise UsageError(str(json_error(args.bundle, exc, "an evidence bundle"))) from None
    request = report_request(vars(args))
    report = _report(evidence, request, console, _now())
    _publish(report, request, console)
    return _exit_code(report, request)


def cmd_claims(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    from rich.table import Table

    try:
        text = load_statement(args.statement, ca_file=args.ca_file)
    except StatementError as exc:
        raise UsageError(str(exc)) from None
    claims = extract_claims(text)
    if args.output:
        write_claims_yaml(claims, args.output)
    table = Table(title=f"claims in {plain(args.statement)} ({claims.language})", expand=True)
    for column in ("id", "kind", "subject", "period", "value", "fields", "quote"):
        table.add_column(column, overflow="fold")
    for claim in claims.claims:
        table.add_row(
            plain(claim.id),
            claim.kind,
            plain(claim.subject or ""),
            claim.period or "",
            plain(claim.value or ""),
            plain(", ".join(claim.fields)),
            plain(claim.quote[:160]),
        )
    console.print(table)
    console.print(
        f"{len(claims.claims)} claims; {len(claims.not_understood)} privacy-relevant sentence(s) not "
        f"understood (review them by hand); cited law: "
        f"{plain(', '.join(c.text for c in claims.cited_law)) or '-'}"
    )
    for span in claims.not_understood:
        console.print(f"  not understood: {plain(span.text[:200])}")
    if args.output:
        console.print(f"wrote {plain(str(args.output))}: review it, then pass it with --claims")
    return ExitCode.OK


def cmd_run(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    try:
        options, mail = load_config(args.config)
        request = scan_request(options, mail)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except UsageError as exc:
        raise UsageError(f"{args.config}: {exc}") from None
    return run_scan(request, console)


def cmd_diff(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    try:
        result = diff_reports(load_report_file(args.old), load_report_file(args.new))
    except GatingFileError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        console.print_json(result.to_json())
        return ExitCode.OK
    for label, items in (("new", result.new), ("fixed", result.fixed)):
        console.print(f"[bold]{label}[/] ({len(items)})")
        for f in items:
            console.print(f"  {f.status.value:7} {f.severity.value:8} {plain(f.id)}: {plain(f.detail)}")
    console.print(f"[bold]changed[/] ({len(result.changed)})")
    for before, after in result.changed:
        console.print(
            f"  {plain(after.id)}: {before.status.value}/{before.severity.value} → "
            f"{after.status.value}/{after.severity.value}"
        )
    return ExitCode.OK


def cmd_checks(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    from rich.table import Table

    table = Table(title="auditor checks", expand=True)
    for column in ("id", "severity", "needs", "title", "clauses", "source"):
        table.add_column(column, overflow="fold")
    for item in _load_checks(console, args.mapping):
        meta = item.meta
        table.add_row(
            plain(meta.id),
            meta.severity.value,
            ",".join(sorted(n.value for n in meta.needs)),
            plain(meta.title_in(args.lang)),
            plain(", ".join(meta.clauses)),
            plain(meta.source),
        )
    console.print(table)
    return ExitCode.OK


COMMANDS = {
    "claims": cmd_claims,
    "scan": cmd_scan,
    "evaluate": cmd_evaluate,
    "run": cmd_run,
    "diff": cmd_diff,
    "checks": cmd_checks,
}

__all__ = ["COMMANDS", "UsageError"]
