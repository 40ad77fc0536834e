"""BSD newsyslog: how many archives of each log are kept, and how often it is turned over.

``/var/log/maillog 600 7 * 24 Z`` keeps the live file and 7 archives, rotated every 24 hours:
about 8 days. A size-only entry (``when`` is ``*``) bounds bytes, never time. The ``when``
field is hours, ``@`` ISO-8601-like times (``@T00`` daily) or ``$`` month/week/day specs
(``$D0`` daily, ``$W0D23`` weekly, ``$M1D0`` monthly). Hand-written: a column format, no library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.collectors.host.root import HostRoot, path_match
from auditor.evidence.durations import NAMED_PERIOD_DAYS as PERIOD_DAYS
from auditor.evidence.settings import Setting, err
from auditor.models import Message, msg

NEWSYSLOG_CONFS = ("/etc/newsyslog.conf", "/etc/newsyslog.conf.d/*", "/usr/local/etc/newsyslog.conf.d/*")


@dataclass(frozen=True, slots=True)
class NewsyslogEntry:
    """One line: the files it rotates, its count and interval, the retention they give (``None``: size only)."""

    pattern: str
    setting: Setting
    retention_days: float | None
    basis: str | Message


def _interval_days(when: str) -> float | None:
    """Days between rotations for a ``when`` field; ``None`` for ``*`` (size only) or a form not understood."""
    if when.isdigit():
        return int(when) / 24
    if when.startswith("$"):
        spec = when[1:].upper()
        if spec.startswith("M"):
            return PERIOD_DAYS["monthly"]
        if spec.startswith("W"):
            return PERIOD_DAYS["weekly"]
        if spec.startswith("D"):
            return PERIOD_DAYS["daily"]
        return None
    if when.startswith("@"):
        m = re.fullmatch(r"@(?:\d{2,8})?T(\d{2})?", when)
        return PERIOD_DAYS["daily"] if m else None
    return None


@dataclass(frozen=True, slots=True)
class NewsyslogConfig:
    entries: tuple[NewsyslogEntry, ...] = ()
    files: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    def entry_for(self, path: str) -> NewsyslogEntry | None:
        return next((e for e in self.entries if path_match(e.pattern, path)), None)


def read_newsyslog(root: HostRoot) -> NewsyslogConfig:
    """Entries, files read and errors of every newsyslog configuration under the root."""
    entries: list[NewsyslogEntry] = []
    files: list[str] = []
    errors: list[str] = []
    for pattern in NEWSYSLOG_CONFS:
        for path in root.glob(pattern):
            got = root.read_text(path)
            if got.text is None:
                errors.append(got.error or path)
                continue
            files.append(got.path)
            for number, raw in enumerate(got.text.splitlines(), 1):
                line = raw.split("#", 1)[0].strip()
                if not line or line.startswith("<"):
                    continue
                words = line.split()
                if len(words) > 1 and ":" in words[1]:
                    del words[1]  # owner:group
                if len(words) < 5 or not words[2].isdigit():
                    errors.append(err(got.path, number, "not a 'file mode count size when' line"))
                    continue
                count, size, when = int(words[2]), words[3], words[4]
                interval = _interval_days(when)
                setting = Setting("newsyslog", " ".join(words[1:5]), got.path, number)
                if interval is None:
                    basis = (
                        msg("logs.basis.newsyslog-size", count=count, size=size)
                        if when == "*"
                        else msg("logs.basis.newsyslog-interval", when=when)
                    )
                    entries.append(NewsyslogEntry(words[0], setting, None, basis))
                    continue
                days = (count + 1) * interval
                basis = msg("logs.basis.newsyslog", count=count, hours=f"{interval * 24:g}")
                entries.append(NewsyslogEntry(words[0], setting, days, basis))
    return NewsyslogConfig(tuple(entries), tuple(files), tuple(errors))
