"""Command line: ``auditor scan | evaluate | run | diff | checks``.

Argument errors exit 2 with a usage message (argparse); every other outcome maps to
:class:`~auditor.exitcodes.ExitCode`. ``sys.exit`` is called only in :func:`main`.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from auditor import __version__
from auditor.collectors.limiter import DEFAULT_PER_IP_CONCURRENCY, DEFAULT_PER_IP_PACE_S
from auditor.commands import COMMANDS
from auditor.exitcodes import ExitCode
from auditor.fleet.command import FLEET_COMMANDS, add_fleet_parsers
from auditor.printable import printable
from auditor.profiles import DEFAULT_PROFILE
from auditor.request import (
    DEFAULT_FAIL_ON,
    DEFAULT_PER_IP_BUDGET,
    DEFAULT_TIMEOUT_S,
    FAIL_ON_CHOICES,
    LANG_CHOICES,
    UsageError,
    profile_choices,
)
from auditor.safeload import InputFileError


def _add_evaluation_options(parser: argparse.ArgumentParser, *, outputs: bool = True) -> None:
    if outputs:
        parser.add_argument(
            "-o",
            "--output",
            action="append",
            default=[],
            metavar="FILE",
            type=Path,
            help="write the report; format from the extension (.json .html .sarif .xml .md); repeatable",
        )
    parser.add_argument("--only", action="append", default=[], metavar="GLOB", help="run only checks matching GLOB")
    parser.add_argument("--skip", action="append", default=[], metavar="GLOB", help="skip checks matching GLOB")
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        metavar="NAME[:MODE]",
        help=f"TLS grading profile: {profile_choices()} (default: %(default)s)",
    )
    parser.add_argument(
        "--lang",
        choices=LANG_CHOICES,
        default="auto",
        help="report language; auto: German for a German statement, else English (default: %(default)s)",
    )

    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        default=DEFAULT_FAIL_ON,
        help="exit 1 if a finding at or above this severity fails (default: %(default)s)",
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        metavar="YAML",
        help="override check severities/clauses (check.id: {severity: ..., clauses: [...]})",
    )
    parser.add_argument(
        "--clauses",
        type=Path,
        metavar="YAML",
        help="your own clause catalogue entries, added to or overriding the packaged ones",
    )
    parser.add_argument(
        "--waivers", type=Path, metavar="YAML", help="accepted risks: check, target glob, reason, expires (YYYY-MM-DD)"
    )
    if outputs:
        parser.add_argument(
            "--baseline",
            type=Path,
            metavar="JSON",
            help="an accepted earlier JSON report: only findings new since then fail the run",
        )
    parser.add_argument("--quiet", "-q", action="store_true", help="no terminal summary")
    parser.add_argument("--show-passed", action="store_true", help="list passed checks in the terminal summary")


def _add_collection_options(parser: argparse.ArgumentParser) -> None:
    """What to probe and read, and how: shared by ``scan`` and ``fleet``."""
    parser.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="HOST[:PORT]/PROTO",
        help="extra endpoint to probe, e.g. mail.example.org:993/imaps; repeatable",
    )
    parser.add_argument("--resolver", metavar="IP[:PORT]", help="DNS server for every lookup and connection")
    parser.add_argument("--ca-file", metavar="PEM", help="trust these CA certificates (private or test CAs)")
    parser.add_argument(
        "--trust-anchor",
        type=Path,
        metavar="FILE",
        help="DS/DNSKEY records of a zone to trust besides the built-in root anchors (a file for '.' replaces "
        "them); DNSSEC is always validated by auditor itself",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help="time budget for the whole collection (default: %(default)s)",
    )
    parser.add_argument(
        "--per-ip-budget",
        type=int,
        default=DEFAULT_PER_IP_BUDGET,
        metavar="N",
        help="hard cap of N TLS connections per IP address and port (default: none; scans stop "
        "at the first sign of throttling and name what stayed unknown)",
    )
    parser.add_argument(
        "--per-ip-pace",
        type=float,
        default=DEFAULT_PER_IP_PACE_S,
        metavar="SECONDS",
        help="at least SECONDS between connection starts to one IP address (default: %(default)s)",
    )
    parser.add_argument(
        "--per-ip-concurrency",
        type=int,
        default=DEFAULT_PER_IP_CONCURRENCY,
        metavar="N",
        help="at most N simultaneous connections per IP address (default: %(default)s)",
    )
    parser.add_argument("--no-network", action="store_true", help="host/statement only: probe nothing")
    parser.add_argument("--statement", metavar="FILE|URL", help="privacy statement to extract claims from")
    parser.add_argument("--claims", type=Path, metavar="YAML", help="reviewed claims file (authoritative)")
    parser.add_argument("--host-root", type=Path, metavar="DIR", help="root of the mail host to read (/ or a snapshot)")
    parser.add_argument("--db", metavar="DSN", help="user database: sqlite:///path, postgresql://..., mysql://...")
    parser.add_argument(
        "--db-password-env", metavar="VAR", help="environment variable holding the --db password (not in the DSN)"
    )
    parser.add_argument(
        "--db-password-file", type=Path, metavar="FILE", help="file holding the --db password (one line)"
    )
    parser.add_argument(
        "--db-from-config",
        action="store_true",
        help="on the live host: read the user database the configs name (read-only) with their own credentials; "
        "the password is never shown (not with --no-network)",
    )
    parser.add_argument("--state-dir", type=Path, metavar="DIR", help="remember facts between runs here")


def _add_mail_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("mail the report (HTML inline, JSON attached; TLS required)")
    group.add_argument("--mail-to", action="append", default=[], metavar="ADDR", help="recipient; repeatable")
    group.add_argument("--mail-from", metavar="ADDR")
    group.add_argument("--smtp-server", metavar="HOST[:PORT]", help="submission server (default port 587)")
    group.add_argument("--smtp-tls", choices=["starttls", "implicit"], default="starttls")
    group.add_argument("--smtp-user", metavar="NAME")
    group.add_argument("--smtp-password-env", metavar="VAR", help="environment variable holding the SMTP password")
    group.add_argument("--smtp-password-file", type=Path, metavar="FILE", help="file holding the SMTP password")
    group.add_argument("--smtp-ca-file", metavar="PEM", help="CA certificates to verify the SMTP server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditor", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = sub.add_parser("scan", help="collect evidence and evaluate all checks")
    scan.add_argument("domain", nargs="?", help="mail domain to audit (omit with --no-network)")
    _add_collection_options(scan)
    scan.add_argument("--evidence-out", type=Path, metavar="JSON", help="save the evidence bundle")
    _add_evaluation_options(scan)
    _add_mail_options(scan)

    ev = sub.add_parser("evaluate", help="re-run the checks on a saved evidence bundle, offline")
    ev.add_argument("bundle", type=Path)
    _add_evaluation_options(ev)

    claims = sub.add_parser("claims", help="extract the claims of a privacy statement into a YAML file to review")
    claims.add_argument("statement", metavar="FILE|URL")
    claims.add_argument("-o", "--output", type=Path, metavar="YAML", help="write the claims file here")
    claims.add_argument("--ca-file", metavar="PEM", help="trust these CA certificates for an https statement")

    add_fleet_parsers(sub, _add_collection_options, _add_evaluation_options, _add_mail_options)

    run = sub.add_parser("run", help="run the audit described by a TOML config file")
    run.add_argument("config", type=Path)

    diff = sub.add_parser("diff", help="compare two JSON reports: new, fixed and changed findings")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--json", action="store_true", help="machine-readable output")

    cat = sub.add_parser("checks", help="list every check with its severity and clauses")
    cat.add_argument("--lang", choices=["en", "de"], default="en")
    cat.add_argument("--mapping", type=Path, metavar="YAML")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:  # logs and CI: no 80-column wrapping of ids and details
        console = Console(highlight=False, soft_wrap=False, width=160)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        code = (COMMANDS | FLEET_COMMANDS)[args.command](args, console, parser)
    except (UsageError, InputFileError) as exc:
        errors.print(f"auditor: error: {printable(str(exc))}", markup=False)
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        errors.print("auditor: interrupted", markup=False)
        code = ExitCode.INTERRUPTED
    except Exception as exc:  # a bug must not look like "findings" (exit 1) nor dump a traceback
        where = ""
        if exc.__traceback__ is not None:
            last = traceback.extract_tb(exc.__traceback__)[-1]
            where = f" ({Path(last.filename).name}:{last.lineno})"
        errors.print(f"auditor: internal error{where}: {type(exc).__name__}: {printable(str(exc))}", markup=False)
        if os.environ.get("AUDITOR_DEBUG"):
            errors.print(traceback.format_exc(), markup=False)
        code = ExitCode.INTERNAL
    sys.exit(int(code))
