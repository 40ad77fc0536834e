"""logrotate: which policy applies to a log file, and the longest retention it implies.

"Logs are kept 7 days" is held against e.g. ``weekly`` + ``rotate 4`` from two different
files (global defaults in logrotate.conf, the stanza in logrotate.d), so each directive of
the effective policy keeps its own file:line. Hand-written: no Python library parses it.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from auditor.collectors.host.readers.includes import IncludingReader
from auditor.collectors.host.root import HostRoot, as_root, norm, path_match
from auditor.collectors.host.templates import has_placeholder
from auditor.evidence.durations import NAMED_PERIOD_DAYS
from auditor.evidence.settings import Setting, err
from auditor.models import Message, ParamValue, joined, msg

LOGROTATE_CONF = "/etc/logrotate.conf"
LOGROTATE_D = "/etc/logrotate.d"
_SCRIPTS = ("postrotate", "prerotate", "firstaction", "lastaction", "preremove")
_TABOO = (
    ".rpmorig",
    ".rpmsave",
    ",v",
    ".swp",
    ".rpmnew",
    "~",
    ".cfsaved",
    ".dpkg-dist",
    ".dpkg-old",
    ".dpkg-new",
    ".disabled",
    ".ucf-old",
    ".ucf-new",
    ".ucf-dist",
)
_MAX_DEPTH = 5


@dataclass(frozen=True, slots=True)
class RotateBlock:
    """One ``paths { ... }`` stanza with the directives in force for it (inherited globals included)."""

    patterns: tuple[str, ...]
    file: str
    line: int
    directives: dict[str, Setting] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RotatePolicy:
    """The effective rotation of one log path and the retention it implies.

    ``max_retention_days`` is the age of the oldest line that can survive: (rotate + 1) ×
    period, capped by ``maxage`` + period; ``None`` with ``unbounded=True`` when nothing
    limits it in time (size-only rotation, ``rotate -1``, no frequency).
    """

    path: str
    block: RotateBlock
    frequency: Setting | None
    rotate: Setting | None
    maxage: Setting | None
    max_retention_days: float | None
    unbounded: bool
    basis: str | Message
    caveats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogrotateConfig:
    blocks: tuple[RotateBlock, ...]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()

    def policy_for(self, log_path: str) -> RotatePolicy | None:
        matches = [b for b in self.blocks if any(path_match(p, log_path) for p in b.patterns)]
        if not matches:
            return None
        caveats = [f"also matched by {m.file}:{m.line} (logrotate rejects duplicates)" for m in matches[1:]]
        return _policy(log_path, matches[0], caveats)


def parse_size(text: str) -> int | None:
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", text.strip())
    if m is None:
        return None
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]


class _Reader(IncludingReader):
    def __init__(self, root: HostRoot) -> None:
        super().__init__(root)
        self.blocks: list[RotateBlock] = []
        self.active: set[str] = set()

    def read(self, path: str, globals_: dict[str, Setting], depth: int) -> None:
        got = self.open_config(path)
        if got is None:
            return
        text = got.text or ""
        pending: list[str] = []
        pending_line = 0
        current: dict[str, Setting] | None = None
        block_start = 0
        block_patterns: tuple[str, ...] = ()
        in_script = False
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if in_script:
                in_script = line != "endscript"
                continue
            if not line or line.startswith("#"):
                continue
            if line == "}" or line.startswith("}"):
                if current is None:
                    self.errors.append(err(got.path, number, "unbalanced '}'"))
                else:
                    self.blocks.append(RotateBlock(block_patterns, got.path, block_start, current))
                    current = None
                continue
            if current is None and ("{" in line or not _is_directive(line)):
                head, brace, _ = line.partition("{")
                try:
                    words = shlex.split(head, comments=True)
                except ValueError:
                    self.errors.append(err(got.path, number, "unbalanced quotes"))
                    continue
                pending_line = pending_line or number
                pending += words
                if brace:
                    if not pending:
                        self.errors.append(err(got.path, number, "'{' without log file paths"))
                    current, block_start, block_patterns = dict(globals_), pending_line, tuple(pending)
                    pending, pending_line = [], 0
                continue
            words = line.split()
            name = words[0]
            if name in _SCRIPTS:
                in_script = True
                continue
            if name == "include" and current is None and len(words) > 1:
                self._include(got.path, number, words[1], globals_, depth)
                continue
            target = current if current is not None else globals_
            _apply(target, name, words, got.path, number, self.errors)
        if current is not None:
            self.errors.append(err(got.path, block_start, "block not closed with '}'"))

    def _include(self, path: str, number: int, target: str, globals_: dict[str, Setting], depth: int) -> None:
        if depth >= _MAX_DEPTH:
            self.errors.append(err(path, number, "includes nested too deeply"))
            return
        target = norm(target if target.startswith("/") else posixpath.join(posixpath.dirname(path), target))
        if target in self.active:
            self.errors.append(err(path, number, f"recursive include of {target} ignored"))
            return
        self.active.add(target)
        try:
            self._include_target(path, number, target, globals_, depth)
        finally:
            self.active.discard(target)

    def _include_target(self, path: str, number: int, target: str, globals_: dict[str, Setting], depth: int) -> None:
        if self.root.is_dir(target):
            names, why = self.root.listdir(target)
            if why:
                self.errors.append(err(path, number, f"include {target}: {why}"))
            for name in names:
                if not name.startswith(".") and not name.endswith(_TABOO):
                    self.read(f"{norm(target)}/{name}", dict(globals_), depth + 1)
        else:
            self.read(target, globals_, depth + 1)


def _is_directive(line: str) -> bool:
    word = line.split()[0]
    return bool(re.fullmatch(r"[a-z]+", word)) and not word.startswith("/")


def _apply(target: dict[str, Setting], name: str, words: list[str], path: str, number: int, errors: list[str]) -> None:
    value = " ".join(words[1:])
    if name in ("rotate", "maxage", "size", "maxsize", "minsize") and has_placeholder(value):
        target[name] = Setting(name, value, path, number, unrendered=True)  # known only once rendered
        return
    if name in NAMED_PERIOD_DAYS:
        target.pop("size", None)
        target["frequency"] = Setting("frequency", name, path, number)
    elif name in ("rotate", "maxage"):
        if not re.fullmatch(r"-?\d+", value):
            errors.append(err(path, number, f"{name} needs a number, got {value!r}"))
            return
        target[name] = Setting(name, value, path, number)
    elif name in ("size", "maxsize", "minsize"):
        raw = words[1] if len(words) > 1 else ""
        raw = raw[1:] if raw.startswith("+") else raw
        if parse_size(raw) is None:
            errors.append(err(path, number, f"{name} needs a size, got {value!r}"))
            return
        if name == "size":
            target.pop("frequency", None)
        target[name] = Setting(name, raw, path, number)
    elif name.startswith("no") and name[2:] in ("compress", "delaycompress", "dateext", "missingok", "copytruncate"):
        target.pop(name[2:], None)
    elif name == "ifempty":
        target.pop("notifempty", None)
    else:
        target[name] = Setting(name, value or "yes", path, number)


def _policy(log_path: str, block: RotateBlock, caveats: list[str]) -> RotatePolicy:
    d = block.directives
    freq, rotate, maxage = d.get("frequency"), d.get("rotate"), d.get("maxage")
    templated = [s for s in d.values() if s.unrendered]
    if templated:
        why = msg("logs.basis.template-value", settings=", ".join(f"{s.name} {s.value}" for s in templated))
        return RotatePolicy(norm(log_path), block, freq, rotate, maxage, None, False, why, tuple(caveats))
    count = int(rotate.value) if rotate else 0
    if rotate is None:
        caveats.append("no 'rotate': logrotate keeps 0 old files")
    period = NAMED_PERIOD_DAYS[freq.value] if freq else None
    bounds: list[float] = []
    basis: list[ParamValue] = []
    if period is not None and count >= 0:
        bounds.append((count + 1) * period)
        basis.append(f"(rotate {count} + 1) x {freq.value if freq else ''} ({period:g} d)")  # a formula, not prose
    if maxage is not None and period is not None:
        bounds.append(int(maxage.value) + period)
        basis.append(msg("logs.basis.maxage", days=maxage.value))
    if period is None:
        caveats.append("rotation is size-based only ('size' or no frequency): time in the current file is unbounded")
    if "minsize" in d:
        caveats.append("'minsize': a log smaller than minsize is not rotated at its period, so it can grow older")
    if count < 0 and maxage is None:
        caveats.append("'rotate -1': old files are never removed")
    best = min(bounds) if bounds else None
    unbounded = best is None or "minsize" in d
    return RotatePolicy(
        norm(log_path),
        block,
        freq,
        rotate,
        maxage,
        best,
        unbounded,
        joined(basis) if basis else msg("logs.basis.nothing-limits"),
        tuple(caveats),
    )


def read_logrotate(root: HostRoot, conf: str = LOGROTATE_CONF, extra: tuple[str, ...] = ()) -> LogrotateConfig:
    """Read logrotate.conf (which normally includes logrotate.d); ``extra`` files are read after it
    with the globals it left in force. Without logrotate.conf, ``/etc/logrotate.d`` is read directly."""
    reader = _Reader(root)
    globals_: dict[str, Setting] = {}
    if root.lexists(conf) or conf != LOGROTATE_CONF:
        reader.read(conf, globals_, 0)
    elif root.is_dir(LOGROTATE_D):
        reader._include(LOGROTATE_D, 0, LOGROTATE_D, globals_, 0)
    for path in extra:
        reader.read(path, dict(globals_), 1)
    return LogrotateConfig(tuple(reader.blocks), tuple(reader.files), tuple(reader.errors))


def logrotate_policy_for(root: HostRoot | Path | str, log_path: str) -> RotatePolicy | None:
    return read_logrotate(as_root(root)).policy_for(log_path)
