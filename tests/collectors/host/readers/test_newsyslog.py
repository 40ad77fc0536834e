"""BSD newsyslog: count x interval (hours, $W/$D/$M specs, @T), size-only lines unbounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.collectors.host.readers.newsyslog import read_newsyslog
from tests.collectors.host.conftest import CORPUS, write_files


def test_mailserv_newsyslog(tmp_path: Path) -> None:
    source = CORPUS / "mailserv" / "install" / "templates" / "newsyslog.conf"
    if not source.is_file():
        pytest.skip(f"shared corpus not present at {source}")
    cfg = read_newsyslog(write_files(tmp_path, {"/etc/newsyslog.conf": source.read_text()}))
    assert cfg.errors == ()
    days = {e.pattern: e.retention_days for e in cfg.entries}
    assert days["/var/log/maillog"] == 8  # 7 archives + the live file, every 24 h
    assert days["/var/log/imap"] == 56 and days["/var/log/maillog_webmin"] is None  # weekly; size only
    assert days["/var/log/wtmp"] == 56  # $W6D4: weekly
    entry = cfg.entry_for("/var/log/maillog")
    assert entry is not None and (entry.setting.file, entry.setting.line) == ("/etc/newsyslog.conf", 11)


def test_freebsd_forms(tmp_path: Path) -> None:
    text = "/var/log/mail/*.log  root:wheel 640 30 * @T00 JC\n/var/log/x.log 640 3 100 $M1D0 Z\nbroken line\n"
    cfg = read_newsyslog(write_files(tmp_path, {"/etc/newsyslog.conf.d/mail.conf": text}))
    assert len(cfg.errors) == 1
    assert cfg.entry_for("/var/log/mail/smtp.log").retention_days == 31  # type: ignore[union-attr]
    assert cfg.entry_for("/var/log/x.log").retention_days == pytest.approx(4 * 30.44)  # type: ignore[union-attr]
