"""rsyslog: which files receive facility mail (and whether syslog does too)."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.host.readers.daemon_args import start_config
from auditor.collectors.host.readers.rsyslog import read_rsyslog, selector_severities
from auditor.collectors.host.root import HostRoot
from tests.collectors.host.conftest import write_files


def test_fixture_mail_goes_to_syslog_and_mail_log(hostroot: HostRoot) -> None:
    cfg = read_rsyslog(hostroot)
    assert cfg.errors == ()
    assert cfg.files == ("/etc/rsyslog.conf", "/etc/rsyslog.d/30-webmail.conf")
    routes = cfg.files_for_facility("mail")
    assert [(r.target, str(r.source)) for r in routes] == [
        ("/var/log/syslog", "/etc/rsyslog.conf:13"),
        ("/var/log/mail.log", "/etc/rsyslog.conf:16"),
    ]
    assert [r.sync for r in routes] == [False, False]  # "-/var/log/..." buffered writes
    assert [(r.target, r.sync) for r in cfg.files_for_facility("auth")] == [("/var/log/auth.log", True)]


def test_rainerscript_action_and_stop(hostroot: HostRoot) -> None:
    cfg = read_rsyslog(hostroot)
    assert [r.target for r in cfg.files_for_facility("local5")] == ["/var/log/roundcube/syslog.log"]


def test_selector_semantics() -> None:
    assert selector_severities("*.*;auth,authpriv.none", "mail") == set(selector_severities("*.*", "mail"))
    assert selector_severities("*.=info;*.=notice;mail,news.none", "mail") == set()
    assert selector_severities("mail.warn", "mail") == {"emerg", "alert", "crit", "err", "warning"}
    assert selector_severities("mail.*;mail.!=debug", "mail") == {
        "emerg",
        "alert",
        "crit",
        "err",
        "warning",
        "notice",
        "info",
    }
    assert selector_severities("if $syslogfacility-text == 'mail' then", "mail") != set()


def test_include_directive_and_trailing_backslash(tmp_path: Path) -> None:
    (tmp_path / "etc" / "rsyslog.d").mkdir(parents=True)
    (tmp_path / "etc" / "rsyslog.conf").write_text('include(file="/etc/rsyslog.d/*.conf")\n\\\n')
    (tmp_path / "etc" / "rsyslog.d" / "mail.conf").write_text("mail.info\t/var/log/mail.info\n")
    cfg = read_rsyslog(HostRoot(tmp_path))
    assert [r.target for r in cfg.files_for_facility("mail")] == ["/var/log/mail.info"]


def test_corpus_debian_classic(corpus: HostRoot) -> None:
    cfg = read_rsyslog(corpus, "/debian-rsyslog/ouvrages-rsyslog/debian/rsyslog.conf")
    routes = cfg.files_for_facility("mail")
    expected = ["/var/log/syslog", "/var/log/mail.log", "/var/log/mail.info", "/var/log/mail.warn", "/var/log/mail.err"]
    assert [r.target for r in routes] == expected
    assert routes[0].selector == "*.*;auth,authpriv.none" and routes[0].source.line == 31
    # the multi-line "*.=debug;... mail.none -/var/log/debug" selector excludes mail
    assert "/var/log/debug" not in {r.target for r in routes}
    assert "/var/log/messages" not in {r.target for r in routes}


def test_corpus_iredmail_placeholder_facility(corpus: HostRoot) -> None:
    cfg = read_rsyslog(corpus, "/iRedMail/samples/rsyslog.d/1-iredmail-dovecot.conf")
    assert cfg.errors == ()
    assert len(cfg.rules) == 6 and all(r.stops for r in cfg.rules)
    assert cfg.files_for_facility("mail") == ()  # facility is a PH_ placeholder: unknown, not mail


def test_rainerscript_stdout_image_routes_everything_to_the_stream(corpus: HostRoot) -> None:
    """boky/postfix: multi-line list templates, an if-block of stops, one action to a dynaFile template."""
    config = read_rsyslog(corpus, "/bokysan-docker-postfix/image_root/etc/rsyslog.conf")
    assert not config.errors
    assert [r.target for r in config.files_for_facility("mail")] == ["/dev/stdout"]


def test_ampersand_actions_and_program_filters(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/rsyslog.conf").write_text(
        ':programname, startswith, "postfix" -/var/log/postfix.log\n& /var/log/copy.log\n& stop\n'
        'if $syslogfacility == \'2\' then {\n  action(type="omfile" file="/var/log/mail2.log")\n}\n'
        "mail.* -/var/log/mail.log\n*.* /dev/null\n"
    )
    routes = [r.target for r in read_rsyslog(HostRoot(tmp_path)).files_for_facility("mail")]
    # the program filter's stop leaves other mail programs' lines to the later rules
    assert routes == [
        "/var/log/postfix.log",
        "/var/log/copy.log",
        "/var/log/mail2.log",
        "/var/log/mail.log",
        "/dev/null",
    ]


def test_named_rulesets_bound_to_local_input_and_called(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "/etc/rsyslog.conf": (
                'input(type="imuxsock" ruleset="local")\ninput(type="imtcp" port="514" ruleset="net")\n'
                'ruleset(name="local") {\n  if $programname == "postfix" then call mail\n'
                "  auth.* /var/log/auth.log\n}\n"
                'ruleset(name="mail") {\n  action(type="omfile" file="/var/log/postfix.log")\n  stop\n}\n'
                'ruleset(name="net") {\n  *.* /var/log/net.log\n}\n'
                "$RuleSet legacy\nmail.* /var/log/legacy.log\n"
                "$RuleSet RSYSLOG_DefaultRuleset\nmail.* /var/log/default.log\n"
            )
        },
    )
    cfg = read_rsyslog(root)
    assert cfg.entry_rulesets == ("local",) and cfg.errors == ()
    assert [r.target for r in cfg.files_for_facility("mail")] == ["/var/log/postfix.log"]
    assert [r.target for r in cfg.files_for_facility("auth")] == ["/var/log/auth.log"]
    text = 'ruleset(name="x") {\nmail.* /var/log/x.log\n}\nmail.* /var/log/mail.log\n'
    unbound = read_rsyslog(write_files(tmp_path / "b", {"/etc/rsyslog.conf": text}))
    assert [r.target for r in unbound.files_for_facility("mail")] == ["/var/log/mail.log"]


def test_start_option_from_unit_drop_in_and_defaults_file(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "/etc/default/rsyslog": 'RSYSLOGD_OPTIONS="-f /etc/rsyslog-a.conf"\n',
            "/lib/systemd/system/rsyslog.service": "[Service]\nExecStart=/usr/sbin/rsyslogd -n -iNONE\n",
        },
    )
    found = start_config(root, "rsyslogd", ("/etc/default/rsyslog",), "RSYSLOGD_OPTIONS")
    assert found is not None and (found.value, str(found.source)) == ("/etc/rsyslog-a.conf", "/etc/default/rsyslog:1")
    (tmp_path / "etc/systemd/system/rsyslog.service.d").mkdir(parents=True)
    (tmp_path / "etc/systemd/system/rsyslog.service.d/local.conf").write_text(
        "[Service]\nExecStart=\nExecStart=/usr/sbin/rsyslogd -n -f/etc/rsyslog-b.conf\n"
    )
    found = start_config(root, "rsyslog", (), "RSYSLOGD_OPTIONS")
    assert found is not None and found.value == "/etc/rsyslog-b.conf" and found.line == 3


def test_bsd_syslog_conf_program_blocks(corpus: HostRoot) -> None:
    cfg = read_rsyslog(corpus, "/mailserv/install/templates/syslog.conf")
    assert cfg.errors == ()
    mail = [r.target for r in cfg.files_for_facility("mail")]
    assert mail == ["/var/log/imap", "/var/log/maillog", "/var/log/maillog_webmin", "/var/log/imap_webmin"]
    assert [r.target for r in cfg.files_for_facility("auth")] == ["/var/log/authlog"]  # dovecot block not auth
