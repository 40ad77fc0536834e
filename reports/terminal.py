"""Terminal summary with rich: what failed, what could not be verified, the verdict.

Every untrusted string printed to the terminal goes through :func:`plain`: rich markup
escaped, and control characters removed (a host's file name or a server's reply must
not clear the screen of a DPO or hide lines in a CI log).
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor.models import Report, Status
from auditor.printable import printable

_STYLE = {"fail": "bold red", "warn": "yellow", "error": "magenta", "pass": "green", "skipped": "dim", "waived": "dim"}


def print_summary(report: Report, console: Console, *, show_passed: bool = False) -> None:
    table = Table(title=f"auditor: {plain(report.target)}", show_lines=False, expand=True)
    table.add_column("status", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("subject", overflow="fold")
    table.add_column("detail", overflow="fold")
    for finding in report.findings:
        if not show_passed and finding.status in (Status.PASS, Status.SKIPPED):
            continue
        style = _STYLE[finding.status.value]
        # Escaped: rich would otherwise interpret [brackets] sent by a server as markup.
        table.add_row(
            f"[{style}]{finding.status.value}[/]",
            finding.severity.value,
            plain(finding.check_id),
            plain(finding.subject),
            plain(finding.detail),
        )
    if table.row_count:
        console.print(table)
    counts = ", ".join(f"{k} {v}" for k, v in report.summary.by_status.items() if v)
    verdict_style = {"fail": "bold red", "incomplete": "magenta", "warn": "yellow", "pass": "bold green"}
    console.print(f"verdict: [{verdict_style[report.summary.verdict]}]{report.summary.verdict}[/]  ({counts})")


def plain(text: str) -> str:
    """Untrusted text for a rich console: one line, no control characters, no markup."""
    return escape(printable(text, one_line=True))
