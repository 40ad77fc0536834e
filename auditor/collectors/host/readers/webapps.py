"""Roundcube (``config.inc.php`` over ``defaults.inc.php``) and Nextcloud/ownCloud ``config.php``.

Both decide where the webmail/cloud app logs (file, syslog), whether logins are logged and
whether the log is ever rotated; both also name the database the inventory step needs.
Secrets (``des_key``, DB passwords, ``secret``, ``passwordsalt``) are dropped while reading.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass

from auditor.collectors.host.readers.php_literal import plain
from auditor.collectors.host.readers.php_script import run_php_config
from auditor.collectors.host.root import HostRoot
from auditor.collectors.host.secrets import REDACTED, is_secret_name, scrub
from auditor.evidence.settings import Setting, default_setting

ROUNDCUBE_DIRS = (
    "/etc/roundcube",
    "/usr/share/roundcube/config",
    "/var/www/roundcube/config",
    "/var/www/html/roundcube/config",
    "/usr/share/webapps/roundcubemail/config",
)
NEXTCLOUD_CONFIGS = (
    "/var/www/nextcloud/config/config.php",
    "/var/www/html/nextcloud/config/config.php",
    "/var/www/owncloud/config/config.php",
    "/usr/share/webapps/nextcloud/config/config.php",
    "/var/www/html/config/config.php",
)
#: Install trees (``INSTALL_PATH``) of packages and hand installs; config dirs are also looked for below these
#: shapes (``*roundcube*`` matches ``roundcubemail``, ``roundcube-1.6``).
ROUNDCUBE_INSTALL_DIRS = (
    "/var/lib/roundcube",
    "/usr/share/roundcube",
    "/var/www/roundcube",
    "/var/www/html/roundcube",
    "/usr/share/webapps/roundcubemail",
    "/var/www/roundcubemail",
    "/opt/www/roundcubemail",
    "/usr/local/www/roundcube",
)
ROUNDCUBE_GLOBS = (
    "/var/www/*roundcube*/config",
    "/var/www/html/*roundcube*/config",
    "/srv/*roundcube*/config",
    "/srv/www/*roundcube*/config",
    "/opt/*roundcube*/config",
    "/opt/www/*roundcube*/config",
    "/usr/local/www/*roundcube*/config",
)
#: Roundcube >= 0.9 reads defaults.inc.php then config.inc.php; 0.x read main.inc.php and db.inc.php.
ROUNDCUBE_FILES = ("defaults.inc.php", "main.inc.php", "db.inc.php", "config.inc.php")
_NEVER_KEEP = {"des_key", "dbpassword", "secret", "passwordsalt", "mail_smtppassword", "objectstore"}


@dataclass(frozen=True, slots=True)
class PhpConfig:
    """Top-level keys of a PHP config array as settings (value = JSON text of the literal)."""

    settings: dict[str, Setting]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()
    #: The application's install path (relative paths in its config are relative to it), "" if unknown.
    install_path: str = ""

    def get(self, key: str) -> str | None:
        s = self.settings.get(key)
        return s.value if s else None


def _render(key: str, value: object) -> str:
    if key in _NEVER_KEEP or is_secret_name(key):
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    return scrub(json.dumps(value, ensure_ascii=False))


def read_php_config(
    root: HostRoot, paths: tuple[str, ...], var: str, constants: dict[str, str] | None = None
) -> PhpConfig:
    """Later files override earlier ones (``defaults.inc.php`` first, then ``config.inc.php``); files they
    ``include``/``require`` are followed where they are (see :mod:`.php_script`)."""
    names = (var, "$rcmail_config") if var == "$config" else (var,)  # Roundcube before 1.0: $rcmail_config
    run = run_php_config(root, paths, names, constants)
    settings: dict[str, Setting] = {}
    for a in run.assignments:
        settings[a.key] = Setting(a.key, _render(a.key, plain(a.value)), a.file, a.line)
    install = (constants or {}).get("INSTALL_PATH", "")
    return PhpConfig(settings, tuple(run.files), tuple(run.errors), install)


def _roundcube_dirs(root: HostRoot) -> list[str]:
    """Config directories at the usual places and in install trees named like Roundcube."""
    found = [d for pattern in ROUNDCUBE_GLOBS for d in root.glob(pattern)]
    return list(dict.fromkeys([*ROUNDCUBE_DIRS, *found]))


def roundcube_install_path(root: HostRoot, config_dir: str) -> str:
    """Roundcube's ``INSTALL_PATH`` for a config directory: the tree whose ``config`` it is.

    A tree of its own (``/var/www/roundcube/config``) is its parent; a distribution's ``/etc/roundcube``
    is linked from the install tree (Debian: ``/var/lib/roundcube/config -> /etc/roundcube``); "" when no
    tree in this root links to a config directory under ``/etc``."""
    real_config, _ = root.resolve(config_dir)
    for base in ROUNDCUBE_INSTALL_DIRS:
        linked, _ = root.resolve(f"{base}/config")
        if linked is not None and linked == real_config:
            return base
    return "" if config_dir.startswith("/etc/") else posixpath.dirname(config_dir.rstrip("/"))


def _find_roundcube(root: HostRoot) -> tuple[tuple[str, ...], dict[str, str]]:
    """The config files (defaults first) and the constants Roundcube defines before reading them."""
    for directory in _roundcube_dirs(root):
        files = tuple(f"{directory}/{n}" for n in ROUNDCUBE_FILES if root.exists(f"{directory}/{n}"))
        if files:
            constants = {"RCMAIL_CONFIG_DIR": directory + "/", "RCUBE_CONFIG_DIR": directory + "/"}
            install = roundcube_install_path(root, directory)
            if install:
                base = install.rstrip("/") + "/"
                constants |= {"RCUBE_INSTALL_PATH": base, "INSTALL_PATH": base}
            return files, constants
    return (), {}


def read_roundcube(root: HostRoot, paths: tuple[str, ...] | None = None) -> PhpConfig:
    """Roundcube ``$config`` (defaults first); ``db_dsnw`` keeps its DSN minus the password."""
    files, constants = _find_roundcube(root) if paths is None else (paths, {})
    return read_php_config(root, files, "$config", constants)


def roundcube_dsn_with_password(root: HostRoot) -> str | None:
    """Roundcube's ``db_dsnw`` as PHP would compute it, password included: for ``--db-from-config``
    only (the caller hands it to the driver; it never enters a setting or the evidence)."""
    files, constants = _find_roundcube(root)
    run = run_php_config(root, files, ("$config", "$rcmail_config"), constants)
    value = next((plain(a.value) for a in reversed(run.assignments) if a.key == "db_dsnw"), None)
    return value if isinstance(value, str) else None


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
