"""Dovecot reader: includes, scoped filters, 2.3/2.4 names, secrets dropped."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.host.readers.dovecot import dovecot_effective, effective, read_dovecot
from auditor.collectors.host.root import HostRoot


def test_fixture_includes_and_effective(hostroot: HostRoot) -> None:
    cfg = read_dovecot(hostroot)
    assert cfg.errors == ()
    assert cfg.files[:3] == (
        "/etc/dovecot/dovecot.conf",
        "/etc/dovecot/conf.d/10-auth.conf",
        "/etc/dovecot/conf.d/auth-sql.conf.ext",
    )
    eff = dovecot_effective(hostroot)
    assert eff["ssl"].value == "required" and str(eff["ssl"].source) == "/etc/dovecot/conf.d/10-ssl.conf:1"
    assert eff["ssl_cipher_list"].value == "ECDHE+AESGCM:ECDHE+CHACHA20"  # trailing comment removed
    assert eff["ssl_key"].value == "</etc/dovecot/private/dovecot.key"  # a file reference, never read
    assert eff["disable_plaintext_auth"].value == "yes"
    assert eff["auth_allow_cleartext"].value == "no"  # 2.4 name derived from the 2.3 one
    assert eff["mail_plugins"].value == " mail_log notify" or eff["mail_plugins"].value.endswith("mail_log notify")
    assert [(d.kind, d.driver, d.args) for d in cfg.passdbs + cfg.userdbs] == [
        ("passdb", "sql", "/etc/dovecot/dovecot-sql.conf.ext"),
        ("userdb", "sql", "/etc/dovecot/dovecot-sql.conf.ext"),
    ]


def test_fixture_scoped_exception_is_not_global(hostroot: HostRoot) -> None:
    cfg = read_dovecot(hostroot)
    assert [(s.name, s.value, s.scope) for s in cfg.scoped] == [("disable_plaintext_auth", "no", ("remote 127.0.0.1",))]
    assert cfg.globals["disable_plaintext_auth"].value == "yes"


def test_malformed_and_include_errors(tmp_path: Path) -> None:
    (tmp_path / "etc" / "dovecot").mkdir(parents=True)
    (tmp_path / "etc" / "dovecot" / "dovecot.conf").write_text(
        "ssl = yes\nthis is not valid\n}\n!include missing.conf\n!include_try also-missing.conf\nservice x {\n"
    )
    cfg = read_dovecot(HostRoot(tmp_path))
    assert cfg.errors == (
        "/etc/dovecot/dovecot.conf:2: unrecognised line: 'this is not valid'",
        "/etc/dovecot/dovecot.conf:3: unbalanced '}'",
        "/etc/dovecot/dovecot.conf:4: !include missing.conf: no such file",
        "/etc/dovecot/dovecot.conf: unclosed section(s): service x",
    )
    assert cfg.globals["ssl"].value == "yes"


def test_include_loop_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "etc" / "dovecot").mkdir(parents=True)
    (tmp_path / "etc" / "dovecot" / "dovecot.conf").write_text("!include dovecot.conf\n")
    cfg = read_dovecot(HostRoot(tmp_path))
    assert any("nested too deeply" in e for e in cfg.errors)


def test_corpus_mailcow_loopback_exception(corpus: HostRoot) -> None:
    cfg = read_dovecot(corpus, ("/mailcow-dockerized/data/conf/dovecot/dovecot.conf",))
    eff = effective(cfg)
    assert eff["disable_plaintext_auth"].value == "yes" and eff["disable_plaintext_auth"].line == 15
    remote = [s for s in cfg.scoped if s.scope == ("remote 127.0.0.1",)]
    assert [(s.name, s.value) for s in remote] == [("disable_plaintext_auth", "no")]
    assert eff["ssl_min_protocol"].value == "TLSv1.2"
    assert eff["ssl"].default  # not set: Dovecot's default "yes", not "required"
    assert eff["auth_verbose_passwords"].value == "sha1:6"
    assert eff["ssl_cipher_list"].value.startswith("ALL:!ADH:!LOW")
    assert [d.driver for d in cfg.passdbs] == ["lua", "passwd-file", "lua"]
    assert cfg.version == "2.3"


def test_corpus_iredmail_23_and_24(corpus: HostRoot) -> None:
    old = effective(read_dovecot(corpus, ("/iRedMail/samples/dovecot/dovecot.conf",)))
    assert (old["ssl"].value, old["ssl_min_protocol"].value, old["disable_plaintext_auth"].value) == (
        "required",
        "TLSv1.2",
        "yes",
    )
    assert old["mail_log_fields"].value == "uid box msgid size from subject flags"
    new_cfg = read_dovecot(corpus, ("/iRedMail/samples/dovecot/dovecot-2.4-mariadb.conf",))
    new = effective(new_cfg)
    assert new_cfg.version == "2.4"
    assert (new["ssl"].value, new["auth_allow_cleartext"].value, new["log_path"].value) == ("required", "no", "syslog")
    assert new["disable_plaintext_auth"].value == "yes"  # 2.3 name derived (inverted) from auth_allow_cleartext
    assert "default_password_scheme" not in new  # no default scheme: hashes carry {SSHA512}
    assert {d.driver for d in new_cfg.passdbs} == {"passwd-file", "sql"}
    assert "PH_VMAIL_DB_ADMIN_PASSWD" not in repr(new_cfg)


def test_corpus_postfixadmin_24(corpus: HostRoot) -> None:
    cfg = read_dovecot(corpus, ("/postfixadmin/DOCUMENTS/examples/dovecot-2.4-local.conf",))
    eff = effective(cfg)
    assert eff["ssl"].value == "yes" and eff["auth_allow_cleartext"].value == "no"
    assert eff["auth_allow_weak_schemes"].value == "no"
    assert eff["default_password_scheme"].value == "ARGON2ID"
    assert eff["default_pass_scheme"].value == "ARGON2ID"
    assert "DATABASE_PASSWORD" not in repr(cfg)


def test_corpus_docker_mailserver_24_pieces(corpus: HostRoot) -> None:
    d = "/docker-mailserver/target/dovecot/"
    cfg = read_dovecot(corpus, (d + "10-auth.conf", d + "10-ssl.conf", d + "10-logging.conf"))
    assert cfg.errors == ()
    assert d + "auth-passwdfile.inc" in cfg.files  # relative !include
    eff = effective(cfg)
    assert eff["auth_allow_cleartext"].default  # commented out -> 2.4 default "no"
    assert eff["ssl"].default and eff["ssl"].value == "yes"
    assert eff["ssl_min_protocol"].value == "TLSv1.2" and not eff["ssl_min_protocol"].default
    assert eff["auth_verbose_passwords"].value == "sha1:6"
    assert str(eff["default_password_scheme"].source) == d + "auth-passwdfile.inc:10"
    assert eff["default_password_scheme"].value == "SHA512-CRYPT"


def test_corpus_dovecot_core_everything_default(corpus: HostRoot) -> None:
    d = "/dovecot-core/doc/example-config/conf.d/"
    eff = effective(read_dovecot(corpus, (d + "10-ssl.conf", d + "10-logging.conf")))
    for key in ("ssl", "ssl_min_protocol", "disable_plaintext_auth", "log_path", "auth_verbose_passwords"):
        assert eff[key].default, key
