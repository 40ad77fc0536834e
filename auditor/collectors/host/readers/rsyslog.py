"""rsyslog routing: which files receive a facility (above all ``mail``).

A statement's "mail logs are kept 7 days" is about *every* file mail lines land in;
Debian's catch-all ``*.*;auth,authpriv.none -/var/log/syslog`` copies mail into syslog,
which has its own rotation. Selectors are evaluated like rsyslog does (left to right,
``none`` clears, ``!`` and ``=`` modifiers). Hand-written: no Python library reads it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace

from auditor.collectors.host.readers.includes import IncludingReader, logical_lines
from auditor.collectors.host.readers.syslog_filters import FILTER_PREFIX, SEVERITIES, filter_severities
from auditor.collectors.host.root import HostRoot
from auditor.evidence.settings import Setting, SourceRef, err

RSYSLOG_CONF = "/etc/rsyslog.conf"
BSD_SYSLOG_CONF = "/etc/syslog.conf"
_ALIASES = {"panic": "emerg", "error": "err", "warn": "warning"}
_MAX_DEPTH = 5
#: Inputs that carry this host's own log messages (a ruleset bound to one of them sees the mail lines).
_LOCAL_INPUTS = ("imuxsock", "imjournal", "imklog")


@dataclass(frozen=True, slots=True)
class RsyslogRule:
    """A selector (or simple property filter) and where its messages go."""

    selector: str
    action: str
    target_file: str | None
    file: str
    line: int
    stops: bool = False
    #: The named ruleset the rule belongs to ("" for the default ruleset).
    ruleset: str = ""
    #: ``call NAME``: the named ruleset runs here for the messages the selector matches.
    calls: str | None = None


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
    """Rules in file order. ``entry_rulesets``: the rulesets local messages start in (the default ruleset
    "", or the named ones the local inputs ``imuxsock``/``imjournal``/``imklog`` are bound to)."""

    rules: tuple[RsyslogRule, ...]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()
    entry_rulesets: tuple[str, ...] = ("",)
    started: Setting | None = None

    def files_for_facility(self, facility: str = "mail") -> tuple[LogRoute, ...]:
        """Files receiving ``facility`` (rules after a matching ``& stop`` see nothing more of it)."""
        routes: list[LogRoute] = []
        for entry in self.entry_rulesets:
            for route in self._walk(entry, facility, set(SEVERITIES), ()):
                if route not in routes:
                    routes.append(route)
        return tuple(routes)

    def _walk(self, ruleset: str, facility: str, remaining: set[str], calling: tuple[str, ...]) -> list[LogRoute]:
        """Routes of one ruleset; ``remaining`` shrinks as ``stop`` discards severities (also for the caller:
        a ``stop`` inside a called ruleset ends the message's processing)."""
        routes: list[LogRoute] = []
        for rule in self.rules:
            if rule.ruleset != ruleset:
                continue
            sev = selector_severities(rule.selector, facility) & remaining
            if not sev:
                continue
            if rule.calls is not None:
                if rule.calls not in calling and len(calling) < _MAX_DEPTH:
                    routes += self._walk(rule.calls, facility, remaining, (*calling, ruleset))
                continue
            if rule.target_file:
                ordered = tuple(s for s in SEVERITIES if s in sev)
                ref = SourceRef(rule.file, rule.line)
                routes.append(LogRoute(rule.target_file, ordered, ref, rule.selector, not rule.action.startswith("-")))
            if rule.stops and not program_filter(rule.selector):
                remaining -= sev
        return routes


#: Programs whose lines are mail logs whatever facility they use (a filter on them routes mail).
_MAIL_PROGRAMS = re.compile(
    r"postfix|dovecot|exim|sendmail|postscreen|opendkim|opendmarc|amavis|rspamd|spamd|"
    r"saslauthd|cyrus|courier|submission|lmtp|imap|pop3|roundcube",
    re.I,
)
_FACILITY_CODES = {"0": "kern", "1": "user", "2": "mail", "3": "daemon", "4": "auth", "10": "authpriv"}
_PROGRAM_FILTER = re.compile(
    r"^\s*(?::(?:programname|syslogtag|app-name)\s*,\s*!?[\w-]+\s*,\s*\"([^\"]*)\""
    r"|if\s.*\$(?:programname|syslogtag|app-name)\s*(?:==|!=|contains(?:_i)?|startswith|isequal)\s*['\"]([^'\"]*)['\"])"
)


def program_filter(selector: str) -> bool:
    """A filter on the program name (``:programname, isequal, "postfix"``): it routes only part of a facility,
    so a ``stop`` after it leaves the facility's other lines to later rules."""
    if selector.startswith(FILTER_PREFIX):
        return "program(" in selector
    return _PROGRAM_FILTER.match(selector) is not None


def selector_severities(selector: str, facility: str) -> set[str]:
    """The severities of ``facility`` a selector or filter matches: legacy ``mail.info`` selectors,
    ``$syslogfacility-text``/``$syslogfacility`` comparisons, ``prifilt("mail.*")``, and program-name
    filters on mail daemons (all their lines count as mail logs), and syslog-ng filter expressions."""
    if selector.startswith(FILTER_PREFIX):
        return filter_severities(selector.removeprefix(FILTER_PREFIX), facility)
    m = re.match(r"^\s*if\s+\$syslogfacility(-text)?\s*==\s*['\"]?([\w]+)['\"]?", selector)
    if m is not None:
        name = _FACILITY_CODES.get(m.group(2), m.group(2)) if not m.group(1) else m.group(2)
        return set(SEVERITIES) if name == facility else set()
    m = re.match(r"^\s*if\s+prifilt\(\s*['\"]([^'\"]+)['\"]\s*\)", selector)
    if m is not None:
        return selector_severities(m.group(1), facility)
    m = _PROGRAM_FILTER.match(selector)
    if m is not None:
        return (
            set(SEVERITIES) if facility == "mail" and _MAIL_PROGRAMS.search(m.group(1) or m.group(2) or "") else set()
        )
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


_DYNAFILE = re.compile(r"action\s*\((?=[^)]*type\s*=\s*\"omfile\")[^)]*\bdynafile\s*=\s*\"([^\"]+)\"", re.S | re.I)
_TEMPLATE = re.compile(r"template\s*\((?=[^)]*\bname\s*=\s*\"([^\"]+)\")[^)]*\bstring\s*=\s*\"([^\"]*)\"", re.S | re.I)


def _target(action: str, templates: dict[str, str] | None = None) -> str | None:
    m = _OMFILE.search(action)
    if m:
        return m.group(1)
    dyn = _DYNAFILE.search(action)
    if dyn:  # a file named by a template: known when the template is a constant string
        path = (templates or {}).get(dyn.group(1), "")
        return path if path.startswith("/") and "%" not in path else None
    candidate = action.lstrip("-").strip()
    return candidate.split(";")[0] if candidate.startswith("/") else None


def _statements(text: str) -> list[tuple[int, str]]:
    """Logical lines, with a RainerScript object (``action(...)``, ``template(...)``) spanning lines joined
    into one statement, and ``{``/``}`` of blocks kept as statements of their own."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in logical_lines(text):
        if pending:
            pending += " " + line
        else:
            pending, start = line, number
        if _depth(pending) > 0:
            continue
        out.append((start, pending))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _depth(text: str) -> int:
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
    return depth


class _Reader(IncludingReader):
    def __init__(self, root: HostRoot) -> None:
        super().__init__(root)
        self.rules: list[RsyslogRule] = []
        self.templates: dict[str, str] = {}
        self.blocks: list[str] = []  # filters of the enclosing "if ... then {" blocks ("" for other blocks)
        self.legacy_ruleset = ""  # "$RuleSet name" switches the ruleset of the rules after it
        self.program: str | None = None  # BSD syslog.conf "!prog" block
        self.bindings: dict[str, str] = {}  # local input type -> ruleset bound to it
        self.pending_socket_ruleset: str | None = None  # $InputUnixListenSocketBindRuleset

    def read(self, path: str, depth: int) -> None:
        got = self.open_config(path)
        if got is None:
            return
        for number, line in _statements(got.text or ""):
            self._line(got.path, number, line, depth)

    def _line(self, path: str, number: int, line: str, depth: int) -> None:
        if line.endswith("}") and line != "}" and not line.startswith("}") and line.count("{") < line.count("}"):
            self._line(path, number, line[:-1].strip(), depth)  # "stop }": a one-line block's end
            self._line(path, number, "}", depth)
            return
        if line.startswith("template("):
            m = _TEMPLATE.match(line)
            if m:
                self.templates[m.group(1)] = m.group(2)
            if line.rstrip().endswith("{"):
                self.blocks.append("")  # a list template's body: constants and properties, no routing
            return
        if self.blocks and self.blocks[-1] == "" and not line.startswith("}"):
            return
        if line.startswith("}"):
            if self.blocks:
                self.blocks.pop()
            rest = line[1:].strip()
            if rest:
                self._line(path, number, rest, depth)
            return
        block = re.match(r"^(if\s.+?\sthen)\s*\{\s*(.*)$", line, re.S) or re.match(
            r"^(ruleset\s*\(.*\))\s*\{\s*(.*)$", line, re.S
        )
        if block:
            head = block.group(1)
            if head.startswith("if"):
                self.blocks.append(head[: -len("then")].strip())
            else:
                name = re.search(r"name\s*=\s*\"([^\"]+)\"", head, re.I)
                self.blocks.append("ruleset:" + (name.group(1) if name else "?"))
            if block.group(2):
                self._line(path, number, block.group(2), depth)
            return
        if line.startswith(("action(", "stop", "call ")) or line == "~":
            selector = next((b for b in reversed(self.blocks) if b and not b.startswith("ruleset:")), "*.*")
            self._rule(selector, line, path, number)
            return
        if self._directive(line):
            return
        inc = re.match(r"^\$IncludeConfig\s+(\S+)", line) or re.match(r"^include\s*\(\s*file\s*=\s*\"([^\"]+)\"", line)
        if inc:
            self._include(path, number, inc.group(1), depth)
            return
        if line.startswith(("$", "module(", "input(", "template(", "global(", "main_queue(", "ruleset(", "}")):
            return
        if re.fullmatch(r"!!?[\w.-]+|!\*|![+-]?\*?", line):  # BSD syslog.conf program block (!prog ... !*)
            program = line.lstrip("!+-")
            self.program = None if program in ("*", "") else program
            return
        if line.startswith("&"):  # the previous rule's selector with one more action
            if not self.rules:
                self.errors.append(err(path, number, "'&' without a rule before it"))
                return
            last = self.rules[-1]
            action = line[1:].strip()
            if action in ("stop", "~"):
                self.rules[-1] = replace(last, stops=True)
            else:
                self._rule(last.selector, action, path, number)
            return
        m = (
            re.match(r"^(if\s.+?\sthen)\s+(.+)$", line)
            or re.match(r"^(:[\w-]+\s*,\s*!?[\w-]+\s*,\s*\"(?:\\.|[^\"\\])*\")\s*(.+)$", line)  # property filter
            or re.match(r"^(\S+)\s+(.+)$", line)
        )
        if m is None:
            self.errors.append(err(path, number, f"unrecognised line: {line[:80]!r}"))
            return
        selector, action = m.group(1), m.group(2).strip()
        if selector.startswith("if "):
            selector = selector[: -len("then")].strip()
        self._rule(selector, action, path, number)

    def _rule(self, selector: str, action: str, path: str, number: int) -> None:
        """One action of a selector, in the ruleset being read (a ``ruleset() {}`` block or ``$RuleSet``);
        inside a BSD ``!prog`` block the rule takes that program's lines."""
        if self.program is not None:
            selector = f':programname, isequal, "{self.program}"'
        ruleset = next(
            (b[len("ruleset:") :] for b in reversed(self.blocks) if b.startswith("ruleset:")), self.legacy_ruleset
        )
        stops = action.startswith("stop") or action == "~"
        call = re.match(r"^call\s+(\S+)", action)
        target = None if stops or call else _target(action, self.templates)
        self.rules.append(
            RsyslogRule(selector, action, target, path, number, stops, ruleset, call.group(1) if call else None)
        )

    def _directive(self, line: str) -> bool:
        """Input bindings and legacy ruleset switches; True when ``line`` was one."""
        m = re.match(r"^input\s*\((.*)\)\s*$", line, re.S)
        if m is not None:
            kind = re.search(r"type\s*=\s*\"(\w+)\"", m.group(1), re.I)
            bound = re.search(r"ruleset\s*=\s*\"([^\"]+)\"", m.group(1), re.I)
            if kind is not None and kind.group(1).lower() in _LOCAL_INPUTS:
                self.bindings[kind.group(1).lower()] = bound.group(1) if bound else ""
            return True
        m = re.match(r"^\$RuleSet\s+(\S+)", line, re.I)
        if m is not None:
            self.legacy_ruleset = "" if m.group(1) == "RSYSLOG_DefaultRuleset" else m.group(1)
            return True
        m = re.match(r"^\$InputUnixListenSocketBindRuleset\s+(\S+)", line, re.I)
        if m is not None:
            self.bindings["imuxsock"] = m.group(1)
            return True
        return False

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


def read_rsyslog(
    root: HostRoot, conf: str = RSYSLOG_CONF, extra: tuple[str, ...] = (), started: Setting | None = None
) -> RsyslogConfig:
    """``conf``: the configuration rsyslogd is started with; ``started``: the ``-f`` option naming it
    (systemd unit or defaults file, see :mod:`.daemon_args`), kept so findings can cite it."""
    reader = _Reader(root)
    for path in (conf, *extra):
        reader.read(path, 0)
    entries = tuple(dict.fromkeys(reader.bindings.values())) if reader.bindings else ("",)
    if "imuxsock" not in reader.bindings and "" not in entries:
        entries = ("", *entries)  # imuxsock loads implicitly, bound to the default ruleset, unless configured
    return RsyslogConfig(tuple(reader.rules), tuple(reader.files), tuple(reader.errors), entries, started)
