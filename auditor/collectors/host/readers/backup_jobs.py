"""Backup jobs as cron and systemd run them: the wrapper scripts, their variables, tarsnapper's deltas.

Retention rarely sits in a tool's own config file. A cron line runs ``. /etc/restic/default.env.sh &&
restic_backup.sh``, the script runs ``restic forget --keep-daily "$RESTIC_RETENTION_DAYS"`` and the
number is in the env file; a timer's service has ``EnvironmentFile=`` and ``ExecStart=`` a script
that calls ``borg prune``; ``tarsnapper -c /etc/tarsnapper.conf make`` expires archives older than
its longest delta. This module follows each job's command line into the scripts it runs (found
by path or on the job's ``PATH``) and the files it sources, expands the shell variables those
assign, and hands the expanded command lines to the ``forget``/``prune`` reader. Nothing is run.
Hand-written: no library reads shell without running it; only assignments and command words
are understood, anything else is left unexpanded (and then read as no rule).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import yaml

from auditor.collectors.host.readers.daemon_args import shell_words
from auditor.collectors.host.root import HostRoot
from auditor.evidence.backup import BackupRetention
from auditor.evidence.settings import Setting, err
from auditor.models import Message, msg

CRONTABS = ("/etc/crontab", "/etc/cron.d/*", "/var/spool/cron/crontabs/*", "/var/spool/cron/*")
UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
MAX_SCRIPTS = 50
_ASSIGN = re.compile(r"^\s*(?:export\s+|declare\s+(?:-\w+\s+)*|local\s+)?([A-Za-z_]\w*)=(.*)$")
_VAR = re.compile(r"\$\{([A-Za-z_]\w*)(?::?[-=]([^}]*))?\}|\$([A-Za-z_]\w*)")
_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")
_TARSNAPPER_DELTA = re.compile(r"^(\d+)([smhdwy])$")
_DELTA_DAYS = {"s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "d": 1.0, "w": 7.0, "y": 366.0}


@dataclass
class _Job:
    """One scheduled job's shell state: variables assigned so far, files read, where it was started."""

    started_by: str
    variables: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (value, file:line)
    path: list[str] = field(default_factory=lambda: list(DEFAULT_PATH))


class JobReader:
    """Follows every cron line and backup-looking systemd service into scripts, env files, tarsnapper."""

    def __init__(self, root: HostRoot, scan: Callable[[str, str], list[BackupRetention]]) -> None:
        self.root = root
        self.scan = scan  # the forget/prune command-line reader of :mod:`.backups`
        self.found: list[BackupRetention] = []
        self.files: list[str] = []
        self.errors: list[str] = []
        self.read_scripts: set[str] = set()

    def run(self) -> None:
        for pattern in CRONTABS:
            for path in self.root.glob(pattern):
                self._crontab(path)
        for directory in UNIT_DIRS:
            for path in self.root.glob(f"{directory}/*.service"):
                self._unit(path)

    # -- entry points ------------------------------------------------------------------------
    def _crontab(self, path: str) -> None:
        got = self.root.read_text(path, native=frozenset({"envsubst"}))
        if got.text is None:
            return
        system = not path.startswith("/var/spool/cron")
        job = _Job(path)
        for number, line in enumerate(got.text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            assign = _ASSIGN.match(line)
            if assign is not None and " " not in assign.group(1):
                self._assign(job, assign.group(1), assign.group(2), f"{got.path}:{number}")
                continue
            words = line.split()
            skip = (1 if words[0].startswith("@") else 5) + (1 if system else 0)
            command = line.split(None, skip)[-1] if len(words) > skip else ""
            self._command(
                replace(job, started_by=f"{got.path}:{number}", variables=dict(job.variables), path=list(job.path)),
                command,
                0,
            )

    def _unit(self, path: str) -> None:
        got = self.root.read_text(path, native=frozenset({"envsubst"}))
        if got.text is None or not re.search(r"(?i)backup|restic|borg|tarsnap|duplicity|rsnapshot", got.text):
            return
        job = _Job(path)
        commands: list[tuple[int, str]] = []
        for number, line in enumerate(got.text.splitlines(), 1):
            m = re.match(r"^\s*(Environment|EnvironmentFile|ExecStart|ExecStartPre|ExecStartPost)\s*=\s*(.*)$", line)
            if m is None:
                continue
            key, value = m.group(1), m.group(2).strip()
            if key == "Environment":
                for pair in _words(value):
                    name, _, val = pair.partition("=")
                    self._assign(job, name, val, f"{got.path}:{number}")
            elif key == "EnvironmentFile":
                self._source(job, value.lstrip("-"), 0)
            else:
                commands.append((number, re.sub(r"^[-@+!:]+", "", value)))
        for number, command in commands:
            self._command(replace(job, started_by=f"{got.path}:{number}"), command, 0)

    # -- shell ---------------------------------------------------------------------------------
    def _assign(self, job: _Job, name: str, value: str, where: str) -> None:
        words = _words(self._expand(job, value))
        text = words[0] if len(words) == 1 else " ".join(words) if words else ""
        job.variables[name] = (text, where)
        if name == "PATH":
            job.path = [p for p in text.split(":") if p.startswith("/")] or job.path

    def _expand(self, job: _Job, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(3)
            known = job.variables.get(name)
            if known is not None:
                return known[0]
            return m.group(2) if m.group(2) is not None else m.group(0)

        return _VAR.sub(sub, text)

    def _command(self, job: _Job, command: str, depth: int) -> None:
        """A command line: ``. file`` / ``source file``, ``bash -c '...'``, a script, tarsnapper, a tool call."""
        for part in _SEPARATORS.split(command):
            words = _words(part)
            while words and "=" in words[0] and not words[0].startswith("-"):  # VAR=value command
                name, _, value = words.pop(0).partition("=")
                self._assign(job, name, value, job.started_by)
            if not words:
                continue
            head = posixpath.basename(words[0])
            if head in (".", "source") and len(words) > 1:
                self._source(job, self._expand(job, words[1]), depth)
            elif head in ("bash", "sh", "dash") and "-c" in words[:-1]:
                self._command(job, words[words.index("-c") + 1], depth + 1)
            elif head == "tarsnapper":
                self._tarsnapper(job, words)
            else:
                script = self._find(job, self._expand(job, words[0]))
                if script is not None:
                    self._script(job, script, depth + 1)

    def _find(self, job: _Job, word: str) -> str | None:
        if word.startswith("/"):
            return word if self.root.exists(word) and not self.root.is_dir(word) else None
        if "/" in word or not word:
            return None
        return next((f"{d}/{word}" for d in job.path if self.root.exists(f"{d}/{word}")), None)

    def _source(self, job: _Job, path: str, depth: int) -> None:
        if not path.startswith("/") or not self.root.exists(path) or depth > 4:
            return
        got = self.root.read_text(path, native=frozenset({"envsubst"}))
        if got.text is None:
            self.errors.append(got.error or path)
            return
        for number, line in enumerate(got.text.splitlines(), 1):
            m = _ASSIGN.match(line)
            if m is not None:
                self._assign(job, m.group(1), m.group(2).split(" #")[0].strip(), f"{got.path}:{number}")

    def _script(self, job: _Job, path: str, depth: int) -> None:
        """A shell script the job runs: its assignments, sourced files, the scripts it calls, and its
        ``forget``/``prune`` lines with the variables known at that point expanded."""
        if depth > 4 or len(self.read_scripts) >= MAX_SCRIPTS:
            return
        got = self.root.read_text(path, native=frozenset({"envsubst"}))
        if got.text is None or "\x00" in got.text[:1024]:
            return  # a binary (the tool itself), not a script
        if not got.text.startswith("#!") and not path.endswith(".sh"):
            return
        if got.path in self.read_scripts:
            return
        self.read_scripts.add(got.path)
        expanded: list[str] = []
        for number, raw in enumerate(_joined(got.text), 1):
            line = raw.strip()
            assign = _ASSIGN.match(line)
            if assign is not None:
                self._assign(job, assign.group(1), assign.group(2).split(" #")[0].strip(), f"{got.path}:{number}")
            elif line and not line.startswith("#"):
                self._command(job, line, depth)  # sourced files, scripts it calls, tarsnapper
            expanded.append(self._expand(job, raw))
        hits = self.scan(got.path, "\n".join(expanded))
        used = sorted(
            {
                f"${n} = {v} ({w})"
                for n, (v, w) in job.variables.items()
                if f"${n}" in got.text or f"${{{n}}}" in got.text
            }
        )
        for hit in hits:
            caveats = (
                *hit.caveats,
                msg("backup.caveat.run-by", job=job.started_by),
                *(msg("backup.caveat.from", source=u) for u in used[:8]),
            )
            self.found.append(replace(hit, caveats=caveats))
        if hits:
            self.files.append(got.path)

    def _tarsnapper(self, job: _Job, words: list[str]) -> None:
        """``tarsnapper -c FILE make|expire`` or ``--deltas ...``: the oldest archive is the longest delta."""
        words = [self._expand(job, w) for w in words]
        if "--deltas" in words:
            deltas = [w for w in words[words.index("--deltas") + 1 :] if _TARSNAPPER_DELTA.match(w)]
            self._deltas(job, job.started_by.rsplit(":", 1)[0], int(job.started_by.rsplit(":", 1)[1]), deltas, [])
        conf = next((words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-c", "--config")), None)
        if conf is None or not self.root.exists(conf):
            return
        got = self.root.read_text(conf)
        if got.text is None:
            self.errors.append(got.error or conf)
            return
        try:
            node = yaml.compose(got.text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            self.errors.append(err(got.path, None, f"invalid YAML: {getattr(exc, 'problem', exc)}"))
            return
        for value, line in _deltas_in(node):
            self._deltas(job, got.path, line, value.split(), [])
        self.files.append(got.path)

    def _deltas(self, job: _Job, path: str, line: int, deltas: list[str], caveats: list[str | Message]) -> None:
        days = [_delta_days(d) for d in deltas]
        if not days or any(d is None for d in days):
            caveats.append(msg("backup.caveat.deltas-unreadable", deltas=" ".join(deltas)))
            longest = None
        else:
            longest = max(d for d in days if d is not None)
        rule = Setting("deltas", " ".join(deltas), path, line)
        self.found.append(
            BackupRetention(
                "tarsnapper",
                path,
                line,
                (rule,),
                longest,
                False,
                True,
                (*caveats, msg("backup.caveat.tarsnapper"), msg("backup.caveat.run-by", job=job.started_by)),
            )
        )
        if path not in self.files:
            self.files.append(path)


def _deltas_in(node: yaml.Node | None) -> list[tuple[str, int]]:
    """Every ``deltas:`` value (global and per job) with its line."""
    out: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "deltas" and isinstance(value, yaml.ScalarNode):
                out.append((value.value, key.start_mark.line + 1))
            else:
                out += _deltas_in(value)
    return out


def _delta_days(text: str) -> float | None:
    m = _TARSNAPPER_DELTA.match(text.strip())
    return int(m.group(1)) * _DELTA_DAYS[m.group(2)] if m else None


def _joined(text: str) -> list[str]:
    """Lines with backslash continuations joined onto their first line (the others left empty, so
    line numbers stay those of the file)."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line, start = lines[i], i
        while line.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line.rstrip()[:-1] + " " + lines[i].strip()
        out += [line] + [""] * (i - start)
        i += 1
    return out


def _words(text: str) -> list[str]:
    return shell_words(text, comments=True)
