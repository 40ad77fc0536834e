"""The sub-commands behind the CLI: collect, evaluate, gate, render, deliver.

Each returns an :class:`ExitCode`; bad input raises :class:`UsageError` (exit 2).
"""

from __future__ import annotations

import argparse
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from auditor.claims import (
    ClaimsFileError,
    StatementError,
    extract_claims,
    load_statement,
    read_claims_yaml,
    write_claims_yaml,
)
from auditor.clauses import CatalogueError, load_catalogue
from auditor.collect import ScanOptions, collect
from auditor.collectors.discovery import ServiceSpecError, is_hostname, is_ip, parse_service
from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.collectors.dnssec import TrustAnchor, TrustAnchorError
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
from auditor.metadata import MetadataError, load_mapping_file, packaged_metadata
from auditor.models import Report, Severity, Status
from auditor.registry import Check, load_checks, select, with_overrides
from auditor.report import build_report
from auditor.reports.outputs import OutputError, renderer_for, write_outputs
from auditor.reports.terminal import print_summary
from auditor.runner import evaluate, failing
from auditor.safeload import MAX_JSON_BYTES, InputFileError, json_error, read_bytes
from auditor.state import StateStore


class UsageError(Exception):
    """A bad argument or input file: exit 2 with this message."""


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _load_checks(args: argparse.Namespace, console: Console) -> list[Check]:
    try:
        metadata = packaged_metadata()
        overrides = load_mapping_file(args.mapping) if getattr(args, "mapping", None) else {}
    except MetadataError as exc:
        raise UsageError(str(exc)) from None
    checks = load_checks(metadata, warn=lambda msg: console.print(f"[yellow]warning:[/] {escape(msg)}"))
    checks = with_overrides(checks, overrides)
    if hasattr(args, "only"):
        checks = select(checks, args.only, args.skip)
        if not checks:
            raise UsageError("no check matches the --only/--skip selection (see `auditor checks`)")
    return checks


def clause_info(lang: str, override: Path | None = None) -> dict[str, dict[str, str]]:
    """Titles and links of every catalogued clause, so reports are self-contained."""
    try:
        catalogue = load_catalogue()
        if override is not None:
            catalogue = catalogue.with_override(override)
    except CatalogueError as exc:
        raise UsageError(str(exc)) from None
    info = {}
    for cid in catalogue.ids():
        clause = catalogue.get(cid)
        if clause is not None:
            info[cid] = {
                "id": cid,
                "title": clause.title.get(lang) or clause.title.get("en", cid),
                "url": clause.url,
                "law": clause.law,
            }
    return info


def _validate_outputs(args: argparse.Namespace) -> None:
    try:
        for path in args.output:
            renderer_for(path)
    except OutputError as exc:
        raise UsageError(str(exc)) from None


def _language(args: argparse.Namespace, evidence: Evidence) -> str:
    """``--lang auto``: a German statement gets a German report (the DPO who signs reads it)."""
    if args.lang != "auto":
        return str(args.lang)
    claims = getattr(evidence, "claims", None)
    return "de" if claims is not None and claims.language == "de" else "en"


def _report(evidence: Evidence, args: argparse.Namespace, console: Console, started: str) -> Report:
    args.lang = _language(args, evidence)
    checks = _load_checks(args, console)
    findings = evaluate(checks, evidence, profile=args.profile, lang=args.lang)
    notes: list[str] = list(evidence.input_errors)
    try:
        if args.waivers:
            findings, waiver_notes = apply_waivers(findings, load_waivers(args.waivers), evidence.now.date())
            notes += waiver_notes
        if args.baseline:
            findings = known_in_baseline(findings, load_report_file(args.baseline))
            known = sum(f.in_baseline for f in findings)
            notes.append(
                f"{known} finding(s) were already present in the baseline {args.baseline} and do not fail this run"
            )
    except GatingFileError as exc:
        raise UsageError(str(exc)) from None
    return build_report(
        evidence,
        findings,
        profile=args.profile,
        lang=args.lang,
        clause_info=clause_info(args.lang, args.clauses),
        started=started,
        run_id=str(uuid.uuid4()),
        notes=notes,
    )


def _exit_code(report: Report, args: argparse.Namespace) -> ExitCode:
    if args.fail_on != "none" and failing(report.findings, Severity(args.fail_on)):
        return ExitCode.FINDINGS
    if any(f.status == Status.ERROR and not f.in_baseline for f in report.findings):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _publish(report: Report, args: argparse.Namespace, console: Console) -> None:
    try:
        write_outputs(report, args.output)
    except OSError as exc:
        raise UsageError(f"cannot write report: {exc}") from None
    if not args.quiet:
        print_summary(report, console, show_passed=args.show_passed)
        for note in report.notes:
            console.print(f"note: {escape(note)}")
        for path in args.output:
            console.print(f"wrote {escape(str(path))}")


def _mail_settings(args: argparse.Namespace) -> MailSettings | None:
    if getattr(args, "mail_settings", None) is not None:
        return args.mail_settings  # type: ignore[no-any-return]
    if not getattr(args, "mail_to", None):
        return None
    if not args.smtp_server or not args.mail_from:
        raise UsageError("--mail-to needs --smtp-server and --mail-from")
    host, _, port = args.smtp_server.partition(":")
    return MailSettings(
        server=host,
        port=int(port) if port.isdigit() else (465 if args.smtp_tls == "implicit" else 587),
        sender=args.mail_from,
        recipients=tuple(args.mail_to),
        tls=args.smtp_tls,
        username=args.smtp_user,
        password_env=args.smtp_password_env,
        password_file=args.smtp_password_file,
        ca_file=args.smtp_ca_file,
    )


def _deliver(report: Report, args: argparse.Namespace, settings: MailSettings, console: Console) -> bool:
    """Mail the report; the previous run's counts (state dir) go into the subject."""
    store = StateStore(args.state_dir) if getattr(args, "state_dir", None) else None
    key = f"report-{report.target}"
    if getattr(args, "resolver", None) and not is_ip(settings.server):
        # --resolver governs every connection of the run, the mail delivery included.
        addresses, problems = DnsClient(ResolverSpec.parse(args.resolver)).addresses(settings.server)
        if not addresses:
            console.print(
                f"[bold red]mail not sent:[/] cannot resolve {escape(settings.server)}: {escape('; '.join(problems))}"
            )
            return False
        settings = replace(settings, address=addresses[0])
    previous = store.load(key).get("by_status") if store else None
    try:
        message_id = send_report(report, settings, previous if isinstance(previous, dict) else None)
    except MailError as exc:
        console.print(f"[bold red]mail not sent:[/] {escape(str(exc))}")
        return False
    if store is not None:
        store.save(key, {"by_status": report.summary.by_status, "run_id": report.run_id, "finished": report.finished})
    if not args.quiet:
        console.print(f"mailed report to {escape(', '.join(settings.recipients))} ({escape(message_id)})")
    return True


def cmd_scan(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    if args.domain and not is_hostname(args.domain):
        raise UsageError(f"{args.domain!r} is not a domain name")
    if not args.domain and not args.no_network:
        raise UsageError("give a DOMAIN to audit, or --no-network for host/statement-only audits")
    try:
        ResolverSpec.parse(args.resolver)
        for spec in args.service:
            parse_service(spec)
    except (ValueError, ServiceSpecError) as exc:
        raise UsageError(f"--resolver/--service: {exc}") from None
    _validate_outputs(args)
    if args.ca_file and not Path(args.ca_file).is_file():
        raise UsageError(f"--ca-file {args.ca_file}: no such file")
    if args.trust_anchor:
        try:
            TrustAnchor.load(args.trust_anchor)
        except TrustAnchorError as exc:
            raise UsageError(str(exc)) from None
    if not args.domain and not (args.host_root or args.statement or args.claims):
        raise UsageError("nothing to audit: give a DOMAIN, --host-root, --statement or --claims")
    if args.claims is not None:
        try:
            read_claims_yaml(args.claims)
        except ClaimsFileError as exc:
            raise UsageError(str(exc)) from None
    if args.host_root is not None and not args.host_root.is_dir():
        raise UsageError(f"--host-root {args.host_root}: not a directory")
    mail = _mail_settings(args)
    started = _now()
    options = ScanOptions(
        domain=args.domain.rstrip(".").lower() if args.domain and not args.no_network else None,
        services=tuple(args.service),
        resolver=args.resolver,
        ca_file=args.ca_file,
        timeout=args.timeout,
        network=not args.no_network,
        state_dir=args.state_dir,
        trust_anchor=args.trust_anchor,
        per_ip_budget=args.per_ip_budget,
        per_ip_concurrency=args.per_ip_concurrency,
        statement=args.statement,
        claims_file=args.claims,
        host_root=args.host_root,
        db=args.db,
    )
    t0 = time.monotonic()
    if console.is_terminal and not args.quiet:
        with console.status("collecting evidence …") as status:
            evidence = collect(options, on_step=lambda name: status.update(f"collecting: {name}"))
    else:
        evidence = collect(options)
    if args.evidence_out:
        atomic_write(args.evidence_out, evidence_to_json(evidence))
    report = _report(evidence, args, console, started)
    _publish(report, args, console)
    if not args.quiet:
        console.print(f"collected in {time.monotonic() - t0:.1f} s")
    delivered = _deliver(report, args, mail, console) if mail is not None else True
    discovery = evidence.discovery
    if discovery is not None and discovery.fatal and discovery.mx.status not in ("ok", "nodata"):
        console.print(f"[bold red]audit could not run:[/] {escape(discovery.fatal)}")
        return ExitCode.NOT_RUN
    code = _exit_code(report, args)
    return ExitCode.NOT_RUN if not delivered and code == ExitCode.OK else code


def cmd_evaluate(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    try:
        evidence = evidence_from_json(read_bytes(args.bundle, max_bytes=MAX_JSON_BYTES, kind="evidence bundle"))
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        raise UsageError(str(json_error(args.bundle, exc, "an evidence bundle"))) from None
    _validate_outputs(args)
    report = _report(evidence, args, console, _now())
    _publish(report, args, console)
    return _exit_code(report, args)


def cmd_claims(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    from rich.table import Table

    try:
        text = load_statement(args.statement, ca_file=args.ca_file)
    except StatementError as exc:
        raise UsageError(str(exc)) from None
    claims = extract_claims(text)
    if args.output:
        write_claims_yaml(claims, args.output)
    table = Table(title=f"claims in {escape(args.statement)} ({claims.language})", expand=True)
    for column in ("id", "kind", "subject", "period", "value", "fields", "quote"):
        table.add_column(column, overflow="fold")
    for claim in claims.claims:
        table.add_row(
            escape(claim.id),
            claim.kind,
            escape(claim.subject or ""),
            claim.period or "",
            escape(claim.value or ""),
            escape(", ".join(claim.fields)),
            escape(claim.quote[:160]),
        )
    console.print(table)
    console.print(
        f"{len(claims.claims)} claims; {len(claims.not_understood)} privacy-relevant sentence(s) not "
        f"understood (review them by hand); cited law: "
        f"{escape(', '.join(c.text for c in claims.cited_law)) or '-'}"
    )
    for span in claims.not_understood:
        console.print(f"  not understood: {escape(span.text[:200])}")
    if args.output:
        console.print(f"wrote {escape(str(args.output))}: review it, then pass it with --claims")
    return ExitCode.OK


def cmd_run(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    try:
        argv, mail = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    try:
        scan_args = parser.parse_args(argv)
    except SystemExit:
        raise UsageError(f"{args.config}: the settings do not form a valid scan (see the message above)") from None
    scan_args.mail_settings = mail
    return cmd_scan(scan_args, console, parser)


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
            console.print(f"  {f.status.value:7} {f.severity.value:8} {escape(f.id)}: {escape(f.detail)}")
    console.print(f"[bold]changed[/] ({len(result.changed)})")
    for before, after in result.changed:
        console.print(
            f"  {escape(after.id)}: {before.status.value}/{before.severity.value} → "
            f"{after.status.value}/{after.severity.value}"
        )
    return ExitCode.OK


def cmd_checks(args: argparse.Namespace, console: Console, parser: argparse.ArgumentParser) -> ExitCode:
    from rich.table import Table

    table = Table(title="auditor checks", expand=True)
    for column in ("id", "severity", "needs", "title", "clauses", "source"):
        table.add_column(column, overflow="fold")
    for item in _load_checks(args, console):
        meta = item.meta
        table.add_row(
            escape(meta.id),
            meta.severity.value,
            ",".join(sorted(n.value for n in meta.needs)),
            escape(meta.title_in(args.lang)),
            escape(", ".join(meta.clauses)),
            escape(meta.source),
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
