"""Backup retention: borgmatic YAML, restic ``forget`` / borg ``prune`` command lines, rsnapshot.

A statement's "deleted data leaves our backups after N days" is held against the longest
period a backup tool keeps. Count rules (``keep_monthly: 6``) are read as "N periods back,
assuming at least one backup per period". A dry run (``-n``/``--dry-run``) prunes nothing,
so its rules are recorded but marked not effective (the shiz0 mailcow example).
"""

from __future__ import annotations

import re
import shlex

import yaml

from auditor.collectors.host.readers.backup_jobs import JobReader
from auditor.collectors.host.root import HostRoot
from auditor.evidence.backup import BackupConfig, BackupRetention
from auditor.evidence.durations import DAY_SECONDS, NAMED_PERIOD_DAYS
from auditor.evidence.settings import Setting, err
from auditor.models import Message, msg

#: borg/borgmatic ``keep_*`` levels: the shared periods plus finer ones and ``last`` (no span).
KEEP_DAYS = {"secondly": 1 / DAY_SECONDS, "minutely": 60 / DAY_SECONDS, **NAMED_PERIOD_DAYS, "last": 0.0}
#: ``--keep-within`` units: the same lengths under borg's one-letter names.
_BORG_SPAN = {
    "S": KEEP_DAYS["secondly"],
    "M": KEEP_DAYS["minutely"],
    "H": KEEP_DAYS["hourly"],
    "d": KEEP_DAYS["daily"],
    "w": KEEP_DAYS["weekly"],
    "m": KEEP_DAYS["monthly"],
    "y": KEEP_DAYS["yearly"],
}
BORGMATIC_PATHS = ("/etc/borgmatic/config.yaml", "/etc/borgmatic.d/*.yaml", "/root/.config/borgmatic/config.yaml")
CRON_PATHS = (
    "/etc/crontab",
    "/etc/cron.d/*",
    "/etc/cron.daily/*",
    "/etc/cron.weekly/*",
    "/var/spool/cron/crontabs/*",
    "/etc/systemd/system/*.service",
    "/usr/local/bin/*backup*",
    "/etc/default/*backup*",
)
RSNAPSHOT_CONF = "/etc/rsnapshot.conf"


def parse_borg_span(text: str) -> float | None:
    """borg/borgmatic ``keep_within`` (``2w``, ``1y``, ``36H``), and restic ``1y2m3d4h`` spans, in days."""
    total = 0.0
    pos = 0
    text = text.strip()
    for m in re.finditer(r"(\d+)([SMHdwmyh])", text):
        if m.start() != pos:
            return None
        total += int(m.group(1)) * _BORG_SPAN.get(m.group(2), KEEP_DAYS["hourly"])
        pos = m.end()
    return total if text and pos == len(text) else None


def _retention(
    tool: str, file: str, line: int, rules: list[Setting], effective: bool, caveats: list[str | Message]
) -> BackupRetention:
    spans: list[float] = []
    unbounded = not rules
    if not rules:
        caveats.append(msg("backup.caveat.no-keep-rule"))
    for rule in rules:
        kind = rule.name.removeprefix("keep_").removeprefix("keep-")
        if kind.startswith("within"):
            span = parse_borg_span(rule.value)
            if span is None:
                caveats.append(msg("backup.caveat.unreadable-span", rule=rule.name, value=rule.value))
            else:
                spans.append(span)
        elif re.fullmatch(r"-?\d+", rule.value):
            count = int(rule.value)
            if count < 0:
                unbounded = True
                caveats.append(msg("backup.caveat.unlimited", rule=rule.name, count=count))
            elif kind.split("-")[0] in ("last", "secondly", "minutely"):
                caveats.append(msg("backup.caveat.count-depends", rule=rule.name, count=count))
            else:
                spans.append(count * KEEP_DAYS.get(kind.split("-")[0], 0.0))
    if not effective:
        caveats.append(msg("backup.caveat.dry-run"))
        unbounded = True
    longest = None if unbounded or not spans else max(spans)
    return BackupRetention(tool, file, line, tuple(rules), longest, unbounded, effective, tuple(caveats))


def _yaml_lines(node: yaml.Node, found: dict[str, tuple[str, int]]) -> None:
    """Collect ``keep_*`` scalar values with their 1-based lines, at any nesting (1.x ``retention:`` or flat)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value.startswith("keep_")
                and isinstance(value, yaml.ScalarNode)
            ):
                found[key.value] = (value.value, key.start_mark.line + 1)
            else:
                _yaml_lines(value, found)


def read_borgmatic(root: HostRoot, path: str) -> tuple[BackupRetention | None, list[str]]:
    got = root.read_text(path)
    if got.text is None:
        return None, [got.error or path]
    try:
        node = yaml.compose(got.text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [err(got.path, mark.line + 1 if mark else None, f"invalid YAML: {getattr(exc, 'problem', exc)}")]
    found: dict[str, tuple[str, int]] = {}
    if node is not None:
        _yaml_lines(node, found)
    rules = [Setting(k, v, got.path, ln) for k, (v, ln) in found.items() if k != "keep_exclude_tags"]
    line = min((r.line for r in rules), default=1)
    return _retention("borgmatic", got.path, line, rules, True, []), []


_OPT = re.compile(r"^--keep-(last|secondly|minutely|hourly|daily|weekly|monthly|yearly|within(?:-\w+)?)(?:=(.*))?$")
_SHORT = {"-H": "hourly", "-d": "daily", "-w": "weekly", "-m": "monthly", "-y": "yearly"}


def _keep_options(words: list[str], path: str, line: int) -> tuple[list[Setting], bool]:
    rules: list[Setting] = []
    dry = False
    i = 0
    while i < len(words):
        w = words[i]
        m = _OPT.match(w)
        if w in ("-n", "--dry-run") or (re.fullmatch(r"-[a-zA-Z]+", w) and "n" in w[1:] and len(w) <= 4):
            dry = True
        elif m:
            value = m.group(2)
            if value is None and i + 1 < len(words):
                i += 1
                value = words[i]
            rules.append(Setting(f"keep-{m.group(1)}", value or "", path, line))
        elif w in _SHORT and i + 1 < len(words):
            i += 1
            rules.append(Setting(f"keep-{_SHORT[w]}", words[i], path, line))
        i += 1
    return rules, dry


def scan_commands(path: str, text: str) -> list[BackupRetention]:
    """restic ``forget``, ``borg prune`` and ``BORG_PRUNE*=`` option lines in cron/systemd/scripts/env files."""
    out: list[BackupRetention] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tool = None
        if re.search(r"\brestic\b.*\bforget\b", line):
            tool, segment = "restic", line[line.index("forget") + len("forget") :]
        elif re.search(r"\bborg\b\s+(?:\S+\s+)*?prune\b", line):
            tool, segment = "borg", line[re.search(r"\bprune\b", line).end() :]  # type: ignore[union-attr]
        elif m := re.search(r"\b\w*PRUNE\w*=(.*)$", line):
            tool, segment = "borg", m.group(1)
        elif m := re.search(r"\bduplicity\b.*\bremove-(?:older-than|all-but-n-full)\s+(\S+)", line):
            out.append(_duplicity(path, number, line, m.group(1)))
            continue
        if tool is None:
            continue
        segment = re.split(r"\s(?:&&|\|\||;|\|)\s", segment)[0]
        segment = segment.strip()
        if len(segment) > 1 and segment[0] == segment[-1] and segment[0] in "\"'":  # VAR="--keep-last 5"
            segment = segment[1:-1]
        try:
            words = shlex.split(segment)
        except ValueError:
            words = [w.strip("\"'") for w in segment.split()]
        rules, dry = _keep_options(words, path, number)
        out.append(_retention(tool, path, number, rules, not dry, []))
    return out


_DUPLICITY_UNITS = {"s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "D": 1.0, "W": 7.0, "M": 30.44, "Y": 365.25}


def _duplicity(path: str, line: int, command: str, value: str) -> BackupRetention:
    """``duplicity remove-older-than 3D`` (or ``remove-all-but-n-full N``): chains are removed whole, so a
    deleted file stays until the chain holding it is past the age *and* superseded by a newer full backup."""
    caveat = msg("backup.caveat.duplicity-chains")
    value = value.strip("\"'")
    if "all-but-n-full" in command:
        rule = Setting("remove-all-but-n-full", value, path, line)
        counted = msg("backup.caveat.duplicity-count")
        return BackupRetention("duplicity", path, line, (rule,), None, False, "--force" in command, (caveat, counted))
    total = 0.0
    for m in re.finditer(r"(\d+)([smhDWMY])", value):
        total += int(m.group(1)) * _DUPLICITY_UNITS[m.group(2)]
    rule = Setting("remove-older-than", value, path, line)
    known = bool(re.fullmatch(r"(\d+[smhDWMY])+", value))
    caveats = (caveat,) + (() if "--force" in command else (msg("backup.caveat.duplicity-no-force"),))
    return BackupRetention(
        "duplicity", path, line, (rule,), total if known else None, False, "--force" in command, caveats
    )


def read_rsnapshot(root: HostRoot, path: str = RSNAPSHOT_CONF) -> tuple[BackupRetention | None, list[str]]:
    got = root.read_text(path)
    if got.text is None:
        return None, [got.error or path]
    rules: list[Setting] = []
    errors: list[str] = []
    caveats: list[str | Message] = []
    for number, raw in enumerate(got.text.splitlines(), 1):
        if raw.startswith(("retain", "interval")):
            fields = [f for f in raw.split("\t") if f]
            if len(fields) != 3 or not fields[2].strip().isdigit():
                errors.append(err(got.path, number, "rsnapshot 'retain' needs TAB-separated level and count"))
                continue
            level = fields[1].strip()
            if level not in KEEP_DAYS:
                caveats.append(msg("backup.caveat.rsnapshot-level", level=level))
            rules.append(Setting(f"keep_{level}", fields[2].strip(), got.path, number))
    if not rules:
        return None, errors
    known = [r for r in rules if r.name.removeprefix("keep_") in KEEP_DAYS]
    result = _retention("rsnapshot", got.path, rules[0].line, known, True, caveats)
    return BackupRetention(
        result.tool, result.file, result.line, tuple(rules), result.longest_days, result.unbounded, True, result.caveats
    ), errors


def read_backups(root: HostRoot, extra: tuple[str, ...] = ()) -> BackupConfig:
    """All backup configurations at their usual places, plus ``extra`` command/env files."""
    found: list[BackupRetention] = []
    files: list[str] = []
    errors: list[str] = []
    for pattern in BORGMATIC_PATHS:
        for path in root.glob(pattern):
            ret, errs = read_borgmatic(root, path)
            errors += errs
            files.append(path)
            found += [ret] if ret else []
    if root.exists(RSNAPSHOT_CONF):
        ret, errs = read_rsnapshot(root)
        errors += errs
        files.append(RSNAPSHOT_CONF)
        found += [ret] if ret else []
    jobs = JobReader(root, scan_commands)
    jobs.run()  # scheduled jobs followed into their scripts, variables expanded: these readings come first
    seen = {(r.file, r.line) for r in jobs.found}
    found += jobs.found
    files += [f for f in jobs.files if f not in files]
    errors += jobs.errors
    paths = [p for pattern in CRON_PATHS for p in root.glob(pattern)] + list(extra)
    for path in paths:
        got = root.read_text(path, native=frozenset({"envsubst"}))  # ${VAR} is the shell's own
        if got.text is None:
            errors.append(got.error or path)
            continue
        hits = [h for h in scan_commands(got.path, got.text) if (h.file, h.line) not in seen]
        if hits:
            files.append(got.path)
            found += hits
    return BackupConfig(tuple(found), tuple(files), tuple(errors))
