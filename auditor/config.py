"""``auditor run audit.toml``: a repeatable audit described in one reviewed file.

The ``[audit]`` keys are checked against one table (type, and the ``auditor scan`` option
each stands for) and handed to the same builder as the command line's options
(:func:`auditor.request.scan_request`), so there is one validation path and a scheduled run
behaves exactly like the command a DPO tried by hand. Relative paths are relative to the
config file. No value ever becomes a command-line option (there is no argv in between),
and every value is checked for its type and range here: a malformed file exits 2 naming
file and line. Password sources follow :mod:`auditor.credentials` (``AUDITOR_*`` variables
or an explicit ``allow_env`` list; password files of one line).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from auditor.credentials import CredentialError, check_env_name, read_secret_file
from auditor.mailer import MailSettings
from auditor.safeload import InputFileError, load_toml


class ConfigError(InputFileError):
    """The config file is malformed; the message names file and line."""


_AUDIT_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    # key: (type, the scan option's name as the command line parses it)
    "domain": (str, "domain"),
    "services": (list, "service"),
    "resolver": (str, "resolver"),
    "ca_file": (str, "ca_file"),
    "trust_anchor": (str, "trust_anchor"),
    "timeout": ((int, float), "timeout"),
    "per_ip_budget": (int, "per_ip_budget"),
    "per_ip_pace": ((int, float), "per_ip_pace"),
    "per_ip_concurrency": (int, "per_ip_concurrency"),
    "no_network": (bool, "no_network"),
    "state_dir": (str, "state_dir"),
    "statement": (str, "statement"),
    "claims": (str, "claims"),
    "host_root": (str, "host_root"),
    "db": (str, "db"),
    "db_from_config": (bool, "db_from_config"),
    "profile": (str, "profile"),
    "lang": (str, "lang"),
    "fail_on": (str, "fail_on"),
    "waivers": (str, "waivers"),
    "baseline": (str, "baseline"),
    "mapping": (str, "mapping"),
    "clauses": (str, "clauses"),
    "outputs": (list, "output"),
    "evidence_out": (str, "evidence_out"),
    "only": (list, "only"),
    "skip": (list, "skip"),
    "db_password_env": (str, "db_password_env"),
    "db_password_file": (str, "db_password_file"),
    "allow_env": (list, "allow_env"),
}
#: Numbers that must be finite and positive (``timeout = inf``, ``nan`` or ``-1`` are refused).
_POSITIVE = {"timeout", "per_ip_budget", "per_ip_concurrency"}
_PATH_KEYS = {
    "ca_file",
    "trust_anchor",
    "state_dir",
    "statement",
    "claims",
    "host_root",
    "waivers",
    "baseline",
    "mapping",
    "outputs",
    "evidence_out",
    "db_password_file",
}
_MAIL_KEYS = {"to", "from", "server", "port", "tls", "username", "password_env", "password_file", "ca_file"}


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def load_config(path: Path) -> tuple[dict[str, Any], MailSettings | None]:
    """The scan options (named as the command line names them) and mail settings in ``path``."""
    try:
        data, text = load_toml(path, kind="config")
    except InputFileError as exc:
        raise ConfigError(str(exc)) from None
    base = path.resolve().parent
    unknown_tables = set(data) - {"audit", "mail"}
    if unknown_tables:
        key = sorted(unknown_tables)[0]
        raise ConfigError(f"{path}:{_line_of(text, key)}: unknown section or key {key!r} (use [audit] and [mail])")
    for section in ("audit", "mail"):
        if not isinstance(data.get(section, {}), dict):
            raise ConfigError(f"{path}:{_line_of(text, section)}: {section} must be a [{section}] table")
    audit: dict[str, Any] = data.get("audit", {})
    options: dict[str, Any] = {}
    for key, value in audit.items():
        where = f"{path}:{_line_of(text, key)}"
        if key not in _AUDIT_KEYS:
            raise ConfigError(f"{where}: unknown [audit] key {key!r}")
        expected, option = _AUDIT_KEYS[key]
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise ConfigError(f"{where}: {key} has the wrong type ({type(value).__name__})")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
        if key in _POSITIVE and not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ConfigError(f"{where}: {key} must be a finite number above 0, not {value!r}")
        if key in _PATH_KEYS:
            value = [_resolved(base, str(v)) for v in value] if isinstance(value, list) else _resolved(base, str(value))
        options[option] = value
    allowed = frozenset(options.pop("allow_env", ()))
    try:
        if options.get("db_password_env"):
            check_env_name(options["db_password_env"], allowed, "database")
        mail = data.get("mail")
        return options, (_mail_settings(mail, path, text, base, allowed) if mail else None)
    except CredentialError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _resolved(base: Path, value: str) -> str:
    """A path relative to the config file; a URL (a statement) as it is."""
    return value if value.startswith(("http://", "https://")) else str((base / value).resolve())


def _mail_settings(mail: dict[str, Any], path: Path, text: str, base: Path, allowed: frozenset[str]) -> MailSettings:
    if "password" in mail:
        raise ConfigError(
            f"{path}:{_line_of(text, 'password')}: never put the SMTP password in the file; use "
            "password_env or password_file"
        )
    unknown = set(mail) - _MAIL_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"{path}:{_line_of(text, key)}: unknown [mail] key {key!r}")
    for key in ("to", "from", "server"):
        if not mail.get(key):
            raise ConfigError(f"{path}: [mail] needs {key!r}")
    for key in ("from", "server", "tls", "username", "password_env", "password_file", "ca_file"):
        if key in mail and not isinstance(mail[key], str):
            raise ConfigError(f"{path}:{_line_of(text, key)}: [mail] {key} must be a string")
    recipients = mail["to"] if isinstance(mail["to"], list) else [mail["to"]]
    if not all(isinstance(r, str) and r for r in recipients):
        raise ConfigError(f"{path}:{_line_of(text, 'to')}: [mail] to must be an address or a list of addresses")
    tls = mail.get("tls", "starttls")
    if tls not in ("starttls", "implicit"):
        raise ConfigError(f"{path}:{_line_of(text, 'tls')}: [mail] tls must be starttls or implicit")
    port = mail.get("port", 587 if tls == "starttls" else 465)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{path}:{_line_of(text, 'port')}: [mail] port must be a number from 1 to 65535")
    if mail.get("password_env"):
        check_env_name(mail["password_env"], allowed, "SMTP")
    password_file = (base / mail["password_file"]) if mail.get("password_file") else None
    if password_file is not None:
        read_secret_file(password_file, "SMTP")  # refused now (exit 2), not after the whole scan
    return MailSettings(
        server=mail["server"],
        port=port,
        sender=mail["from"],
        recipients=tuple(recipients),
        tls=tls,
        username=mail.get("username"),
        password_env=mail.get("password_env"),
        password_file=password_file,
        ca_file=str(base / mail["ca_file"]) if mail.get("ca_file") else None,
    )
