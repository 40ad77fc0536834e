"""Password-writing tools: the scheme new passwords get, read from the tool's own configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.collectors.host.readers.admintools import read_admin_tools, scheme_name
from auditor.collectors.host.root import HostRoot
from tests.hostroots.assemble import distro_cache


@pytest.mark.parametrize(
    ("word", "scheme"),
    [
        ("php_crypt", "SHA512-CRYPT"),
        ("php_crypt:BLOWFISH", "BLF-CRYPT"),
        ("md5crypt", "MD5-CRYPT"),
        ("dovecot:SHA512-CRYPT", "SHA512-CRYPT"),
        ("cleartext", "PLAIN"),
        ("clear", "PLAIN"),
        ("SSHA512", "SSHA512"),
        ("BLF-CRYPT", "BLF-CRYPT"),
        ("hash-argon2id", "ARGON2ID"),
        ("no-such-scheme", None),
    ],
)
def test_tool_vocabularies_map_to_stored_scheme_names(word: str, scheme: str | None) -> None:
    assert scheme_name(word) == scheme


def _root(tmp_path: Path, files: dict[str, str | Path]) -> HostRoot:
    for rel, content in files.items():
        dest = tmp_path / rel.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(content.read_bytes() if isinstance(content, Path) else content.encode())
    return HostRoot(tmp_path)


def test_debian_postfixadmin_default_and_a_local_override(tmp_path: Path) -> None:
    shipped = distro_cache() / "postfixadmin/etc/postfixadmin/config.inc.php"
    root = _root(tmp_path, {"/etc/postfixadmin/config.inc.php": shipped})
    [writer] = read_admin_tools(root).writers
    assert (writer.tool, writer.scheme, writer.setting.value) == ("PostfixAdmin", "MD5-CRYPT", "md5crypt")
    _root(tmp_path, {"/etc/postfixadmin/config.local.php": "<?php\n$CONF['encrypt'] = 'php_crypt:SHA512';\n"})
    [writer] = read_admin_tools(HostRoot(tmp_path)).writers
    assert (writer.scheme, writer.setting.file, writer.setting.line) == (
        "SHA512-CRYPT",
        "/etc/postfixadmin/config.local.php",
        2,
    )


def test_roundcube_password_plugin_counts_only_when_loaded(tmp_path: Path) -> None:
    shipped = distro_cache() / "roundcube-plugins/etc/roundcube/plugins/password/config.inc.php"
    root = _root(tmp_path, {"/etc/roundcube/plugins/password/config.inc.php": shipped})
    assert read_admin_tools(root, ["archive", "password"]).writers == ()  # Debian's empty config: no algorithm
    local = (
        "<?php\n$config = [];\n$config['password_algorithm'] = 'dovecot';\n"
        "$config['password_dovecotpw_method'] = 'BLF-CRYPT';\n"
    )
    _root(tmp_path, {"/etc/roundcube/plugins/password/config.inc.php": local})
    assert read_admin_tools(HostRoot(tmp_path), ["archive"]).writers == ()  # plugin not loaded
    [writer] = read_admin_tools(HostRoot(tmp_path), ["archive", "password"]).writers
    assert (writer.tool, writer.scheme, writer.setting.line) == ("Roundcube password plugin", "BLF-CRYPT", 3)


def test_installer_settings_read_as_text(tmp_path: Path) -> None:
    settings = "backend = 'mysql'\nDEFAULT_PASSWORD_SCHEME = 'SSHA512'\n"
    root = _root(
        tmp_path,
        {
            "/opt/www/iredadmin/settings.py": settings,
            "/opt/mailcow-dockerized/mailcow.conf": "MAILCOW_PASS_SCHEME=BLF-CRYPT\n",
        },
    )
    assert {(w.tool, w.scheme) for w in read_admin_tools(root).writers} == {
        ("iRedAdmin", "SSHA512"),
        ("mailcow", "BLF-CRYPT"),
    }
