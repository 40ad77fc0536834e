"""Backup retention: borgmatic (both layouts), restic/borg command lines, rsnapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.collectors.host.readers.backups import parse_borg_span, read_backups, read_borgmatic, scan_commands
from auditor.collectors.host.root import HostRoot
from auditor.evidence.durations import MONTH_DAYS, YEAR_DAYS
from auditor.messages import render


def test_fixture_all_tools(hostroot: HostRoot) -> None:
    cfg = read_backups(hostroot)
    by_tool = {r.tool: r for r in cfg.retentions}
    assert by_tool["borgmatic"].longest_days == pytest.approx(3 * MONTH_DAYS)  # keep_monthly: 3 (flat layout)
    assert str(by_tool["borgmatic"].rules[0].source) == "/etc/borgmatic/config.yaml:6"
    assert by_tool["restic"].longest_days == 56.0 and by_tool["restic"].file == "/etc/cron.d/restic"
    assert by_tool["rsnapshot"].longest_days == 28.0
    assert any("alpha" in render(c, "en") for c in by_tool["rsnapshot"].caveats)
    assert cfg.errors == ("/etc/rsnapshot.conf:7: rsnapshot 'retain' needs TAB-separated level and count",)
    assert cfg.longest_days == pytest.approx(3 * MONTH_DAYS)


@pytest.mark.parametrize(
    ("line", "tool", "days", "effective"),
    [
        ("restic forget --keep-within 1y2m --keep-daily 7", "restic", YEAR_DAYS + 2 * MONTH_DAYS, True),
        ("ExecStart=/usr/bin/restic -r /srv forget --dry-run --keep-last 3", "restic", None, False),
        ("borg prune -n --keep-daily=7 /repo", "borg", None, False),
        ("borg prune --list -d 7 -w 4 -m 6 /repo && borg compact /repo", "borg", 6 * MONTH_DAYS, True),
        ("borg prune --keep-daily -1 /repo", "borg", None, True),
    ],
)
def test_command_lines(line: str, tool: str, days: float | None, effective: bool) -> None:
    (ret,) = scan_commands("/etc/cron.d/x", line)
    assert (ret.tool, ret.longest_days, ret.effective) == (
        tool,
        days if days is None else pytest.approx(days),
        effective,
    )
    assert ret.unbounded is (days is None)


def test_spans() -> None:
    assert parse_borg_span("2w") == 14.0 and parse_borg_span("48H") == 2.0 and parse_borg_span("1y") == YEAR_DAYS
    assert parse_borg_span("x") is None


def test_borgmatic_without_keep_and_invalid_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("source_directories: [/srv]\n")
    (tmp_path / "b.yaml").write_text("retention:\n  keep_daily: [\n")
    ret, errs = read_borgmatic(HostRoot(tmp_path), "/a.yaml")
    assert ret is not None and ret.unbounded and errs == []
    ret, errs = read_borgmatic(HostRoot(tmp_path), "/b.yaml")
    assert ret is None and errs[0].startswith("/b.yaml:3: invalid YAML")


def test_corpus_mailcow_docs_borgmatic_legacy_layout(corpus: HostRoot) -> None:
    ret, errs = read_borgmatic(corpus, "/mailcow-dockerized-docs/data/conf/borgmatic/etc/config.yaml")
    assert errs == [] and ret is not None
    assert {r.name: r.value for r in ret.rules} == {
        "keep_hourly": "24",
        "keep_daily": "7",
        "keep_weekly": "4",
        "keep_monthly": "6",
    }
    assert ret.longest_days == pytest.approx(6 * MONTH_DAYS) and ret.effective
    assert ret.rules[0].line == 12


def test_corpus_shiz0_borg_prune_dry_run_keeps_everything(corpus: HostRoot) -> None:
    cfg = read_backups(corpus, ("/mailcowdockerized_borgbackup_unofficial/docker-compose.override.yml.example",))
    (ret,) = cfg.retentions
    assert (ret.tool, ret.effective, ret.unbounded, ret.line) == ("borg", False, True, 24)
    assert [(r.name, r.value) for r in ret.rules] == [("keep-last", "5")]
    assert cfg.longest_days is None
