"""The tools that *write* mail passwords, and the hash scheme each writes new ones with.

Dovecot's ``default_pass_scheme`` says how stored values are *decoded*; with ``CRYPT`` it
decodes whatever crypt(3) format a value has (``$1$``, ``$6$``, ``$2y$`` ...). What a new
password gets is decided by whatever writes it: an admin panel (PostfixAdmin), the webmail's
password plugin (Roundcube), an installer's admin tool (iRedAdmin, mailcow). Each names its
scheme in its own vocabulary; :data:`SCHEME_NAMES` maps them to the names
:func:`auditor.evidence.hash_schemes.scheme_of` uses. Files are read as data (PHP literals, Python
and shell assignments), never executed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from auditor.collectors.host.readers.php_literal import plain
from auditor.collectors.host.readers.webapps import read_php_config
from auditor.collectors.host.root import HostRoot
from auditor.evidence.host import PasswordWriter
from auditor.evidence.settings import Setting

POSTFIXADMIN_DIRS = (
    "/etc/postfixadmin",
    "/usr/share/postfixadmin",
    "/var/www/postfixadmin",
    "/var/www/html/postfixadmin",
    "/srv/postfixadmin",
    "/usr/share/webapps/postfixadmin",
)
IREDADMIN_SETTINGS = (
    "/opt/www/iredadmin/settings.py",
    "/var/www/iredadmin/settings.py",
    "/usr/share/apache2/iredadmin/settings.py",
    "/usr/local/www/iredadmin/settings.py",
)
MAILCOW_CONFS = (
    "/opt/mailcow-dockerized/mailcow.conf",
    "/srv/mailcow-dockerized/mailcow.conf",
    "/root/mailcow-dockerized/mailcow.conf",
)
ROUNDCUBE_PLUGIN_CONFIGS = (
    "/etc/roundcube/plugins/password/config.inc.php",
    "/var/lib/roundcube/plugins/password/config.inc.php",
    "/usr/share/roundcube/plugins/password/config.inc.php",
    "/var/www/roundcube/plugins/password/config.inc.php",
    "/var/www/html/roundcube/plugins/password/config.inc.php",
    "/opt/www/roundcubemail/plugins/password/config.inc.php",
)

#: A tool's own scheme word (lower case) -> the scheme name stored values show.
SCHEME_NAMES: dict[str, str] = {
    # PostfixAdmin $CONF['encrypt']
    "md5crypt": "MD5-CRYPT",
    "md5": "PLAIN-MD5",
    "cleartext": "PLAIN",
    "system": "DES-CRYPT",
    "mysql_encrypt": "DES-CRYPT",
    "php_crypt": "SHA512-CRYPT",
    "php_crypt:md5": "MD5-CRYPT",
    "php_crypt:des": "DES-CRYPT",
    "php_crypt:sha256": "SHA256-CRYPT",
    "php_crypt:sha512": "SHA512-CRYPT",
    "php_crypt:blowfish": "BLF-CRYPT",
    "sha512.b64": "SHA512",
    "sha512crypt.b64": "SHA512-CRYPT",
    "sha512": "SHA512",
    "sha256": "SHA256",
    "argon2i": "ARGON2I",
    "argon2id": "ARGON2ID",
    # Roundcube password plugin password_algorithm
    "clear": "PLAIN",
    "crypt": "DES-CRYPT",
    "md5-crypt": "MD5-CRYPT",
    "sha256-crypt": "SHA256-CRYPT",
    "sha512-crypt": "SHA512-CRYPT",
    "blowfish-crypt": "BLF-CRYPT",
    "hash-bcrypt": "BLF-CRYPT",
    "hash-argon2i": "ARGON2I",
    "hash-argon2id": "ARGON2ID",
    "ssha": "SSHA",
    "ssha256": "SSHA256",
    "ssha512": "SSHA512",
    "sha": "SHA1",
    "samba": "NTLM",
    "ad": "PLAIN",
    "des": "DES-CRYPT",
    "des-crypt": "DES-CRYPT",
    "ext-des-crypt": "DES-CRYPT",
    "ext_des": "DES-CRYPT",
    # iRedAdmin / mailcow / Dovecot scheme names
    "bcrypt": "BLF-CRYPT",
    "blf-crypt": "BLF-CRYPT",
    "sha512-crypt.b64": "SHA512-CRYPT",
}
#: Roundcube's ``password_crypt_hash`` when ``password_algorithm`` is ``crypt`` (its default: md5).
_CRYPT_HASH = {"md5": "MD5-CRYPT", "blowfish": "BLF-CRYPT", "sha256": "SHA256-CRYPT", "sha512": "SHA512-CRYPT"}


@dataclass(frozen=True, slots=True)
class AdminTools:
    writers: tuple[PasswordWriter, ...]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()


def scheme_name(word: str) -> str | None:
    """A tool's scheme word as a stored-value scheme name (``php_crypt:SHA512`` -> ``SHA512-CRYPT``)."""
    low = word.strip().strip("'\"").lower()
    if low.startswith("dovecot:"):  # PostfixAdmin's dovecot:SCHEME uses doveadm pw
        low = low.split(":", 1)[1]
    known = SCHEME_NAMES.get(low)
    if known is not None:
        return known
    upper = low.upper()
    return (
        upper
        if re.fullmatch(r"(SHA(256|512)|MD5|BLF|DES)-CRYPT|ARGON2I?D?|S?SHA(256|512)?|PLAIN|CRAM-MD5", upper)
        else None
    )


def _postfixadmin(root: HostRoot) -> tuple[list[PasswordWriter], list[str], list[str]]:
    """``$CONF['encrypt']`` of config.inc.php, overridden by config.local.php (PostfixAdmin requires it last)."""
    for directory in POSTFIXADMIN_DIRS:
        paths = tuple(
            f"{directory}/{n}" for n in ("config.inc.php", "config.local.php") if root.exists(f"{directory}/{n}")
        )
        if not paths:
            continue
        config = read_php_config(root, paths, "$CONF")
        setting = config.settings.get("encrypt")
        if setting is None:
            return [], list(config.files), list(config.errors)
        return (
            [PasswordWriter("PostfixAdmin", setting, scheme_name(setting.value))],
            list(config.files),
            list(config.errors),
        )
    return [], [], []


def _roundcube_plugin(root: HostRoot, plugins: list[str] | None) -> tuple[list[PasswordWriter], list[str], list[str]]:
    """The password plugin's ``password_algorithm``, when Roundcube loads the plugin.

    Debian ships the plugin's config empty: without ``password_algorithm`` the plugin refuses
    to hash (no writer); the ``.dist`` file only documents the choices and is never loaded."""
    if plugins is not None and "password" not in plugins:
        return [], [], []
    path = next((p for p in ROUNDCUBE_PLUGIN_CONFIGS if root.exists(p)), None)
    if path is None:
        return [], [], []
    config = read_php_config(root, (path,), "$config")
    algorithm = config.settings.get("password_algorithm")
    if algorithm is None:
        return [], list(config.files), list(config.errors)
    word = algorithm.value.lower()
    if word == "crypt":
        hash_setting = config.settings.get("password_crypt_hash")
        scheme = _CRYPT_HASH.get((hash_setting.value if hash_setting else "md5").lower())
    elif word == "dovecot":
        method = config.settings.get("password_dovecotpw_method")
        scheme = scheme_name(method.value) if method else None
    else:
        scheme = scheme_name(word)
    return [PasswordWriter("Roundcube password plugin", algorithm, scheme)], list(config.files), list(config.errors)


_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)\s*=\s*(['\"]?)([^'\"#\s]*)\2")


def _assignment(
    root: HostRoot, paths: tuple[str, ...], name: str, tool: str
) -> tuple[list[PasswordWriter], list[str], list[str]]:
    """``NAME = 'value'`` in a Python settings module or a shell/env file (read as text, never run)."""
    for path in paths:
        if not root.exists(path):
            continue
        got = root.read_text(path)
        if got.text is None:
            return [], [], [got.error or path]
        for number, line in enumerate(got.text.splitlines(), 1):
            m = _ASSIGN.match(line)
            if m and m.group(1) == name:
                setting = Setting(name, m.group(3), got.path, number)
                return [PasswordWriter(tool, setting, scheme_name(m.group(3)))], [got.path], []
        return [], [got.path], []
    return [], [], []


def read_admin_tools(root: HostRoot, roundcube_plugins: object = None) -> AdminTools:
    """Every password-writing tool found at its usual place.

    ``roundcube_plugins``: Roundcube's ``plugins`` setting as read (a list, or ``None`` when
    Roundcube's config was not found: then a password plugin config counts only if present).
    """
    plugins = [str(p) for p in roundcube_plugins] if isinstance(roundcube_plugins, list) else None
    writers: list[PasswordWriter] = []
    files: list[str] = []
    errors: list[str] = []
    for found, read, errs in (
        _postfixadmin(root),
        _roundcube_plugin(root, plugins),
        _assignment(root, IREDADMIN_SETTINGS, "DEFAULT_PASSWORD_SCHEME", "iRedAdmin"),
        _assignment(root, MAILCOW_CONFS, "MAILCOW_PASS_SCHEME", "mailcow"),
    ):
        writers += found
        files += read
        errors += errs
    return AdminTools(tuple(writers), tuple(files), tuple(errors))


def plugins_of(value: str | None) -> object:
    """Roundcube's ``plugins`` setting (JSON text of the PHP array) as a list, or ``None``."""
    if value is None:
        return None
    try:
        return plain(json.loads(value))
    except ValueError:
        return None
