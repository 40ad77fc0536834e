"""Roundcube (``config.inc.php`` over ``defaults.inc.php``) and Nextcloud/ownCloud ``config.php``.

Both decide where the webmail/cloud app logs (file, syslog), whether logins are logged and
whether the log is ever rotated; both also name the database the inventory step needs.
Secrets (``des_key``, DB passwords, ``secret``, ``passwordsalt``) are dropped while reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from auditor.collectors.host.readers.php_literal import Parser, Token, plain, tokenize
from auditor.collectors.host.root import HostRoot
from auditor.collectors.host.secrets import REDACTED, is_secret_name, scrub
from auditor.evidence.settings import Setting, default_setting, err

ROUNDCUBE_DIRS = ("/etc/roundcube", "/usr/share/roundcube/config", "/var/www/roundcube/config",
                  "/var/www/html/roundcube/config", "/usr/share/webapps/roundcubemail/config")  # fmt: skip
NEXTCLOUD_CONFIGS = ("/var/www/nextcloud/config/config.php", "/var/www/html/nextcloud/config/config.php",
                     "/var/www/owncloud/config/config.php", "/usr/share/webapps/nextcloud/config/config.php",
                     "/var/www/html/config/config.php")  # fmt: skip
_NEVER_KEEP = {"des_key", "dbpassword", "secret", "passwordsalt", "mail_smtppassword", "objectstore"}


@dataclass(frozen=True, slots=True)
class PhpConfig:
    """Top-level keys of a PHP config array as settings (value = JSON text of the literal)."""

    settings: dict[str, Setting]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()

    def get(self, key: str) -> str | None:
        s = self.settings.get(key)
        return s.value if s else None


def _render(key: str, value: object) -> str:
    if key in _NEVER_KEEP or is_secret_name(key):
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    return scrub(json.dumps(value, ensure_ascii=False))


def _assignments(path: str, tokens: list[Token], var: str) -> tuple[list[Setting], list[str]]:
    """``$var['key'] = literal;`` (Roundcube) and ``$var = [ 'key' => literal, ... ];`` (Nextcloud)."""
    out: list[Setting] = []
    errors: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind != "var" or tok.text != var:
            i += 1
            continue
        nxt = tokens[i + 1 : i + 4]
        parser = Parser(tokens)
        keyed = len(nxt) == 3 and nxt[0].text == "[" and nxt[1].kind in ("sq", "dq") and nxt[2].text == "]"
        if keyed and i + 4 < len(tokens) and tokens[i + 4].text == "=":
            key = nxt[1].text[1:-1]
            parser.pos = i + 5
            value = plain(parser.value())
            out.append(Setting(key, _render(key, value), path, tok.line))
            i = parser.pos
            continue
        if nxt and nxt[0].text == "=":
            parser.pos = i + 2
            start_tok = parser.peek()
            if start_tok is not None and (start_tok.text == "[" or start_tok.text.lower() == "array"):
                out += _array_entries(path, parser)
            else:
                errors.append(err(path, tok.line, f"{var} is not assigned an array literal"))
            i = parser.pos
            continue
        i += 1
    return out, errors


def _array_entries(path: str, parser: Parser) -> list[Setting]:
    """Top-level entries of an array literal, each with the line of its key."""
    out: list[Setting] = []
    open_tok = parser.peek()
    close = "]" if open_tok is not None and open_tok.text == "[" else ")"
    parser.pos += 1 if close == "]" else 2
    while (tok := parser.peek()) is not None and tok.text != close:
        if tok.text == ",":
            parser.pos += 1
            continue
        key_tok = tok
        key = plain(parser.value())
        arrow = parser.peek()
        if arrow is not None and arrow.text == "=>":
            parser.pos += 1
            value = plain(parser.value())
            out.append(Setting(str(key), _render(str(key), value), path, key_tok.line))
    parser.pos += 1
    return out


def read_php_config(root: HostRoot, paths: tuple[str, ...], var: str) -> PhpConfig:
    """Later files override earlier ones (``defaults.inc.php`` first, then ``config.inc.php``)."""
    settings: dict[str, Setting] = {}
    files: list[str] = []
    errors: list[str] = []
    for path in paths:
        got = root.read_text(path)
        if got.text is None:
            errors.append(got.error or path)
            continue
        files.append(got.path)
        found, errs = _assignments(got.path, tokenize(got.text), var)
        errors += errs
        for s in found:
            settings[s.name] = s
    return PhpConfig(settings, tuple(files), tuple(errors))


def _find_roundcube(root: HostRoot) -> tuple[str, ...]:
    for directory in ROUNDCUBE_DIRS:
        files = tuple(
            f"{directory}/{n}" for n in ("defaults.inc.php", "config.inc.php") if root.exists(f"{directory}/{n}")
        )
        if files:
            return files
    return ()


def read_roundcube(root: HostRoot, paths: tuple[str, ...] | None = None) -> PhpConfig:
    """Roundcube ``$config`` (defaults first); ``db_dsnw`` keeps its DSN minus the password."""
    return read_php_config(root, paths if paths is not None else _find_roundcube(root), "$config")


def read_nextcloud(root: HostRoot, path: str | None = None) -> PhpConfig:
    """Nextcloud/ownCloud ``$CONFIG``; ``dbpassword``, ``secret``, ``passwordsalt`` dropped."""
    if path is None:
        path = next((p for p in NEXTCLOUD_CONFIGS if root.exists(p)), None)
        if path is None:
            return PhpConfig({}, ())
    return read_php_config(root, (path,), "$CONFIG")


ROUNDCUBE_DEFAULTS = {"log_driver": "file", "log_logins": "false", "per_user_logging": "false"}


def roundcube_effective(config: PhpConfig) -> dict[str, Setting]:
    """Roundcube settings with the built-in defaults for the logging keys if no file set them."""
    merged = {k: default_setting(k, v, "roundcube") for k, v in ROUNDCUBE_DEFAULTS.items()}
    merged.update(config.settings)
    return merged
