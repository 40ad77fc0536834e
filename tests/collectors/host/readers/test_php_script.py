"""PHP configs followed as PHP runs them (includes, variables, branches on known values), never executed."""

from __future__ import annotations

import shutil
from pathlib import Path

from auditor.collectors.host.config import read_host
from auditor.collectors.host.db.databases import find_databases
from auditor.collectors.host.readers.admintools import read_admin_tools
from auditor.collectors.host.readers.php_script import run_php_config
from auditor.collectors.host.readers.webapps import read_php_config, read_roundcube
from auditor.collectors.host.root import HostRoot
from tests.collectors.host.conftest import write_files
from tests.hostroots.assemble import distro_cache


def _debian_roundcube(root: Path, debian_db: str) -> HostRoot:
    """Debian's roundcube-core as installed: its files from the package, dbconfig-common's answer written here."""
    pkg = distro_cache() / "roundcube-core"
    shutil.copytree(pkg / "etc" / "roundcube", root / "etc" / "roundcube", symlinks=True)
    shutil.copytree(pkg / "var" / "lib" / "roundcube", root / "var" / "lib" / "roundcube", symlinks=True)
    shutil.copyfile(pkg / "usr/share/roundcube/config.inc.php.sample", root / "etc/roundcube/config.inc.php")
    (root / "etc/roundcube/debian-db.php").write_text(debian_db)
    return HostRoot(root)


def test_debian_dbconfig_sqlite_dsn_is_built_from_the_required_file(tmp_path: Path) -> None:
    host = _debian_roundcube(
        tmp_path,
        "<?php\n$dbuser='roundcube';\n$dbpass='Zq-secret-9';\n"
        "$basepath='/var/lib/dbconfig-common/sqlite3/roundcube';\n$dbname='roundcube';\n"
        "$dbserver='';\n$dbport='';\n$dbtype='sqlite3';\n",
    )
    cfg = read_roundcube(host)
    dsn = cfg.settings["db_dsnw"]
    assert dsn.value == "sqlite:////var/lib/dbconfig-common/sqlite3/roundcube/roundcube?mode=0640"  # as PHP builds it
    assert dsn.file == "/etc/roundcube/debian-db-roundcube.php" and dsn.line == 7  # the sqlite case, not default:
    assert "/etc/roundcube/debian-db.php" in cfg.files
    # defaults.inc.php's RCUBE_INSTALL_PATH . 'logs/': Debian's install tree links its config to /etc/roundcube
    assert cfg.get("log_dir") == "/var/lib/roundcube/logs/"
    [db] = find_databases(read_host(host))
    shown = "sqlite:///var/lib/dbconfig-common/sqlite3/roundcube/roundcube"
    assert (db.engine, db.dsn_redacted, db.purpose) == ("sqlite", shown, "webmail")
    assert "Zq-secret-9" not in repr(cfg)


def test_debian_dbconfig_server_dsn_takes_the_default_branch_and_hides_the_password(tmp_path: Path) -> None:
    db_php = "<?php\n$dbuser='rc';\n$dbpass='Zq-secret-9';\n$basepath='';\n$dbname='rcmail';\n"
    host = _debian_roundcube(tmp_path, db_php + "$dbserver='db.internal';\n$dbport='5433';\n$dbtype='pgsql';\n")
    cfg = read_roundcube(host)
    assert cfg.get("db_dsnw") == "pgsql://rc:<redacted>@db.internal:5433/rcmail"
    assert cfg.settings["db_dsnw"].line == 12
    [db] = find_databases(read_host(host))
    assert db.dsn_redacted == "postgresql://rc@db.internal:5433/rcmail" and "Zq-secret-9" not in repr(db)


def test_empty_server_falls_back_like_php(tmp_path: Path) -> None:
    host = _debian_roundcube(
        tmp_path, "<?php\n$dbuser='rc';\n$dbpass='';\n$dbname='rcmail';\n$dbserver='';\n$dbport='';\n$dbtype='mysql';\n"
    )
    assert read_roundcube(host).get("db_dsnw") == "mysql://rc:<redacted>@localhost/rcmail"


def test_postfixadmin_requires_dbconfig_and_fills_unset_server(tmp_path: Path) -> None:
    pkg = distro_cache() / "postfixadmin" / "etc" / "postfixadmin" / "config.inc.php"
    host = write_files(
        tmp_path,
        {
            "/etc/postfixadmin/config.inc.php": pkg.read_text(),
            "/etc/postfixadmin/dbconfig.inc.php": "<?php\n$dbuser='pfa';\n$dbpass='x-secret';\n"
            "$dbname='postfixadmin';\n$dbserver='';\n$dbtype='mysqli';\n",
        },
    )
    cfg = read_php_config(host, ("/etc/postfixadmin/config.inc.php",), "$CONF")
    assert (cfg.get("database_type"), cfg.get("database_host"), cfg.get("database_name")) == (
        "mysqli",
        "localhost",
        "postfixadmin",
    )
    assert cfg.get("database_password") == "<redacted>"
    assert read_admin_tools(host).writers[0].setting.file == "/etc/postfixadmin/config.inc.php"


def test_docker_style_include_relative_to_the_file(tmp_path: Path) -> None:
    host = write_files(
        tmp_path,
        {
            "/var/www/html/roundcube/config/config.inc.php": "<?php\n$config = [];\n$config['log_driver'] = 'file';\n"
            "include(__DIR__ . '/config.docker.inc.php');\n$config['log_logins'] = true;\n",
            "/var/www/html/roundcube/config/config.docker.inc.php": "<?php\n$config['log_driver'] = 'stdout';\n"
            "require_once dirname(__FILE__) . '/config.docker.inc.php';\n",  # include_once of itself: read once
        },
    )
    cfg = read_roundcube(host)
    assert cfg.settings["log_driver"].value == "stdout"
    assert cfg.settings["log_driver"].file == "/var/www/html/roundcube/config/config.docker.inc.php"
    assert cfg.get("log_logins") == "true" and cfg.errors == ()


def test_relative_log_dir_of_an_install_tree(tmp_path: Path) -> None:
    host = write_files(
        tmp_path,
        {
            "/var/www/roundcubemail/config/main.inc.php": "<?php\n$rcmail_config = array();\n"
            "$rcmail_config['log_dir'] = 'logs/';\n"
        },
    )
    cfg = read_roundcube(host)
    assert cfg.install_path == "/var/www/roundcubemail/" and cfg.get("log_dir") == "logs/"


def test_undecidable_branches_and_missing_includes_are_reported_not_guessed(tmp_path: Path) -> None:
    text = (
        "<?php\nif (getenv('X') == 'a') {\n  $config['k'] = 'a';\n} else {\n  $config['k'] = 'b';\n}\n"
        "switch ($unknown) { case 1: $config['s'] = 1; break; }\nrequire('/nowhere.php');\ninclude($path);\n"
        "include '/optional.php';\nif (@file_exists('/c.php')) { $config['after'] = 'yes'; }\n"
    )
    host = write_files(tmp_path, {"/c.php": text})
    run = run_php_config(host, ("/c.php",), ("$config",))
    assert [(a.key, a.value) for a in run.assignments] == [("after", "yes")]
    assert len(run.errors) == 4 and "/c.php:8: required file /nowhere.php not in this root" in run.errors
    assert any(e.startswith("/c.php:2: condition") for e in run.errors)


def test_include_loop_and_depth_are_bounded(tmp_path: Path) -> None:
    host = write_files(
        tmp_path,
        {"/a.php": "<?php include '/b.php'; $config['a'] = 1;", "/b.php": "<?php include '/a.php'; $config['b'] = 2;"},
    )
    run = run_php_config(host, ("/a.php",), ("$config",))
    assert [a.key for a in run.assignments] == ["b", "a"] and run.files == ["/a.php", "/b.php"]


def test_stray_closers_and_garbage_end(tmp_path: Path) -> None:
    for text in ("\x18\ufffd@l\ufffd]", "<?php ) ] } $config['a'] = 1; switch ($x) { ) case 1: ] }", "<?php if ("):
        host = write_files(tmp_path, {"/g.php": text})
        run = run_php_config(host, ("/g.php",), ("$config",))
        assert isinstance(run.errors, list)
