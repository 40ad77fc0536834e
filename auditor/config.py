"""``auditor run audit.toml``: a repeatable audit described in one reviewed file.

The file is translated into the same arguments ``auditor scan`` takes, so there is one
validation path and a scheduled run behaves exactly like the command a DPO tried by
hand. Relative paths are relative to the config file.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from auditor.mailer import MailSettings


class ConfigError(Exception):
    """The config file is malformed; the message names file and line."""


_AUDIT_KEYS: dict[str, tuple[type | tuple[type, ...], str | None]] = {
    # key: (type, scan option or None when handled specially)
    "domain": (str, None),
    "services": (list, "--service"),
    "resolver": (str, "--resolver"),
    "ca_file": (str, "--ca-file"),
    "trust_anchor": (str, "--trust-anchor"),
    "timeout": ((int, float), "--timeout"),
    "per_ip_budget": (int, "--per-ip-budget"),
    "per_ip_concurrency": (int, "--per-ip-concurrency"),
    "no_network": (bool, "--no-network"),
    "state_dir": (str, "--state-dir"),
    "statement": (str, "--statement"),
    "claims": (str, "--claims"),
    "host_root": (str, "--host-root"),
    "db": (str, "--db"),
    "profile": (str, "--profile"),
    "lang": (str, "--lang"),
    "fail_on": (str, "--fail-on"),
    "waivers": (str, "--waivers"),
    "baseline": (str, "--baseline"),
    "mapping": (str, "--mapping"),
    "clauses": (str, "--clauses"),
    "outputs": (list, "-o"),
    "evidence_out": (str, "--evidence-out"),
    "only": (list, "--only"),
    "skip": (list, "--skip"),
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


def load_config(path: Path) -> tuple[list[str], MailSettings | None]:
    """Return ``scan`` arguments and mail settings described by ``path``."""
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
    argv: list[str] = ["scan"]
    for key, value in audit.items():
        where = f"{path}:{_line_of(text, key)}"
        if key not in _AUDIT_KEYS:
            raise ConfigError(f"{where}: unknown [audit] key {key!r}")
        expected, option = _AUDIT_KEYS[key]
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise ConfigError(f"{where}: {key} has the wrong type ({type(value).__name__})")
        values = value if isinstance(value, list) else [value]
        if key in _PATH_KEYS:
            values = [
                str((base / str(v)).resolve()) if not str(v).startswith(("http://", "https://")) else str(v)
                for v in values
            ]
        if key == "domain":
            argv.insert(1, str(value))
        elif isinstance(value, bool):
            if value:
                argv.append(str(option))
        else:
            for item in values:
                argv += [str(option), str(item)]
    mail = data.get("mail")
    return argv, (_mail_settings(mail, path, text, base) if mail else None)


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
