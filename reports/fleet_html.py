"""Fleet summary page (``fleet.html``): one self-contained file, autoescaped like every report.

Domain names, endpoint names and finding texts come from DNS and from servers: they are
untrusted and reach the page only through Jinja2's autoescape (forced on in
:func:`~auditor.reports.html.environment`), under a Content-Security-Policy without scripts.
"""

from __future__ import annotations

from auditor.reports.html import environment

from auditor.fleet.summary import FleetSummary


def render_fleet_html(summary: FleetSummary) -> str:
    template = environment().get_template("fleet.html.j2")
    checks = sorted(summary.by_check.items(), key=lambda item: (-item[1].get("fail", 0), item[0]))
    return template.render(fleet=summary, checks=checks, worse={c.domain for c in summary.worse})
