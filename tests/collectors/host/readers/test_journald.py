"""journald: drop-in precedence and time spans."""

from __future__ import annotations

import pytest

from auditor.collectors.host.readers.journald import parse_timespan, read_journald
from auditor.collectors.host.root import HostRoot


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1month", 2630016.0),
        ("2w", 1209600.0),
        ("3d 12h", 302400.0),
        ("10day", 864000.0),
        ("90", 90.0),
        ("1y", 31557600.0),
        ("5 min", 300.0),
        ("bogus", None),
        ("3x", None),
        ("", None),
    ],
)
def test_parse_timespan(text: str, seconds: float | None) -> None:
    assert parse_timespan(text) == seconds


def test_fixture_dropins_etc_masks_usr_lib(hostroot: HostRoot) -> None:
    cfg = read_journald(hostroot)
    assert cfg.errors == ()
    assert cfg.retention_days == 14.0
    assert str(cfg.settings["MaxRetentionSec"].source) == "/etc/systemd/journald.conf.d/50-retention.conf:3"
    assert "/usr/lib/systemd/journald.conf.d/50-retention.conf" not in cfg.files  # masked by /etc's same name
    assert cfg.max_file_days == 3.5
    assert cfg.storage == "auto" and cfg.persistent is False  # no /var/log/journal in the root


def test_corpus_systemd_everything_commented(corpus: HostRoot) -> None:
    cfg = read_journald(corpus, "/systemd/src/journal/journald.conf")
    assert cfg.retention_days is None
    assert cfg.settings["MaxRetentionSec"].default
    assert any("size limits" in c for c in cfg.caveats)
