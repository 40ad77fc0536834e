"""Mail the fleet summary like a scan's report: HTML inline, JSON attached, verified TLS.

The subject carries the counts and names the domains that got worse since the previous
run (history), so a scheduled job's mail says what needs attention without opening it.
"""

from __future__ import annotations

from email.message import EmailMessage

from auditor.fleet.summary import FleetSummary, fleet_to_json
from auditor.mailer import MailSettings, compose
from auditor.reports.fleet_html import render_fleet_html

MAX_NAMED = 5  # domains named in the subject; the body lists them all


def fleet_subject(summary: FleetSummary) -> str:
    counts = summary.by_verdict
    parts = [f"{counts[v]} {v}" for v in ("fail", "incomplete", "warn", "pass", "not-run") if counts.get(v)]
    line = f"[auditor] fleet of {len(summary.domains)} domains: {', '.join(parts)}"
    worse = [c.domain for c in summary.worse]
    if worse:
        named = ", ".join(worse[:MAX_NAMED]) + (f" and {len(worse) - MAX_NAMED} more" if len(worse) > MAX_NAMED else "")
        line += f"; worse since last run: {named}"
    elif summary.previous_run:
        line += "; none worse since last run"
    return line[:250]


def fleet_text(summary: FleetSummary) -> str:
    lines = [fleet_subject(summary).removeprefix("[auditor] "), ""]
    if summary.changes:
        lines.append("Changes since the previous run:")
        for change in summary.changes:
            mark = "WORSE " if change.worse else ""
            new = f"; new: {', '.join(change.new_failures)}" if change.new_failures else ""
            fixed = f"; fixed: {', '.join(change.fixed)}" if change.fixed else ""
            lines.append(f"  {mark}{change.domain}: {change.before} -> {change.after}{new}{fixed}")
        lines.append("")
    lines.append("Domains:")
    for entry in summary.domains:
        lines.append(f"  {entry.domain}: {entry.verdict}" + (f" ({entry.error})" if entry.error else ""))
    return "\n".join(lines) + "\n"


def build_fleet_message(summary: FleetSummary, settings: MailSettings) -> EmailMessage:
    return compose(
        fleet_subject(summary),
        settings,
        fleet_text(summary),
        render_fleet_html(summary),
        fleet_to_json(summary),
        f"auditor-fleet-{summary.run_id}.json",
    )
