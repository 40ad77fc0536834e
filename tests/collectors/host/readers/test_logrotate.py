"""logrotate: inherited globals, includes, size-only and maxage, corpus policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.collectors.host.readers.logrotate import logrotate_policy_for, read_logrotate
from auditor.collectors.host.root import HostRoot
from auditor.evidence.durations import MONTH_DAYS


def test_fixture_debian_mail_log_weekly_4(hostroot: HostRoot) -> None:
    pol = logrotate_policy_for(hostroot, "/var/log/mail.log")
    assert pol is not None
    assert pol.max_retention_days == 35.0 and not pol.unbounded
    assert pol.frequency is not None and str(pol.frequency.source) == "/etc/logrotate.d/rsyslog:9"
    assert pol.rotate is not None and str(pol.rotate.source) == "/etc/logrotate.d/rsyslog:8"
    assert pol.block.directives["create"].file == "/etc/logrotate.conf"  # inherited global
    assert pol.block.line == 1 and "/var/log/syslog" in pol.block.patterns


def test_fixture_other_policies(hostroot: HostRoot) -> None:
    cfg = read_logrotate(hostroot)
    assert cfg.errors == ()
    assert "/etc/logrotate.d/old.log.dpkg-old" not in cfg.files  # taboo extension skipped
    nginx = cfg.policy_for("/var/log/nginx/access.log")
    assert nginx is not None and nginx.max_retention_days == 15.0
    rc = cfg.policy_for("/var/log/roundcube/errors.log")
    assert rc is not None and rc.unbounded and rc.max_retention_days is None
    wtmp = cfg.policy_for("/var/log/wtmp")
    assert wtmp is not None and wtmp.max_retention_days == pytest.approx(2 * MONTH_DAYS)
    assert cfg.policy_for("/var/log/unknown.log") is None


def _write(tmp_path: Path, text: str) -> HostRoot:
    (tmp_path / "etc").mkdir(exist_ok=True)
    (tmp_path / "etc" / "logrotate.conf").write_text(text)
    return HostRoot(tmp_path)


def test_maxage_caps_and_globals_apply_in_order(tmp_path: Path) -> None:
    root = _write(tmp_path, "/var/log/a.log {\n daily\n}\nrotate 30\n/var/log/b.log {\n daily\n maxage 7\n}\n")
    a = logrotate_policy_for(root, "/var/log/a.log")
    b = logrotate_policy_for(root, "/var/log/b.log")
    assert a is not None and a.max_retention_days == 1.0  # rotate 0 default: only the current file
    assert any("no 'rotate'" in c for c in a.caveats)
    assert b is not None and b.max_retention_days == 8.0  # min(one month, maxage 7 + 1 day)


@pytest.mark.parametrize(
    ("body", "days", "unbounded"),
    [
        ("rotate -1\n weekly", None, True),
        ("rotate 3\n monthly\n minsize 1M", 4 * MONTH_DAYS, True),
        ("rotate 2\n size 100k", None, True),
        ("rotate 2\n hourly", 0.125, False),
    ],
)
def test_retention_edge_cases(tmp_path: Path, body: str, days: float | None, unbounded: bool) -> None:
    pol = logrotate_policy_for(_write(tmp_path, f"/var/log/x.log {{\n {body}\n}}\n"), "/var/log/x.log")
    expected = days if days is None else pytest.approx(days)
    assert pol is not None and pol.max_retention_days == expected and pol.unbounded is unbounded


def test_malformed_lines_are_errors(tmp_path: Path) -> None:
    root = _write(tmp_path, "rotate many\n}\n/var/log/x.log {\n size huge\n")
    cfg = read_logrotate(root)
    assert cfg.errors == (
        "/etc/logrotate.conf:1: rotate needs a number, got 'many'",
        "/etc/logrotate.conf:2: unbalanced '}'",
        "/etc/logrotate.conf:4: size needs a size, got 'huge'",
        "/etc/logrotate.conf:3: block not closed with '}'",
    )


def test_corpus_debian_rsyslog_with_global_defaults(corpus: HostRoot) -> None:
    cfg = read_logrotate(
        corpus,
        "/debian-logrotate/cgzones-logrotate_deb/debian/logrotate.conf",
        extra=("/debian-rsyslog/ouvrages-rsyslog/debian/rsyslog.logrotate",),
    )
    assert cfg.errors == ("/etc/logrotate.d: not found",)  # the snapshot has no logrotate.d
    mail = cfg.policy_for("/var/log/mail.log")
    assert mail is not None and mail.max_retention_days == 35.0
    assert str(mail.rotate.source) == "/debian-rsyslog/ouvrages-rsyslog/debian/rsyslog.logrotate:13"  # type: ignore[union-attr]
    syslog = cfg.policy_for("/var/log/syslog")
    assert syslog is not None and syslog.max_retention_days == 8.0


def test_corpus_deepin_monthly_maxsize(corpus: HostRoot) -> None:
    pol = read_logrotate(corpus, "/debian-rsyslog/deepin-community-rsyslog/debian/rsyslog.logrotate").policy_for(
        "/var/log/mail.log"
    )
    assert pol is not None and pol.max_retention_days == pytest.approx(7 * MONTH_DAYS)  # (6 + 1) months
    assert pol.block.directives["maxsize"].value == "500M"


def test_corpus_web_server_packaging(corpus: HostRoot) -> None:
    nginx = read_logrotate(corpus, "/debian-nginx/oerdnj-nginx/debian/nginx-common.nginx.logrotate")
    assert nginx.policy_for("/var/log/nginx/access.log").max_retention_days == 15.0  # type: ignore[union-attr]
    ocf = read_logrotate(corpus, "/debian-apache2/ocf-apache2-suexec-ocf/debian/apache2.logrotate")
    assert ocf.policy_for("/var/log/apache2/access.log").max_retention_days == 32.0  # type: ignore[union-attr]
    pexip = read_logrotate(corpus, "/debian-apache2/pexip-os-apache2/debian/apache2.logrotate")
    pol = pexip.policy_for("/var/log/apache2/access.log")
    assert pol is not None and pol.unbounded and pol.max_retention_days is None  # size 10M, rotate 50


def test_corpus_iredmail_weekly_10(corpus: HostRoot) -> None:
    cfg = read_logrotate(corpus, "/iRedMail/samples/logrotate/dovecot")
    pol = cfg.policy_for("PH_DOVECOT_LOG_DIR/imap.log")
    assert pol is not None and pol.max_retention_days == 77.0


def test_self_including_directory_is_bounded(tmp_path: Path) -> None:
    d = tmp_path / "etc" / "logrotate.d"
    d.mkdir(parents=True)
    for i in range(12):
        (d / f"f{i}").write_text("include /etc/logrotate.d\n")
    root = _write(tmp_path, "include /etc/logrotate.d\n")
    cfg = read_logrotate(root)
    assert len(cfg.files) == 13
    assert cfg.errors == tuple(
        f"/etc/logrotate.d/{name}:1: recursive include of /etc/logrotate.d ignored"
        for name in sorted(f"f{i}" for i in range(12))
    )
