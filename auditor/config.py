"""``auditor run audit.toml``: a repeatable audit described in one reviewed file.

The ``[audit]`` keys are checked against one table (type, and the ``auditor scan`` option
each stands for) and handed to the same builder as the command line's options
(:func:`auditor.request.scan_request`), so there is one validation path and a scheduled run
behaves exactly like the command a DPO tried by hand. Relative paths are relative to the
config file.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from auditor.mailer import MailSettings


class ConfigError(Exception):
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
    "per_ip_concurrency": (int, "per_ip_concurrency"),
    "no_network": (bool, "no_network"),
    "state_dir": (str, "state_dir"),
    "statement": (str, "statement"),
    "claims": (str, "claims"),
    "host_root": (str, "host_root"),
    "db": (str, "db"),
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
}
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
}
_MAIL_KEYS = {"to", "from", "server", "port", "tls", "username", "password_env", "password_file", "ca_file"}


def _line_of(text: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def load_config(path: Path) -> tuple[dict[str, Any], MailSettings | None]:
    """The scan options (named as the command line names them) and mail settings in ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise ConfigError(f"{path}:1: nested too deeply to read safely") from None
    base = path.resolve().parent
    unknown_tables = set(data) - {"audit", "mail"}
    if unknown_tables:
        key = sorted(unknown_tables)[0]
        raise ConfigError(f"{path}:{_line_of(text, key)}: unknown section or key {key!r} (use [audit] and [mail])")
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
        if key in _PATH_KEYS:
            value = [_resolved(base, str(v)) for v in value] if isinstance(value, list) else _resolved(base, str(value))
        options[option] = value
    mail = data.get("mail")
    return options, (_mail_settings(mail, path, text, base) if mail else None)


def _resolved(base: Path, value: str) -> str:
    """A path relative to the config file; a URL (a statement) as it is."""
    return value if value.startswith(("http://", "https://")) else str((base / value).resolve())


def _mail_settings(mail: dict[str, Any], path: Path, text: str, base: Path) -> MailSettings:
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
    recipients = mail["to"] if isinstance(mail["to"], list) else [mail["to"]]
    tls = mail.get("tls", "starttls")
    if tls not in ("starttls", "implicit"):
        raise ConfigError(f"{path}:{_line_of(text, 'tls')}: [mail] tls must be starttls or implicit")
    return MailSettings(
        server=str(mail["server"]),
        port=int(mail.get("port", 587 if tls == "starttls" else 465)),
        sender=str(mail["from"]),
        recipients=tuple(str(r) for r in recipients),
        tls=tls,
        username=mail.get("username"),
        password_env=mail.get("password_env"),
        password_file=(base / mail["password_file"]) if mail.get("password_file") else None,
        ca_file=str(base / mail["ca_file"]) if mail.get("ca_file") else None,
    )
