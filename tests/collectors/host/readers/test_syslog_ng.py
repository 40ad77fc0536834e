"""syslog-ng log paths read into routes: filters evaluated per facility, destinations, final, includes."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.host.readers.syslog_filters import filter_severities
from auditor.collectors.host.readers.syslog_ng import read_syslog_ng
from auditor.collectors.host.root import HostRoot
from tests.collectors.host.conftest import write_files


def _targets(cfg: object, facility: str) -> list[str]:
    return [r.target for r in cfg.files_for_facility(facility)]  # type: ignore[attr-defined]


def test_upstream_rhel_packaging(corpus: HostRoot) -> None:
    cfg = read_syslog_ng(corpus, "/syslog-ng/packaging/rhel/syslog-ng.conf")
    assert _targets(cfg, "mail") == ["/var/log/maillog"]
    assert _targets(cfg, "authpriv") == ["/var/log/secure"]
    assert _targets(cfg, "auth") == ["/var/log/messages"]
    assert cfg.errors == ()


def test_alpine_package(corpus: HostRoot) -> None:
    cfg = read_syslog_ng(corpus, "/alpine-aports/main/syslog-ng/syslog-ng.conf")
    assert _targets(cfg, "mail") == ["/var/log/mail.log"]
    assert "/var/log/messages" not in _targets(cfg, "mail")


def test_final_program_filter_and_includes(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "/etc/syslog-ng/syslog-ng.conf": '@version: 4.0\n@include "scl.conf"\nsource s { system(); };\n'
            'destination d_pf { file("/var/log/postfix.log"); };\ndestination d_all { file("/var/log/all.log"); };\n'
            'filter f_pf { program("postfix") ; };\n'
            "log { source(s); filter(f_pf); destination(d_pf); flags(final); };\n"
            '@include "/etc/syslog-ng/conf.d/*.conf"\n',
            "/etc/syslog-ng/conf.d/all.conf": "# catch-all\nlog { source(s); destination(d_all); };\n",
        },
    )
    cfg = read_syslog_ng(root)
    # the program filter takes only postfix's lines: other mail lines still reach the catch-all
    assert _targets(cfg, "mail") == ["/var/log/postfix.log", "/var/log/all.log"]
    assert _targets(cfg, "auth") == ["/var/log/all.log"]


def test_filter_expressions() -> None:
    assert filter_severities("level(info..emerg) and not (facility(mail) or facility(cron))", "mail") == set()
    assert filter_severities("level(info..emerg) and not (facility(mail))", "auth") == {
        "emerg",
        "alert",
        "crit",
        "err",
        "warning",
        "notice",
        "info",
    }
    assert filter_severities("facility(auth, authpriv)", "authpriv") and not filter_severities("host(x)", "mail")
    assert filter_severities("level(err)", "mail") == {"err"}
