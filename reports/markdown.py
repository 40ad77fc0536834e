"""Markdown summary for merge-request comments.

Every untrusted string is made inert: control characters removed (the file is also read
in terminals), HTML-escaped (GitHub/GitLab render inline HTML) and stripped of Markdown
control characters that could forge links, images or tables.
"""

from __future__ import annotations

import html
import re

from auditor.reports.i18n import strings_for

from auditor.models import Report, Status
from auditor.printable import printable

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def inert(text: str, limit: int = 300) -> str:
    flat = " ".join(printable(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=True))


def render_markdown(report: Report) -> str:
    t = strings_for(report.lang)
    lines = [f"## {t['report_title']}: {inert(report.target)}", ""]
    lines.append(
        f"**{t['verdict']}:** {t['verdict_' + report.summary.verdict]} · "
        + " · ".join(f"{t[k]} {v}" for k, v in report.summary.by_status.items() if v)
    )
    lines.append("")
    problems = [f for f in report.findings if f.status in (Status.FAIL, Status.WARN, Status.ERROR)]
    if problems:
        lines += [
            f"| {t['status']} | {t['severity']} | {t['check']} | {t['subject']} | {t['detail']} |",
            "|---|---|---|---|---|",
        ]
        for f in problems[:100]:
            lines.append(
                f"| {t[f.status.value]} | {t[f.severity.value]} | {inert(f.check_id)} | {inert(f.subject)} "
                f"| {inert(f.detail)} |"
            )
        if len(problems) > 100:
            lines.append(f"\n… {len(problems) - 100} more in the full report.")
    else:
        lines.append(t["no_findings"])
    waived = [f for f in report.findings if f.status == Status.WAIVED]
    if waived:
        lines += ["", f"{t['waived']}: " + ", ".join(inert(f.id, 120) for f in waived[:50])]
    lines += [
        "",
        f"<sub>auditor {inert(report.tool_version)} · {t['profile']} {inert(report.profile)} · "
        f"{t['run']} {inert(report.run_id)}</sub>",
        "",
    ]
    return "\n".join(lines)
