"""Dovecot configuration (2.3 and 2.4): nested sections, ``!include``, scoped filters.

Hand-written parser: there is no Python library for Dovecot's format. The traps it must
get right: ``!include`` globs are relative to the including file; ``<file`` values name a
file that must not be read (keys, certificates); a filter block such as mailcow's
``remote 127.0.0.1 { disable_plaintext_auth = no }`` is a scoped exception, not the global
value; and 2.4 renamed settings (``auth_allow_cleartext``, ``default_password_scheme``),
so ``dovecot_effective`` reports both spellings.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from auditor.collectors.host.readers.includes import IncludingReader, logical_lines
from auditor.collectors.host.root import HostRoot, as_root, norm
from auditor.collectors.host.secrets import REDACTED, is_secret_name, scrub
from auditor.evidence.settings import Setting, default_setting, err

DOVECOT_CONF = "/etc/dovecot/dovecot.conf"
MAX_INCLUDE_DEPTH = 10
_FILTERS = ("remote", "local", "protocol", "local_name")

# Built-in defaults (2.3 names, and their 2.4 equivalents).
DOVECOT_DEFAULTS: dict[str, str] = {
    "ssl": "yes",
    "ssl_min_protocol": "TLSv1.2",
    "disable_plaintext_auth": "yes",
    "auth_allow_cleartext": "no",
    "auth_mechanisms": "plain",
    "auth_verbose": "no",
    "auth_verbose_passwords": "no",
    "auth_debug_passwords": "no",
    "log_path": "syslog",
    "mail_log_fields": "uid box msgid size",
    "ssl_cipher_list": "ALL:!kRSA:!SRP:!kDHd:!DSS:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:!PSK:!RC4:!ADH:!LOW@STRENGTH",
}
_RENAMED = {  # 2.3 name -> 2.4 name (values compatible unless noted in _INVERTED)
    "disable_plaintext_auth": "auth_allow_cleartext",
    "default_pass_scheme": "default_password_scheme",
    "ssl_cert": "ssl_server_cert_file",
    "ssl_key": "ssl_server_key_file",
    "ssl_prefer_server_ciphers": "ssl_server_prefer_ciphers",
}
_INVERTED = {"disable_plaintext_auth"}


@dataclass(frozen=True, slots=True)
class AuthDb:
    """A ``passdb``/``userdb`` block: driver, args (secrets scrubbed) and its other settings."""

    kind: str
    name: str
    driver: str
    args: str
    file: str
    line: int
    settings: tuple[Setting, ...] = ()


@dataclass(frozen=True, slots=True)
class DovecotConfig:
    settings: tuple[Setting, ...]
    passdbs: tuple[AuthDb, ...]
    userdbs: tuple[AuthDb, ...]
    files: tuple[str, ...]
    version: str | None
    errors: tuple[str, ...] = ()

    @property
    def globals(self) -> dict[str, Setting]:
        """Top-level settings, last assignment wins."""
        return {s.name: s for s in self.settings if not s.scope}

    @property
    def scoped(self) -> tuple[Setting, ...]:
        """Settings inside filter blocks (``remote``, ``local``, ``protocol``) — exceptions, not globals."""
        return tuple(s for s in self.settings if s.scope and s.scope[0].split()[0] in _FILTERS)


class _Parser(IncludingReader):
    NATIVE = frozenset({"hiera"})  # %{user}, %{home}: Dovecot's own variables

    def __init__(self, root: HostRoot) -> None:
        super().__init__(root)
        self.settings: list[Setting] = []
        self.dbs: list[AuthDb] = []
        self.ids: list[int] = []  # parallel to the section stack: a unique id per opened section
        self.headers: dict[int, tuple[str, str, int]] = {}
        self.member: list[tuple[int, ...]] = []  # per setting: the ids of its enclosing sections

    def parse_file(self, path: str, stack: list[str], depth: int) -> None:
        got = self.open_config(path)
        if got is None:
            return
        for number, line in logical_lines(got.text or "", " "):
            self._line(got.path, number, _strip_comment(line).strip(), stack, depth)

    def _line(self, path: str, number: int, line: str, stack: list[str], depth: int) -> None:
        if not line:
            return
        if line.startswith("!include"):
            word, _, target = line.partition(" ")
            self._include(path, number, target.strip().strip("\"'"), word == "!include_try", stack, depth)
            return
        if line == "}":
            if not stack:
                self.errors.append(err(path, number, "unbalanced '}'"))
            else:
                stack.pop()
                self.ids.pop()
            return
        if line.endswith("{") and "=" not in line.split("{")[0]:
            stack.append(" ".join(line[:-1].split()))
            self.ids.append(len(self.headers))
            self.headers[len(self.headers)] = (stack[-1], path, number)
            return
        m = re.match(r"^([A-Za-z0-9_.:/@-]+)\s*=\s*(.*)$", line)
        if m is None:
            self.errors.append(err(path, number, f"unrecognised line: {line[:80]!r}"))
            return
        name, value = m.group(1), _unquote(m.group(2).strip())
        if is_secret_name(name) and value and not value.startswith("<"):
            value = REDACTED
        elif name in ("args", "connect", "uri") or "password" in value.lower():
            value = scrub(value)
        if value.startswith("$") and not stack:  # 2.3 "$name" refers to the earlier value
            prev = next((s.value for s in reversed(self.settings) if s.name == value[1:].split()[0]), None)
            if prev is not None:
                value = prev + value[len(value.split()[0]) :]
        self.settings.append(Setting(name, value, path, number, scope=tuple(stack)))
        self.member.append(tuple(self.ids))

    def _include(self, path: str, number: int, target: str, optional: bool, stack: list[str], depth: int) -> None:
        if depth >= MAX_INCLUDE_DEPTH:
            self.errors.append(err(path, number, "includes nested too deeply (loop?)"))
            return
        pattern = target if target.startswith("/") else posixpath.join(posixpath.dirname(path), target)
        matches = self.root.glob(pattern) if any(c in pattern for c in "*?[") else [norm(pattern)]
        matches = [m for m in matches if self.root.exists(m)]
        if not matches and not optional:
            self.errors.append(err(path, number, f"!include {target}: no such file"))
        for inc in matches:
            self.parse_file(inc, stack, depth + 1)


def _strip_comment(line: str) -> str:
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _collect_dbs(parser: _Parser) -> tuple[tuple[AuthDb, ...], tuple[AuthDb, ...]]:
    """Group settings by their innermost passdb/userdb section (each ``passdb {`` is its own block)."""
    blocks: dict[int, list[Setting]] = {}
    for setting, ids in zip(parser.settings, parser.member, strict=True):
        for sid in reversed(ids):
            if parser.headers[sid][0].split()[0] in ("passdb", "userdb"):
                blocks.setdefault(sid, []).append(setting)
                break
    passdbs: list[AuthDb] = []
    userdbs: list[AuthDb] = []
    for sid, members in blocks.items():
        header, file, line = parser.headers[sid]
        kind, _, name = header.partition(" ")
        depth = len(members[0].scope)
        values = {m.name: m.value for m in members if len(m.scope) == depth}
        driver = values.get("driver", name if name in ("sql", "ldap", "passwd-file", "pam", "lua", "static") else "")
        db = AuthDb(kind, name, driver, values.get("args", ""), file, line, tuple(members))
        (passdbs if kind == "passdb" else userdbs).append(db)
    return tuple(passdbs), tuple(userdbs)


def read_dovecot(root: HostRoot, files: tuple[str, ...] = (DOVECOT_CONF,)) -> DovecotConfig:
    """Parse ``dovecot.conf`` (or several top-level files, e.g. a snapshot's ``conf.d`` pieces)."""
    parser = _Parser(root)
    for path in files:
        stack: list[str] = []
        parser.parse_file(path, stack, 0)
        if stack:
            parser.errors.append(err(norm(path), None, f"unclosed section(s): {', '.join(stack)}"))
    passdbs, userdbs = _collect_dbs(parser)
    names = {s.name for s in parser.settings}
    version = None
    if "dovecot_config_version" in names or names & set(_RENAMED.values()):
        version = "2.4"
    elif names & set(_RENAMED):
        version = "2.3"
    return DovecotConfig(tuple(parser.settings), passdbs, userdbs, tuple(parser.files), version, tuple(parser.errors))


def effective(config: DovecotConfig) -> dict[str, Setting]:
    """Global settings over built-in defaults, with 2.3 and 2.4 names both filled in.

    ``default_pass_scheme``/``default_password_scheme`` also come from a passdb block
    (2.4 puts it there). Scoped exceptions are in ``config.scoped``, never here.
    """
    merged = {k: default_setting(k, v, "dovecot") for k, v in DOVECOT_DEFAULTS.items()}
    merged.update({s.name: s for s in config.settings if s.scope == ("plugin",)})  # 2.3 plugin settings
    merged.update(config.globals)
    for db in config.passdbs:
        for s in db.settings:
            if s.name in ("default_password_scheme", "default_pass_scheme"):
                merged.setdefault(s.name, s)
    for old, new in _RENAMED.items():
        for src, dst in ((old, new), (new, old)):
            have = config.globals.get(src) or (merged.get(src) if src in merged and not merged[src].default else None)
            if have is None or (dst in merged and not merged[dst].default):
                continue
            value = have.value
            if old in _INVERTED:
                value = {"yes": "no", "no": "yes"}.get(value.lower(), value)
            merged[dst] = Setting(dst, value, have.file, have.line, have.scope)
    return merged


def dovecot_effective(root: HostRoot | Path | str) -> dict[str, Setting]:
    return effective(read_dovecot(as_root(root)))
