"""Where logs written to stdout/stderr end up: the container runtime's log driver, or journald.

``maillog_file = /dev/stdout``, nginx ``access_log /dev/stdout`` or an rsyslog action to
``/dev/stdout`` keep nothing in a file: the lines go to whatever runs the process. In a
container that is Docker's log driver (``/etc/docker/daemon.json`` for the daemon, a compose
file's ``logging:`` per service); under systemd it is the journal. This reads the Docker
side so the retention of such "files" can be stated (json-file/local rotate by size only,
never by age; journald has its own limits) instead of being taken for a file kept forever.
YAML and JSON are parsed with their libraries; nothing is run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

from auditor.collectors.host.root import HostRoot
from auditor.evidence.settings import Setting, err

DAEMON_JSON = "/etc/docker/daemon.json"
COMPOSE_GLOBS = tuple(
    f"{base}/{name}"
    for base in ("", "/opt/*", "/srv/*", "/root/*", "/home/*/*", "/etc/*")
    for name in (
        "docker-compose.yml",
        "docker-compose.yaml",
        "compose.yml",
        "compose.yaml",
        "docker-compose.override.yml",
    )
)
#: Streams that are not files: what a process writes there goes to its supervisor (runtime or journald).
STREAMS = frozenset(
    {
        "/dev/stdout",
        "/dev/stderr",
        "/proc/self/fd/1",
        "/proc/self/fd/2",
        "/dev/fd/1",
        "/dev/fd/2",
        "/dev/console",
        "stdout",
        "stderr",
    }
)
DISCARD = frozenset({"/dev/null"})


def sink_kind(path: str) -> str:
    """``stream`` (stdout/stderr: the supervisor keeps it), ``discard`` (/dev/null) or ``file``."""
    clean = path.strip().lstrip("-")
    if clean in STREAMS:
        return "stream"
    return "discard" if clean in DISCARD else "file"


@dataclass(frozen=True, slots=True)
class LogDriver:
    """One log-driver choice: the daemon default or a compose service's ``logging:``."""

    scope: str  # "daemon" | "service <name>"
    driver: Setting
    options: tuple[Setting, ...] = ()

    def option(self, name: str) -> Setting | None:
        return next((o for o in self.options if o.name == name), None)


@dataclass(frozen=True, slots=True)
class ContainerLogging:
    """Docker log drivers found in the root; ``compose_files`` are compose files seen (with or without logging)."""

    drivers: tuple[LogDriver, ...]
    compose_files: tuple[str, ...]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.drivers or self.compose_files)


def _daemon(root: HostRoot) -> tuple[list[LogDriver], list[str], list[str]]:
    if not root.lexists(DAEMON_JSON):
        return [], [], []
    got = root.read_text(DAEMON_JSON)
    if got.text is None:
        return [], [], [got.error or DAEMON_JSON]
    try:
        data = json.loads(got.text)
    except ValueError as exc:
        return [], [got.path], [err(got.path, None, f"invalid JSON: {exc}")]
    if not isinstance(data, dict):
        return [], [got.path], [err(got.path, None, "expected a JSON object")]
    lines = got.text.splitlines()

    def line_of(key: str) -> int:
        return next((n for n, text in enumerate(lines, 1) if f'"{key}"' in text), 1)

    driver = Setting(
        "log-driver",
        str(data.get("log-driver", "json-file")),
        got.path,
        line_of("log-driver"),
        default="log-driver" not in data,
    )
    raw_opts = data.get("log-opts")
    opts: dict[str, object] = raw_opts if isinstance(raw_opts, dict) else {}
    options = tuple(Setting(str(k), str(v), got.path, line_of(str(k))) for k, v in opts.items())
    return [LogDriver("daemon", driver, options)], [got.path], []


def _compose(root: HostRoot, path: str) -> tuple[list[LogDriver], list[str]]:
    got = root.read_text(path)
    if got.text is None:
        return [], [got.error or path]
    try:
        node = yaml.compose(got.text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [err(got.path, mark.line + 1 if mark else None, f"invalid YAML: {getattr(exc, 'problem', exc)}")]
    services = _child(node, "services")
    found: list[LogDriver] = []
    if not isinstance(services, yaml.MappingNode):
        return found, []
    for key, svc in services.value:
        logging = _child(svc, "logging")
        if not isinstance(logging, yaml.MappingNode):
            continue
        drv = _child(logging, "driver")
        line = (drv or logging).start_mark.line + 1
        name = drv.value if isinstance(drv, yaml.ScalarNode) else "json-file"
        driver = Setting("driver", str(name), got.path, line, scope=(key.value,), default=drv is None)
        opts = _child(logging, "options")
        options = tuple(
            Setting(str(k.value), str(v.value), got.path, k.start_mark.line + 1, scope=(key.value,))
            for k, v in (opts.value if isinstance(opts, yaml.MappingNode) else ())
            if isinstance(v, yaml.ScalarNode)
        )
        found.append(LogDriver(f"service {key.value}", driver, options))
    return found, []


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == name), None)


def read_container_logging(root: HostRoot) -> ContainerLogging:
    drivers, files, errors = _daemon(root)
    compose: list[str] = []
    for pattern in COMPOSE_GLOBS:
        for path in root.glob(pattern):
            if path in compose:
                continue
            compose.append(path)
            found, errs = _compose(root, path)
            drivers += found
            errors += errs
    return ContainerLogging(tuple(drivers), tuple(compose), tuple(files + compose), tuple(errors))
