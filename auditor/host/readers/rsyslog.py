"""rsyslog routing: which files receive a facility (above all ``mail``).

A statement's "mail logs are kept 7 days" is about *every* file mail lines land in;
Debian's catch-all ``*.*;auth,authpriv.none -/var/log/syslog`` copies mail into syslog,
which has its own rotation. Selectors are evaluated like rsyslog does (left to right,
``none`` clears, ``!`` and ``=`` modifiers). Hand-written: no Python library reads it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from auditor.host.model import SourceRef, err
from auditor.host.readers.includes import IncludingReader, logical_lines
from auditor.host.root import HostRoot

RSYSLOG_CONF = "/etc/rsyslog.conf"
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_ALIASES = {"panic": "emerg", "error": "err", "warn": "warning"}
_MAX_DEPTH = 5


@dataclass(frozen=True, slots=True)
class RsyslogRule:
    """A selector (or simple property filter) and where its messages go."""

    selector: str
    action: str
    target_file: str | None
    file: str
    line: int
    stops: bool = False


@dataclass(frozen=True, slots=True)
class LogRoute:
    """One file receiving a facility, at which severities, from which rule."""

    target: str
    severities: tuple[str, ...]
    source: SourceRef
    selector: str
    sync: bool = True  # False for the legacy "-/path" form (buffered, no fsync per line)


@dataclass(frozen=True, slots=True)
class RsyslogConfig:
    rules: tuple[RsyslogRule, ...]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()

    def files_for_facility(self, facility: str = "mail") -> tuple[LogRoute, ...]:
        """Files receiving ``facility`` (rules after a matching ``& stop`` see nothing more of it)."""
        routes: list[LogRoute] = []
        remaining = set(SEVERITIES)
        for rule in self.rules:
            sev = selector_severities(rule.selector, facility) & remaining
            if not sev:
                continue
            if rule.target_file:
                ordered = tuple(s for s in SEVERITIES if s in sev)
                ref = SourceRef(rule.file, rule.line)
                routes.append(LogRoute(rule.target_file, ordered, ref, rule.selector, not rule.action.startswith("-")))
            if rule.stops:
                remaining -= sev
        return tuple(routes)


def selector_severities(selector: str, facility: str) -> set[str]:
    """The severities of ``facility`` a legacy selector matches (``property:`` filters: ``$syslogfacility-text``)."""
    m = re.match(r"^\s*if\s+\$syslogfacility-text\s*==\s*['\"]([^'\"]+)['\"]", selector)
    if m is not None:
        return set(SEVERITIES) if m.group(1) == facility else set()
    if selector.startswith((":", "if ")):
        return set()
    mask: set[str] = set()
    for part in selector.split(";"):
        facs, _, prio = part.strip().partition(".")
        names = {f.strip() for f in facs.split(",")}
        if facility not in names and "*" not in names:
            continue
        prio = prio.strip().lower()
        negate = prio.startswith("!")
        prio = prio.lstrip("!")
        exact = prio.startswith("=")
        prio = _ALIASES.get(prio.lstrip("="), prio.lstrip("="))
        if prio == "none":
            mask = set()
            continue
        if prio == "*":
            chosen = set(SEVERITIES)
        elif prio in SEVERITIES:
            idx = SEVERITIES.index(prio)
            chosen = {prio} if exact else set(SEVERITIES[: idx + 1])
        else:
            continue
        mask = mask - chosen if negate else mask | chosen
    return mask


_OMFILE = re.compile(r"action\s*\((?=[^)]*type\s*=\s*\"omfile\")[^)]*\bfile\s*=\s*\"([^\"]+)\"", re.S)


def _target(action: str) -> str | None:
    m = _OMFILE.search(action)
    if m:
        return m.group(1)
    candidate = action.lstrip("-").strip()
    return candidate.split(";")[0] if candidate.startswith("/") else None


class _Reader(IncludingReader):
    def __init__(self, root: HostRoot) -> None:
        super().__init__(root)
        self.rules: list[RsyslogRule] = []

    def read(self, path: str, depth: int) -> None:
        got = self.open_config(path)
        if got is None:
            return
        for number, line in logical_lines(got.text or ""):
            self._line(got.path, number, line, depth)

    def _line(self, path: str, number: int, line: str, depth: int) -> None:
        inc = re.match(r"^\$IncludeConfig\s+(\S+)", line) or re.match(r"^include\s*\(\s*file\s*=\s*\"([^\"]+)\"", line)
        if inc:
            self._include(path, number, inc.group(1), depth)
            return
        if line.startswith(("$", "module(", "input(", "template(", "global(", "main_queue(", "ruleset(", "}")):
            return
        if line.startswith("&"):
            if self.rules and re.fullmatch(r"&\s*(stop|~)", line):
                last = self.rules[-1]
                self.rules[-1] = RsyslogRule(last.selector, last.action, last.target_file, last.file, last.line, True)
            return
        m = re.match(r"^(if\s.+?\sthen)\s+(.+)$", line) or re.match(r"^(\S+)\s+(.+)$", line)
        if m is None:
            self.errors.append(err(path, number, f"unrecognised line: {line[:80]!r}"))
            return
        selector, action = m.group(1), m.group(2).strip()
        if selector.startswith("if "):
            selector = selector[: -len("then")].strip()
        stops = action in ("stop", "~")
        self.rules.append(RsyslogRule(selector, action, _target(action), path, number, stops))

    def _include(self, path: str, number: int, pattern: str, depth: int) -> None:
        if depth >= _MAX_DEPTH:
            self.errors.append(err(path, number, "includes nested too deeply"))
            return
        pattern = pattern if pattern.startswith("/") else posixpath.join(posixpath.dirname(path), pattern)
        targets = self.root.glob(pattern) if any(c in pattern for c in "*?[") else [pattern]
        if self.root.is_dir(pattern):
            targets = self.root.glob(pattern.rstrip("/") + "/*")
        for target in targets:
            self.read(target, depth + 1)


def read_rsyslog(root: HostRoot, conf: str = RSYSLOG_CONF, extra: tuple[str, ...] = ()) -> RsyslogConfig:
    reader = _Reader(root)
    for path in (conf, *extra):
        reader.read(path, 0)
    return RsyslogConfig(tuple(reader.rules), tuple(reader.files), tuple(reader.errors))
