"""Postfix ``main.cf`` + ``master.cf``: the effective settings of each service.

A submission port's security is decided by main.cf *and* its master.cf ``-o`` overrides
(e.g. ``-o smtpd_tls_security_level=encrypt``), with ``$name`` references in between; a
check that only read main.cf would see port 25's opportunistic ``may``. We also classify
services (smtp/25, submission/587, submissions/465, loopback re-injection such as
``127.0.0.1:10025``) so internal content-filter ports are never graded as public ones.
Hand-written parser: Postfix's format has no Python library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from auditor.collectors.host.root import HostRoot, as_root
from auditor.collectors.host.secrets import REDACTED, is_secret_name
from auditor.evidence.settings import Setting, default_setting, err

MAIN_CF = "/etc/postfix/main.cf"
MASTER_CF = "/etc/postfix/master.cf"
MAX_EXPANSION_DEPTH = 20
MAX_VALUE_CHARS = 64 * 1024
MAX_EXPANSION_WORK = 4 * 1024 * 1024  # characters produced by all expansions over one lookup table

# Built-in defaults (postconf -d, Postfix >= 3.6) of the parameters the transport checks read.
POSTFIX_DEFAULTS: dict[str, str] = {
    "smtpd_tls_security_level": "",
    "smtpd_use_tls": "no",
    "smtpd_enforce_tls": "no",
    "smtpd_tls_auth_only": "no",
    "smtpd_sasl_auth_enable": "no",
    "smtpd_tls_wrappermode": "no",
    "smtpd_tls_protocols": ">=TLSv1",
    "smtpd_tls_mandatory_protocols": ">=TLSv1",
    "smtpd_tls_ciphers": "medium",
    "smtpd_tls_mandatory_ciphers": "medium",
    "smtpd_tls_exclude_ciphers": "",
    "smtpd_tls_mandatory_exclude_ciphers": "",
    "smtpd_tls_loglevel": "0",
    "smtpd_tls_received_header": "no",
    "smtp_tls_security_level": "",
    "smtp_tls_protocols": ">=TLSv1",
    "smtp_tls_mandatory_protocols": ">=TLSv1",
    "tls_preempt_cipherlist": "no",
    "inet_interfaces": "all",
    "inet_protocols": "all",
    "mynetworks_style": "host",
    "smtpd_client_restrictions": "",
    "content_filter": "",
    "maillog_file": "",
}

_VAR = re.compile(r"\$(?:\{([A-Za-z0-9_]+)(?:([?:])((?:[^{}]|\{[^{}]*\})*))?\}|\(([A-Za-z0-9_]+)\)|([A-Za-z0-9_]+))")
_LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?|loopback-only)$", re.IGNORECASE)
_IP_OR_NAME = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[0-9.]+|\*|[a-z0-9.-]+)$")
_PORT_NAMES = {"smtp": 25, "submission": 587, "submissions": 465, "smtps": 465}


@dataclass(frozen=True, slots=True)
class MasterService:
    """One master.cf entry with its ``-o`` overrides (values as written, secrets redacted).

    ``role``: smtp | submission | submissions | reinjection | other. ``loopback_only`` is
    ``None`` when the listen address is a template placeholder or otherwise unknown.
    """

    name: str
    type: str
    command: str
    file: str
    line: int
    overrides: tuple[Setting, ...] = ()
    port: int | None = None
    host: str | None = None
    loopback_only: bool | None = None
    role: str = "other"


@dataclass(frozen=True, slots=True)
class PostfixConfig:
    main: tuple[Setting, ...]
    services: tuple[MasterService, ...]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()

    def service(self, name: str) -> MasterService | None:
        """A service by master.cf name (``submission``), port (``587``) or role."""
        for svc in self.services:
            if svc.name == name:
                return svc
        for svc in self.services:
            if svc.type == "inet" and (str(svc.port) == name or svc.role == name):
                return svc
        return None


def _logical_lines(text: str) -> list[tuple[int, str, tuple[tuple[int, int], ...]]]:
    """Join Postfix continuation lines (leading whitespace); drop comments and blank lines.

    Each entry: first line number, joined text, and ``(offset, line)`` for each physical
    line joined in, so a ``-o`` override on its own line keeps that line number.
    """
    out: list[tuple[int, str, tuple[tuple[int, int], ...]]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if raw[0].isspace() and out:
            line_no, prev, segments = out[-1]
            out[-1] = (line_no, f"{prev} {stripped}", (*segments, (len(prev) + 1, number)))
        else:
            out.append((number, stripped, ((0, number),)))
    return out


def _line_at(segments: tuple[tuple[int, int], ...], offset: int) -> int:
    return max((line for start, line in segments if start <= offset), default=segments[0][1])


def _safe(name: str, value: str) -> str:
    return REDACTED if is_secret_name(name) and value else value


def parse_main_cf(path: str, text: str) -> tuple[list[Setting], list[str]]:
    settings: list[Setting] = []
    errors: list[str] = []
    for number, line, _segments in _logical_lines(text):
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            errors.append(err(path, number, f"not a 'name = value' line: {line[:80]!r}"))
            continue
        settings.append(Setting(name, _safe(name, value.strip()[:MAX_VALUE_CHARS]), path, number))
    return settings, errors


def _split_args(text: str) -> list[tuple[str, int]]:
    """Split master.cf command arguments with their offsets; ``{ ... }`` groups (Postfix 3.0) stay one token."""
    tokens: list[tuple[str, int]] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] == "{":
            end = text.find("}", i)
            end = len(text) if end < 0 else end
            tokens.append((text[i + 1 : end].strip(), i))
            i = end + 1
        else:
            j = i
            while j < len(text) and not text[j].isspace():
                j += 1
            tokens.append((text[i:j], i))
            i = j
    return tokens


def parse_master_cf(path: str, text: str, main: dict[str, str]) -> tuple[list[MasterService], list[str]]:
    services: list[MasterService] = []
    errors: list[str] = []
    for number, line, segments in _logical_lines(text):
        fields = line.split(None, 7)
        if len(fields) < 8:
            errors.append(err(path, number, f"master.cf entry needs 8 fields: {line[:80]!r}"))
            continue
        name, typ = fields[0], fields[1]
        base = len(line) - len(fields[7])
        args = [(tok, base + off) for tok, off in _split_args(fields[7])]
        command = args[0][0] if args else ""
        overrides: list[Setting] = []
        i = 1
        while i < len(args):
            arg, offset = args[i]
            opt: str | None = None
            if arg == "-o" and i + 1 < len(args):
                opt, offset, i = args[i + 1][0], args[i + 1][1], i + 2
            elif arg.startswith("-o") and len(arg) > 2:
                opt, i = arg[2:], i + 1
            else:
                i += 1
            if opt is not None:
                key, _, val = opt.partition("=")
                key = key.strip()
                where = _line_at(segments, offset)
                overrides.append(Setting(key, _safe(key, val.strip()), path, where, scope=(name,)))
        services.append(_classify(name, typ, command, path, number, tuple(overrides), main))
    return services, errors


def _classify(
    name: str, typ: str, command: str, path: str, line: int, overrides: tuple[Setting, ...], main: dict[str, str]
) -> MasterService:
    host: str | None = None
    port_text = name
    if typ == "inet" and ":" in name:
        host, _, port_text = name.rpartition(":")
    port = int(port_text) if port_text.isdigit() else _PORT_NAMES.get(port_text)
    loopback: bool | None = None
    if typ == "inet":
        if host is not None:
            if _LOOPBACK.match(host):
                loopback = True
            elif _IP_OR_NAME.match(host) and "PH_" not in host:
                loopback = False
        else:
            interfaces = [i for i in re.split(r"[\s,]+", main.get("inet_interfaces", "all")) if i]
            if interfaces and all(_LOOPBACK.match(i) for i in interfaces):
                loopback = True
            elif all(_IP_OR_NAME.match(i) or i == "all" for i in interfaces):
                loopback = False
    ov = {s.name: s.value for s in overrides}
    role = "other"
    if typ == "inet" and command in ("smtpd", "postscreen"):
        filter_like = ov.get("content_filter") == "" and ("receive_override_options" in ov or "mynetworks_style" in ov)
        if loopback is True or (filter_like and host is not None):
            role = "reinjection"
        elif port == 25:
            role = "smtp"
        elif port == 587:
            role = "submission"
        elif port == 465 or ov.get("smtpd_tls_wrappermode") == "yes":
            role = "submissions"
    return MasterService(name, typ, command, path, line, overrides, port, host, loopback, role)


class _Expander:
    """``$name``, ``${name}``, ``$(name)``, ``${name?text}``, ``${name:text}`` expansion over one
    lookup table; unknown names stay literal.

    Each parameter is expanded once and remembered, a parameter that refers back to itself
    stays literal, every value is cut at ``MAX_VALUE_CHARS`` and the characters produced in
    all are bounded by ``MAX_EXPANSION_WORK``: expanding anew at every reference made a
    421-byte ``main.cf`` (``a9 = $a8 $a8 …``, ten levels) run for minutes.
    """

    def __init__(self, lookup: dict[str, str]) -> None:
        self.lookup = lookup
        self.done: dict[str, str] = {}
        self.active: set[str] = set()
        self.work = 0

    def name(self, name: str) -> str | None:
        """The expanded value of parameter ``name``; ``None`` if unknown or referring to itself."""
        if name in self.done:
            return self.done[name]
        if name not in self.lookup or name in self.active:
            return None
        self.active.add(name)
        try:
            value = self.text(self.lookup[name])
        finally:
            self.active.discard(name)
        self.done[name] = value
        return value

    @property
    def exhausted(self) -> bool:
        return self.work > MAX_EXPANSION_WORK

    def text(self, value: str, depth: int = 0) -> str:
        if depth > MAX_EXPANSION_DEPTH or "$" not in value or self.exhausted:
            return value
        room = [MAX_VALUE_CHARS]  # what this value may still grow by: substitutions stop there

        def repl(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(4) or m.group(5)
            if m.group(2):
                known = bool(self.name(name))
                text = m.group(3).strip()
                text = text[1:-1] if text.startswith("{") and text.endswith("}") else text
                chosen = text if (known if m.group(2) == "?" else not known) else ""
                found: str | None = self.text(chosen, depth + 1)
            else:
                found = self.name(name)
            if found is None:
                return m.group(0)
            found = found[: max(0, room[0])]
            room[0] -= len(found)
            self.work += len(found)
            return found if not self.exhausted else m.group(0)

        return _VAR.sub(repl, value)[:MAX_VALUE_CHARS]


def _expand(value: str, lookup: dict[str, str]) -> str:
    """One value expanded over ``lookup`` (see :class:`_Expander`)."""
    return _Expander(lookup).text(value)


def read_postfix(root: HostRoot, main_cf: str = MAIN_CF, master_cf: str = MASTER_CF) -> PostfixConfig:
    errors: list[str] = []
    files: list[str] = []
    main: list[Setting] = []
    got = root.read_text(main_cf)
    if got.text is None:
        errors.append(got.error or main_cf)
    else:
        files.append(got.path)
        main, errs = parse_main_cf(got.path, got.text)
        errors += errs
    raw = {s.name: s.value for s in main}
    services: list[MasterService] = []
    got = root.read_text(master_cf)
    if got.text is None:
        errors.append(got.error or master_cf)
    else:
        files.append(got.path)
        lookup = {**POSTFIX_DEFAULTS, **raw}
        expander = _Expander(lookup)
        found, errs = parse_master_cf(got.path, got.text, {k: expander.text(v) for k, v in lookup.items()})
        if expander.exhausted:
            errs.append(
                err(
                    main_cf,
                    None,
                    f"$name expansion stopped after {MAX_EXPANSION_WORK} characters "
                    "(values referring to each other many times over); later values left unexpanded",
                )
            )
        services, errors = found, errors + errs
    return PostfixConfig(tuple(main), tuple(services), tuple(files), tuple(errors))


def effective(config: PostfixConfig, service: str | None = "submission") -> dict[str, Setting]:
    """main.cf + defaults + the service's ``-o`` overrides, every value ``$``-expanded.

    For a ``postscreen`` smtp service, overrides of the ``smtpd pass`` service apply too,
    since that is the daemon that actually speaks SMTP after postscreen.
    """
    merged: dict[str, Setting] = {k: default_setting(k, v, "postfix") for k, v in POSTFIX_DEFAULTS.items()}
    for s in config.main:
        merged[s.name] = s
    svc = config.service(service) if service else None
    if svc is not None:
        extra: tuple[Setting, ...] = ()
        if svc.command == "postscreen":
            passes = [s for s in config.services if s.type == "pass" and s.command == "smtpd"]
            extra = passes[0].overrides if passes else ()
        for s in svc.overrides + extra:
            merged[s.name] = s
    lookup = {k: s.value for k, s in merged.items()}
    expander = _Expander(lookup)
    return {k: Setting(s.name, expander.text(s.value), s.file, s.line, s.scope, s.default) for k, s in merged.items()}


def postfix_effective(root: HostRoot | Path | str, service: str | None = "submission") -> dict[str, Setting]:
    """Effective settings of one master.cf service (``None``: main.cf + defaults only)."""
    return effective(read_postfix(as_root(root)), service)


def sql_map_paths(config: PostfixConfig) -> tuple[str, ...]:
    """Files named by ``mysql:``/``pgsql:``/``sqlite:`` lookup tables in main.cf and master.cf."""
    found: list[str] = []
    for s in list(config.main) + [o for svc in config.services for o in svc.overrides]:
        for m in re.finditer(r"(?:mysql|pgsql|sqlite):(/[^\s,]+)", s.value):
            if m.group(1) not in found:
                found.append(m.group(1))
    return tuple(found)
