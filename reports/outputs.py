"""Write the report in the formats chosen by the output files' extensions, atomically."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from auditor.reports.html import render_html
from auditor.reports.json_report import render_json
from auditor.reports.junit import render_junit
from auditor.reports.markdown import render_markdown
from auditor.reports.sarif import render_sarif

from auditor.fsutil import atomic_write
from auditor.models import Report

Renderer = Callable[[Report], bytes | str]

RENDERERS: dict[str, Renderer] = {
    ".json": render_json,
    ".html": render_html,
    ".htm": render_html,
    ".sarif": render_sarif,
    ".xml": render_junit,
    ".md": render_markdown,
}


class OutputError(ValueError):
    """An output path whose format we do not know."""


def renderer_for(path: Path) -> Renderer:
    suffix = path.suffix.lower()
    if suffix not in RENDERERS:
        known = ", ".join(sorted(RENDERERS))
        raise OutputError(f"-o {path}: unknown report format {suffix or '(no extension)'}; use one of {known}")
    return RENDERERS[suffix]


def write_outputs(report: Report, paths: Sequence[Path]) -> None:
    for path in paths:
        atomic_write(path, renderer_for(path)(report))
