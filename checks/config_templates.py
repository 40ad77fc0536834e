"""Unrendered templates among the host's configuration files: one finding per file, never a grade.

A configuration repository (Ansible, Puppet, Chef, Helm, an installer's samples) holds
templates whose values exist only after rendering. Reading ``{{ level }}`` as a TLS level or
``<%= @scheme %>`` as a hash scheme would invent findings, and reporting every ``{% if %}``
line as a parse error would bury the real ones. So each template file gets exactly one
finding that says what it is, and the other host checks leave its values ungraded: the
accountability of the audit (GDPR Art. 5(2)) requires saying what was not examined.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Location, Need, Observation, Outcome, Status, msg
from auditor.registry import CheckContext, check

from .host_common import host_of, no_host


@check("config.templates", needs=[Need.HOST], area="host")
def config_templates(ctx: CheckContext) -> Iterator[Outcome]:
    """Skipped (info), once per unrendered template file: its placeholders and the settings inside
    its branches and loops are not graded by any other check. No finding when no file is a
    template; error when no host evidence was collected."""
    host = host_of(ctx)
    if host is None:
        yield no_host()
        return
    for tpl in host.templates:
        where = Location(path=tpl.path, line=tpl.first_line or None)
        logic = sum(end - start + 1 for start, end in tpl.logic_lines)
        detail = msg(
            "templates.unrendered", languages=", ".join(tpl.languages), placeholders=tpl.placeholders, logic=logic
        )
        seen = (Observation(msg("templates.obs.template"), tpl.path, where),)
        yield Outcome(Status.SKIPPED, tpl.path, detail, seen, key=tpl.path)
