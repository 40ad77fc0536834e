"""syslog-ng routing: which files its ``log { }`` paths write each facility to.

Read into the same rules the rsyslog reader gives (:class:`RsyslogConfig`), so the log families
follow mail lines through syslog-ng exactly as through rsyslog. A log path's filters are
boolean expressions of ``facility()``, ``level()`` and ``program()``; they are kept as text and
evaluated per facility by :func:`filter_severities`. Hand-written: no Python library reads
syslog-ng's grammar; only the statements that route (``destination``, ``filter``, ``log``,
``@include``) are understood, everything else is passed over.
"""

from __future__ import annotations

import posixpath
import re

from auditor.collectors.host.readers.includes import IncludingReader
from auditor.collectors.host.readers.rsyslog import RsyslogConfig, RsyslogRule
from auditor.collectors.host.readers.syslog_filters import FILTER_PREFIX
from auditor.collectors.host.root import HostRoot
from auditor.evidence.settings import err

SYSLOG_NG_CONF = "/etc/syslog-ng/syslog-ng.conf"
_MAX_DEPTH = 5


def _statements(text: str) -> list[tuple[int, str]]:
    """Top-level statements (up to ``;`` outside braces and quotes), comments removed, with their first line."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    depth, quote, line, start = 0, "", 1, 1
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif ch in "\"'":
            quote = ch
            buf.append(ch)
        elif ch == "\n" and depth == 0 and "".join(buf).lstrip().startswith("@"):
            out.append((start, "".join(buf).strip()))  # @include / @version end at the line's end
            buf = []
        else:
            depth += ch == "{"
            depth -= ch == "}"
            if ch == ";" and depth <= 0:
                out.append((start, "".join(buf).strip()))
                buf, depth = [], 0
            else:
                buf.append(ch)
        if ch == "\n":
            line += 1
        if not "".join(buf).strip():
            start = line
        i += 1
    if "".join(buf).strip():
        out.append((start, "".join(buf).strip()))
    return out


class _Reader(IncludingReader):
    def __init__(self, root: HostRoot) -> None:
        super().__init__(root)
        self.destinations: dict[str, list[str]] = {}
        self.filters: dict[str, str] = {}
        self.paths: list[tuple[str, int, str]] = []

    def read(self, path: str, depth: int) -> None:
        got = self.open_config(path)
        if got is None:
            return
        for number, stmt in _statements(got.text or ""):
            m = re.match(r"^@include\s+\"([^\"]+)\"", stmt)
            if m is not None:
                self._include(got.path, number, m.group(1), depth)
                continue
            m = re.match(r"^(destination|filter)\s+([\w-]+)\s*\{(.*)\}\s*$", stmt, re.S)
            if m is not None and m.group(1) == "destination":
                self.destinations[m.group(2)] = re.findall(r"\b(?:file|pipe)\s*\(\s*\"([^\"]+)\"", m.group(3))
            elif m is not None:
                self.filters[m.group(2)] = " ".join(m.group(3).replace(";", " ").split())
            elif re.match(r"^log\s*\{", stmt):
                self.paths.append((got.path, number, stmt))

    def _include(self, path: str, number: int, pattern: str, depth: int) -> None:
        if depth >= _MAX_DEPTH:
            self.errors.append(err(path, number, "includes nested too deeply"))
            return
        if not pattern.startswith("/"):
            if "/" not in pattern:
                return  # scl.conf and friends from the include path: library blocks, no routing
            pattern = posixpath.join(posixpath.dirname(path), pattern)
        targets = self.root.glob(pattern) if any(c in pattern for c in "*?[") else [pattern]
        for target in targets:
            self.read(target, depth + 1)

    def rules(self) -> list[RsyslogRule]:
        out: list[RsyslogRule] = []
        for path, number, stmt in self.paths:
            filters = [
                self.filters.get(name, "unknown()") for name in re.findall(r"\bfilter\s*\(\s*([\w-]+)\s*\)", stmt)
            ]
            expr = " and ".join(f"({f})" for f in filters) or "all()"
            final = re.search(r"\bflags\s*\([^)]*\bfinal\b", stmt) is not None
            dests = [
                t
                for name in re.findall(r"\bdestination\s*\(\s*([\w-]+)\s*\)", stmt)
                for t in self.destinations.get(name, [])
            ]
            for target in dests or [""]:
                out.append(
                    RsyslogRule(
                        FILTER_PREFIX + expr,
                        f"destination {target}",
                        target if target.startswith("/") else None,
                        path,
                        number,
                    )
                )
            if final:
                out.append(RsyslogRule(FILTER_PREFIX + expr, "flags(final)", None, path, number, True))
        return out


def read_syslog_ng(root: HostRoot, conf: str = SYSLOG_NG_CONF) -> RsyslogConfig:
    reader = _Reader(root)
    reader.read(conf, 0)
    return RsyslogConfig(tuple(reader.rules()), tuple(reader.files), tuple(reader.errors))
