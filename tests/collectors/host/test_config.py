"""read_host over the project's Debian-like fixture root: aggregated values, JSON round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter

from auditor.collectors.host.config import HostConfig, read_host
from auditor.collectors.host.root import HostRoot
from auditor.evidence.durations import MONTH_DAYS


def test_read_host_fixture_values(hostroot: HostRoot) -> None:
    host = read_host(hostroot)
    assert host.errors == ("/etc/rsnapshot.conf:7: rsnapshot 'retain' needs TAB-separated level and count",)
    assert host.postfix is not None and host.dovecot is not None
    assert [s.path for s in host.sql_lookups] == [
        "/etc/dovecot/dovecot-sql.conf.ext",
        "/etc/postfix/sql/mysql_virtual_mailbox_maps.cf",
    ]
    assert host.logrotate is not None and host.rsyslog is not None
    # the acceptance case: Debian's mail.log is kept up to 5 weeks, and mail also lands in syslog
    mail_files = [r.target for r in host.rsyslog.files_for_facility("mail")]
    assert mail_files == ["/var/log/syslog", "/var/log/mail.log"]
    policies = {f: host.logrotate.policy_for(f) for f in mail_files}
    assert {f: p.max_retention_days for f, p in policies.items() if p} == {
        "/var/log/syslog": 35.0,
        "/var/log/mail.log": 35.0,
    }
    assert host.journald.retention_days == 14.0
    assert host.nginx is not None and host.apache is not None
    assert host.roundcube is not None and host.nextcloud is not None
    assert host.backups.longest_days == pytest.approx(3 * MONTH_DAYS)


def test_read_host_round_trips_through_json(hostroot: HostRoot) -> None:
    host = read_host(hostroot)
    adapter = TypeAdapter(HostConfig)
    assert adapter.validate_json(adapter.dump_json(host)) == host


def test_empty_root_gives_absent_sections_not_errors(tmp_path: Path) -> None:
    host = read_host(tmp_path)
    assert host.errors == ()
    assert (host.postfix, host.dovecot, host.logrotate, host.rsyslog, host.nginx, host.roundcube) == (
        None,
        None,
        None,
        None,
        None,
        None,
    )
    assert host.journald.retention_days is None and host.backups.retentions == ()


def test_broken_files_become_errors(tmp_path: Path) -> None:
    (tmp_path / "etc" / "postfix").mkdir(parents=True)
    (tmp_path / "etc" / "postfix" / "main.cf").write_bytes(b"\xff\xfe garbage without equals\n")
    (tmp_path / "etc" / "logrotate.conf").symlink_to("../../../../../etc/passwd")
    host = read_host(tmp_path)
    assert "/etc/postfix/master.cf: not found" in host.errors
    assert any(e.startswith("/etc/postfix/main.cf:1: not a 'name = value' line") for e in host.errors)
    assert "/etc/logrotate.conf: path escapes the host root" in host.errors
