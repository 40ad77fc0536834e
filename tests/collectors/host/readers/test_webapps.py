"""Roundcube and Nextcloud/ownCloud PHP configs: literals only, secrets dropped."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.host.db.dsn import parse_dsn
from auditor.collectors.host.readers.webapps import read_nextcloud, read_roundcube, roundcube_effective
from auditor.collectors.host.root import HostRoot


def test_fixture_roundcube_local_over_defaults(hostroot: HostRoot) -> None:
    cfg = read_roundcube(hostroot)
    assert cfg.files == ("/etc/roundcube/defaults.inc.php", "/etc/roundcube/config.inc.php")
    assert cfg.errors == ()
    eff = roundcube_effective(cfg)
    assert (eff["log_driver"].value, str(eff["log_driver"].source)) == ("syslog", "/etc/roundcube/config.inc.php:5")
    assert eff["log_logins"].value == "true"
    assert eff["log_dir"].value == "<expr: RCUBE_INSTALL_PATH . 'logs/'>"  # never evaluated
    assert eff["syslog_facility"].value == "<expr: LOG_LOCAL5>"
    assert eff["imap_host"].value == '["ssl://localhost:993"]'
    assert eff["plugins"].value == '["archive", "zipdownload"]'
    dsn = parse_dsn(eff["db_dsnw"].value)
    assert (dsn.engine, dsn.user, dsn.host, dsn.database) == ("mysql", "roundcube", "localhost", "roundcube")
    assert eff["des_key"].value == "<redacted>"
    assert "Planted-DES-Key" not in repr(cfg) and "S3cr3t" not in repr(cfg)


def test_fixture_nextcloud(hostroot: HostRoot) -> None:
    cfg = read_nextcloud(hostroot)
    assert cfg.files == ("/var/www/nextcloud/config/config.php",)
    assert cfg.get("log_type") == "file" and cfg.get("logfile") == "/var/log/nextcloud/nextcloud.log"
    assert cfg.get("log_rotate_size") == "104857600" and cfg.get("loglevel") == "2"
    assert (cfg.get("dbtype"), cfg.get("dbhost"), cfg.get("dbname")) == ("mysql", "localhost:3306", "nextcloud")
    for key in ("dbpassword", "secret", "passwordsalt"):
        assert cfg.get(key) == "<redacted>"
    assert cfg.get("trusted_domains") == '{"0": "cloud.example.org"}'


def test_php_is_never_executed_and_garbage_is_tolerated(tmp_path: Path) -> None:
    (tmp_path / "c.php").write_text(
        "<?php\n$config['a'] = system('rm -rf /');\n$config['b'] = 'x' . \"y\";\n$config = 5;\n"
    )
    cfg = read_roundcube(HostRoot(tmp_path), ("/c.php",))
    assert cfg.get("a") == "<expr: system ( 'rm -rf /' )>"
    assert cfg.get("b") == "xy"  # literals joined; nothing else is evaluated
    assert cfg.errors == ()


def test_corpus_roundcube_defaults_and_sample(corpus: HostRoot) -> None:
    cfg = read_roundcube(
        corpus, ("/roundcubemail/config/defaults.inc.php", "/roundcubemail/config/config.inc.php.sample")
    )
    assert cfg.errors == ()
    assert cfg.get("log_driver") == "file" and cfg.settings["log_driver"].line == 74
    assert cfg.get("log_logins") == "false" and cfg.get("smtp_log") == "false"
    assert cfg.get("force_https") == "false" and cfg.get("session_lifetime") == "10"
    assert cfg.get("imap_host") == "localhost:143"
    assert cfg.get("db_dsnw") == "mysql://roundcube:<redacted>@localhost/roundcubemail"
    assert cfg.get("des_key") == "<redacted>" and "24ByteDESkey" not in repr(cfg)


def test_corpus_iredmail_roundcube(corpus: HostRoot) -> None:
    cfg = read_roundcube(corpus, ("/iRedMail/samples/roundcubemail/config.inc.php",))
    assert cfg.get("log_driver") == "syslog" and cfg.get("log_logins") == "true"
    assert cfg.get("syslog_facility") == "<expr: LOG_MAIL>" and cfg.get("force_https") == "true"
    assert "PH_RCM_DB_PASSWD" not in repr(cfg) and "PH_RCM_DES_KEY" not in repr(cfg)


def test_corpus_owncloud_sample(corpus: HostRoot) -> None:
    cfg = read_nextcloud(corpus, "/owncloud-core/config/config.sample.php")
    assert cfg.errors == ()
    assert cfg.get("log_rotate_size") == "false" and cfg.settings["log_rotate_size"].line == 920
    assert cfg.get("logfile") == "/var/log/owncloud.log" and cfg.get("loglevel") == "2"
    assert cfg.get("log_type") == "owncloud" and cfg.get("dbtype") == "mysql" and cfg.get("dbname") == "owncloud"
    assert cfg.get("mail_smtpsecure") == "" and cfg.get("trashbin_retention_obligation") == "auto"
    assert cfg.get("passwordsalt") == "<redacted>" and cfg.get("secret") == "<redacted>"
