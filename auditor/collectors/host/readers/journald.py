"""systemd-journald retention: ``journald.conf`` plus drop-ins, in systemd's precedence.

The journal holds the same mail metadata as mail.log; without ``MaxRetentionSec`` it is
limited only by disk-size caps, i.e. not in days. Drop-ins are ordered by file name across
``/usr/lib``, ``/usr/local/lib``, ``/run`` and ``/etc`` (a same-named file in a later
directory masks the earlier one), later files override earlier ones, as systemd does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.collectors.host.root import HostRoot
from auditor.evidence.durations import DAY_SECONDS as DAY
from auditor.evidence.durations import MONTH_DAYS, WEEK_DAYS, YEAR_DAYS
from auditor.evidence.settings import Setting, default_setting, err

_MAIN = (
    "/etc/systemd/journald.conf",
    "/run/systemd/journald.conf",
    "/usr/local/lib/systemd/journald.conf",
    "/usr/lib/systemd/journald.conf",
)
_DROPIN_DIRS = (
    "/usr/lib/systemd/journald.conf.d",
    "/usr/local/lib/systemd/journald.conf.d",
    "/run/systemd/journald.conf.d",
    "/etc/systemd/journald.conf.d",
)
JOURNALD_DEFAULTS = {
    "Storage": "auto",
    "MaxRetentionSec": "0",
    "MaxFileSec": "1month",
    "SystemMaxUse": "",
    "RuntimeMaxUse": "",
    "Compress": "yes",
    "ForwardToSyslog": "no",
}

_UNITS = {
    "us": 1e-6,
    "usec": 1e-6,
    "ms": 1e-3,
    "msec": 1e-3,
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": WEEK_DAYS * DAY,
    "week": WEEK_DAYS * DAY,
    "weeks": WEEK_DAYS * DAY,
    "M": MONTH_DAYS * DAY,
    "month": MONTH_DAYS * DAY,
    "months": MONTH_DAYS * DAY,
    "y": YEAR_DAYS * DAY,
    "year": YEAR_DAYS * DAY,
    "years": YEAR_DAYS * DAY,
}


def parse_timespan(text: str) -> float | None:
    """systemd time span in seconds (``1month``, ``2w``, ``3d 12h``, bare number = seconds); None if invalid."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total = 0.0
    pos = 0
    for m in re.finditer(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*", text):
        if m.start() != pos or m.group(2) not in _UNITS:
            return None
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return total if pos == len(text) else None


@dataclass(frozen=True, slots=True)
class JournaldConfig:
    """Effective ``[Journal]`` settings and what they imply for retention.

    ``retention_days``: ``MaxRetentionSec`` in days when set (> 0); entries can outlive it by
    up to one journal file's span (``MaxFileSec``), recorded in ``caveats``. ``None`` means no
    time limit (only size caps) unless ``Storage`` is ``none``/``volatile``.
    """

    settings: dict[str, Setting]
    files: tuple[str, ...]
    storage: str
    persistent: bool | None
    retention_days: float | None
    max_file_days: float | None
    caveats: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def _parse(path: str, text: str, into: dict[str, Setting], errors: list[str]) -> None:
    section = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if not sep:
            errors.append(err(path, number, f"not a 'Key=value' line: {line[:80]!r}"))
            continue
        if section == "Journal":
            into[key.strip()] = Setting(key.strip(), value.strip(), path, number, scope=(section,))


def read_journald(root: HostRoot, main: str | None = None) -> JournaldConfig:
    errors: list[str] = []
    files: list[str] = []
    settings = {k: default_setting(k, v, "journald") for k, v in JOURNALD_DEFAULTS.items()}
    mains = (main,) if main else _MAIN
    for path in mains:
        if main or root.exists(path):
            got = root.read_text(path)
            if got.text is None:
                errors.append(got.error or path)
            else:
                files.append(got.path)
                _parse(got.path, got.text, settings, errors)
            break
    dropins: dict[str, str] = {}
    for directory in _DROPIN_DIRS:
        for path in root.glob(f"{directory}/*.conf"):
            dropins[path.rsplit("/", 1)[1]] = path
    for name in sorted(dropins):
        got = root.read_text(dropins[name])
        if got.text is None:
            errors.append(got.error or name)
            continue
        files.append(got.path)
        _parse(got.path, got.text, settings, errors)
    storage = settings["Storage"].value.lower()
    persistent: bool | None = {"persistent": True, "volatile": False, "none": False}.get(storage)
    if storage == "auto":
        persistent = root.is_dir("/var/log/journal")
    caveats: list[str] = []
    retention = parse_timespan(settings["MaxRetentionSec"].value)
    if retention is None:
        errors.append(err(settings["MaxRetentionSec"].file, settings["MaxRetentionSec"].line, "invalid time span"))
    max_file = parse_timespan(settings["MaxFileSec"].value)
    retention_days = retention / DAY if retention else None
    if retention_days is None:
        caveats.append("no MaxRetentionSec: entries are removed only when size limits are reached")
    elif max_file:
        caveats.append(
            f"entries can outlive MaxRetentionSec by up to one journal file (MaxFileSec {max_file / DAY:g} d)"
        )
    if storage == "volatile":
        caveats.append("Storage=volatile: kept in RAM under /run until reboot")
    if storage == "none":
        retention_days = 0.0
    return JournaldConfig(
        settings,
        tuple(files),
        storage,
        persistent,
        retention_days,
        max_file / DAY if max_file else None,
        tuple(caveats),
        tuple(errors),
    )
