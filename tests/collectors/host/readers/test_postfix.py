"""Postfix reader: $-expansion, continuation lines, -o overrides, service roles."""

from __future__ import annotations

from auditor.collectors.host.readers.postfix import (
    effective,
    parse_main_cf,
    postfix_effective,
    read_postfix,
    sql_map_paths,
)
from auditor.collectors.host.root import HostRoot


def test_fixture_submission_effective_settings(hostroot: HostRoot) -> None:
    eff = postfix_effective(hostroot, "submission")
    assert eff["smtpd_tls_security_level"].value == "encrypt"
    assert str(eff["smtpd_tls_security_level"].source) == "/etc/postfix/master.cf:7"
    assert eff["smtpd_tls_auth_only"].value == "yes"
    assert eff["smtpd_sasl_auth_enable"].value == "yes"
    # ${var} expansion and a continuation line in main.cf
    assert eff["smtpd_tls_mandatory_protocols"].value == "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1"
    assert eff["smtpd_tls_mandatory_protocols"].line == 13
    assert eff["smtpd_tls_protocols"].value == "!SSLv2, !SSLv3"
    # not configured anywhere -> Postfix's built-in default, marked as such
    assert eff["smtpd_tls_ciphers"].default and eff["smtpd_tls_ciphers"].value == "medium"


def test_fixture_smtp_and_submissions(hostroot: HostRoot) -> None:
    smtp = postfix_effective(hostroot, "smtp")
    assert smtp["smtpd_tls_security_level"].value == "may"
    assert smtp["smtpd_tls_auth_only"].value == "no" and smtp["smtpd_tls_auth_only"].default
    subs = postfix_effective(hostroot, "465")
    assert subs["smtpd_tls_wrappermode"].value == "yes"
    assert subs["smtpd_sasl_auth_enable"].value == "yes"  # from the "-o { name = value }" form


def test_fixture_service_roles_and_loopback(hostroot: HostRoot) -> None:
    cfg = read_postfix(hostroot)
    assert cfg.errors == ()
    roles = {s.name: (s.role, s.port, s.loopback_only) for s in cfg.services if s.type == "inet"}
    assert roles == {
        "smtp": ("smtp", 25, False),
        "submission": ("submission", 587, False),
        "submissions": ("submissions", 465, False),
        "127.0.0.1:10025": ("reinjection", 10025, True),
    }
    assert sql_map_paths(cfg) == ("/etc/postfix/sql/mysql_virtual_mailbox_maps.cf",)


def test_expansion_is_bounded_and_unknown_names_stay_literal() -> None:
    settings, errors = parse_main_cf("/m", "a = $b\nb = $a\nc = ${undefined_x} $(d)\nd = 1\nbad line\n")
    assert errors == ("/m:5: not a 'name = value' line: 'bad line'",) or list(errors) == [
        "/m:5: not a 'name = value' line: 'bad line'"
    ]
    from auditor.collectors.host.readers.postfix import PostfixConfig

    eff = effective(PostfixConfig(tuple(settings), (), ("/m",)), None)
    assert eff["c"].value == "${undefined_x} 1"
    assert "$" in eff["a"].value  # a <-> b cycle stops at the depth bound instead of recursing forever


def test_conditional_expansion() -> None:
    settings, _ = parse_main_cf("/m", "x = yes\ny = ${x?{on}} ${x:off} ${z?set} ${z:unset}\n")
    from auditor.collectors.host.readers.postfix import PostfixConfig

    eff = effective(PostfixConfig(tuple(settings), (), ("/m",)), None)
    assert eff["y"].value == "on   unset"


def test_corpus_mailcow(corpus: HostRoot) -> None:
    cfg = read_postfix(
        corpus, "/mailcow-dockerized/data/conf/postfix/main.cf", "/mailcow-dockerized/data/conf/postfix/master.cf"
    )
    smtp = effective(cfg, "smtp")
    assert smtp["smtpd_tls_security_level"].value == "may"
    assert smtp["smtpd_tls_auth_only"].value == "yes"
    assert smtp["smtpd_tls_protocols"].value == ">=TLSv1.2"
    assert smtp["smtpd_sasl_auth_enable"].value == "no"  # from the postscreen "smtpd pass" service
    sub = effective(cfg, "submission")
    assert sub["smtpd_tls_security_level"].value == "encrypt"
    assert sub["smtpd_tls_mandatory_protocols"].value == ">=TLSv1.2"  # $submission_smtpd_tls_mandatory_protocols
    assert sub["smtpd_tls_mandatory_ciphers"].value == "high"
    assert effective(cfg, "smtps")["smtpd_tls_wrappermode"].value == "yes"
    loop = [s for s in cfg.services if s.loopback_only]
    assert [(s.name, s.command, s.role) for s in loop] == [("127.0.0.1:10027", "spawn", "other")]
    assert effective(cfg, "submission")["smtpd_tls_security_level"].line == 32


def test_corpus_iredmail_reinjection_ports_are_not_public(corpus: HostRoot) -> None:
    cfg = read_postfix(corpus, "/iRedMail/samples/postfix/main.cf", "/iRedMail/samples/postfix/master.cf")
    assert effective(cfg, "submission")["smtpd_tls_security_level"].value == "encrypt"
    assert effective(cfg, "submission")["smtpd_tls_auth_only"].value == "no"  # commented out in main.cf
    assert effective(cfg, "smtp")["smtpd_tls_protocols"].value == "!SSLv2 !SSLv3 !TLSv1 !TLSv1.1"
    reinject = [s for s in cfg.services if s.role == "reinjection"]
    assert len(reinject) == 2
    assert all(s.host == "PH_LOCAL_ADDRESS" and s.loopback_only is None for s in reinject)
    assert {o.value for s in reinject for o in s.overrides if o.name == "smtpd_tls_security_level"} == {"none"}
    assert cfg.service("465") is not None and cfg.service("465").role == "submissions"  # type: ignore[union-attr]


def test_corpus_docker_mailserver(corpus: HostRoot) -> None:
    cfg = read_postfix(
        corpus, "/docker-mailserver/target/postfix/main.cf", "/docker-mailserver/target/postfix/master.cf"
    )
    smtp = effective(cfg, "smtp")
    assert smtp["smtpd_tls_security_level"].value == "may"
    assert smtp["smtpd_tls_protocols"].value == "!SSLv2,!SSLv3,!TLSv1,!TLSv1.1"
    assert smtp["smtpd_sasl_auth_enable"].value == "no"
    assert smtp["smtpd_tls_auth_only"].default
    assert effective(cfg, "submission")["smtpd_tls_security_level"].value == "encrypt"
    assert effective(cfg, "submission")["smtpd_sasl_auth_enable"].value == "yes"
    assert effective(cfg, "submissions")["smtpd_tls_wrappermode"].value == "yes"
