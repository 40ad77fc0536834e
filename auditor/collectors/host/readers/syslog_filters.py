"""syslog-ng filter expressions evaluated per facility (``facility()``, ``level()``, ``program()``, and/or/not).

Kept apart from the reader so the rsyslog routing (which evaluates every rule's selector) can
use it without importing the syslog-ng reader. Hand-written: a few boolean operators.
"""

from __future__ import annotations

import re

SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
#: A rule selector holding a syslog-ng filter expression rather than an rsyslog selector.
FILTER_PREFIX = "syslog-ng filter: "
_ALIASES = {"error": "err", "warn": "warning", "panic": "emerg"}
_MAIL_PROGRAMS = re.compile(r"postfix|dovecot|exim|sendmail|opendkim|amavis|rspamd|cyrus|courier", re.I)


_TOKEN = re.compile(r"\s*(\(|\)|and\b|or\b|not\b|[\w-]+\s*\((?:\"[^\"]*\"|[^()])*\))")


def filter_severities(expr: str, facility: str) -> set[str]:
    """The severities of ``facility`` a syslog-ng filter expression lets through; a function it does not
    know (``match()``, ``host()``) lets nothing through, so no route is invented."""
    tokens = [t.strip() for t in _TOKEN.findall(expr)]
    pos = 0

    def disjunction() -> set[str]:
        nonlocal pos
        result = conjunction()
        while pos < len(tokens) and tokens[pos] == "or":
            pos += 1
            result = result | conjunction()
        return result

    def conjunction() -> set[str]:
        nonlocal pos
        result = factor()
        while pos < len(tokens) and tokens[pos] == "and":
            pos += 1
            result = result & factor()
        return result

    def factor() -> set[str]:
        nonlocal pos
        if pos >= len(tokens):
            return set()
        tok = tokens[pos]
        pos += 1
        if tok == "not":
            return set(SEVERITIES) - factor()
        if tok == "(":
            inner = disjunction()
            pos += 1 if pos < len(tokens) and tokens[pos] == ")" else 0
            return inner
        return _function(tok, facility)

    return disjunction() if tokens else set()


def _function(call: str, facility: str) -> set[str]:
    name, _, args = call.partition("(")
    words = [w.strip().strip('"') for w in re.split(r"[,\s]+", args.rstrip(")")) if w.strip()]
    name = name.strip()
    if name == "all":
        return set(SEVERITIES)
    if name == "facility":
        return set(SEVERITIES) if facility in words else set()
    if name == "level" or name == "priority":
        chosen: set[str] = set()
        for word in words:
            low, _, high = word.partition("..")
            low, high = _ALIASES.get(low, low), _ALIASES.get(high or low, high or low)
            if low in SEVERITIES and high in SEVERITIES:
                a, b = sorted((SEVERITIES.index(low), SEVERITIES.index(high)))
                chosen |= set(SEVERITIES[a : b + 1])
        return chosen
    if name == "program":
        return set(SEVERITIES) if facility == "mail" and _MAIL_PROGRAMS.search(" ".join(words)) else set()
    return set()
