"""Recognise unrendered templates among configuration files, so their placeholders are never graded.

A configuration repository (Ansible, Puppet, Chef, Helm, an installer's samples) holds files
such as ``smtpd_tls_security_level = {{ level }}`` or ``ssl_protocols = <%= @ssl_protocols %>``.
Read as values, a placeholder becomes "weak scheme PLAIN" or a parse error on every
``{% if %}`` line. Each template language marks its placeholders and its logic in its own
way; this module knows those shapes (by family, not by project) and returns, per file, the
languages seen, how many placeholders, and which lines sit inside template logic (branches
and loops, whose settings may or may not be rendered). Hand-written: the point is to *not*
render anything, and no library detects several template languages at once.

``native`` names shapes the configuration format itself uses and that are therefore not
placeholders there: Dovecot's ``%{user}`` variables, Apache's ``${APACHE_LOG_DIR}``.
"""

from __future__ import annotations

import re

from auditor.evidence.host import TemplateFile

#: Longest placeholder or tag looked for. A tag's body stops at the next opener of its own
#: kind (``(?:(?!open|close).)``): with a lazy ``.*?`` every ``{{`` or ``<%`` rescanned the
#: rest of the line, and a hostile one-megabyte line of ``{`` took hours (quadratic); this
#: way the scan is linear in the line. Real tags are short and never nest their own opener.
MAX_TAG = 300


def _tag(open_: str, close: str) -> str:
    return rf"{re.escape(open_)}(?:(?!{re.escape(open_)}|{re.escape(close)}).){{0,{MAX_TAG}}}{re.escape(close)}"


#: The body of a ``${...}`` placeholder: bounded, and stopping at the next ``${`` as ``_tag`` does.
_BODY = rf"(?:(?!\$\{{)[^}}]){{0,{MAX_TAG}}}"

#: Placeholder shapes by template family. Each pattern matches one placeholder or logic tag.
SHAPES: dict[str, re.Pattern[str]] = {
    # Jinja2/Ansible/Salt, Go text/template/Helm, Mustache/Handlebars: {{ x }}, {% if %}, {# c #}
    "jinja-go": re.compile("|".join((_tag("{{", "}}"), _tag("{%", "%}"), _tag("{#", "#}")))),
    # ERB (Puppet, Chef), EPP, Mako/ASP-style blocks: <%= x %>, <% if %>
    "erb": re.compile(_tag("<%", "%>")),
    # autoconf/CMake substitutions: @sysconfdir@, @PACKAGE@
    "autoconf": re.compile(r"@[A-Za-z_][A-Za-z0-9_]*@"),
    # installer placeholders replaced by sed (iRedMail's PH_HOSTNAME style)
    "installer": re.compile(r"\bPH_[A-Z0-9_]{2,}\b"),
    # Puppet/Hiera and Ruby-format interpolation: %{facts.fqdn}
    "hiera": re.compile(r"%\{[A-Za-z_:][\w:.]*\}"),
    # envsubst / shell-style environment placeholders in upper case: ${MAIL_DOMAIN}, ${X:-default}
    "envsubst": re.compile(rf"\$\{{[A-Z][A-Z0-9_]*(?:[:]?[-=?+]{_BODY})?\}}"),
    # Nix/Mako expressions: ${cfg.option}, ${toString x}
    "expression": re.compile(rf"\$\{{[a-z]\w*[.(\s]{_BODY}\}}"),
}
#: Tags that open and close template logic (a branch or loop: its lines may not be rendered at all).
_OPEN = re.compile(
    r"\{%-?\s*(?:if|for|macro|block|with|call|filter|raw)\b"
    r"|\{\{-?\s*(?:if|range|with|define|block)\b"
    r"|<%-?\s*(?:if|unless|case|while|for)\b|<%-?[^%]*\bdo\s*(?:\|[^|]*\|)?\s*-?%>"
)
_CLOSE = re.compile(r"\{%-?\s*end\w*\b|\{\{-?\s*end\b|<%-?\s*end\b")
#: Shapes strong enough to call a file a template on one occurrence.
_DECISIVE = frozenset({"jinja-go", "erb", "autoconf", "installer"})


def _shapes(native: frozenset[str]) -> dict[str, re.Pattern[str]]:
    return {name: pattern for name, pattern in SHAPES.items() if name not in native}


def has_placeholder(value: str, native: frozenset[str] = frozenset()) -> bool:
    """True when ``value`` contains a template placeholder (of a family the format does not use itself)."""
    return any(p.search(value) for p in _shapes(native).values())


def scan(path: str, text: str, native: frozenset[str] = frozenset()) -> TemplateFile | None:
    """The file's template shapes, or ``None`` for a plain configuration file.

    A file is a template when it holds a decisive shape (``{{ }}``, ``{% %}``, ``<% %>``,
    ``@name@``, ``PH_NAME``) or at least two placeholders of the weaker families.
    """
    shapes = _shapes(native)
    counts: dict[str, int] = {}
    first = 0
    depth = 0
    open_at = 0
    logic: list[tuple[int, int]] = []
    for number, line in enumerate(text.splitlines(), 1):
        for name, pattern in shapes.items():
            hits = len(pattern.findall(line))
            if hits:
                counts[name] = counts.get(name, 0) + hits
                first = first or number
        opens, closes = len(_OPEN.findall(line)), len(_CLOSE.findall(line))
        if depth == 0 and opens > closes:
            open_at = number
        depth = max(0, depth + opens - closes)
        if depth == 0 and open_at:
            logic.append((open_at, number))
            open_at = 0
    if open_at:
        logic.append((open_at, len(text.splitlines())))
    decisive = bool(_DECISIVE & set(counts))
    if not decisive and sum(counts.values()) < 2:
        return None
    return TemplateFile(path, tuple(sorted(counts)), sum(counts.values()), first, tuple(logic))
