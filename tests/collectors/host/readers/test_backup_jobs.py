"""Backup retention of scheduled jobs: scripts run from cron/systemd, their variables, tarsnapper deltas."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.host.readers.backups import read_backups
from auditor.messages import render
from tests.collectors.host.conftest import write_files

BORG_SCRIPT = """#!/bin/sh
# nightly mail backup
. /etc/mailbackup/retention.conf
KEEP_W=${KEEP_WEEKS:-8}
borg create "$REPO::{now}" /var/vmail
borg prune --list "$REPO" \\
    --keep-daily=$KEEP_DAYS --keep-weekly "$KEEP_W"
"""


def test_timer_service_with_environment_file_and_sourced_defaults(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "/etc/systemd/system/mailbackup.service": "[Service]\nEnvironmentFile=-/etc/default/mailbackup\n"
            "ExecStart=/usr/local/sbin/mailbackup\n",
            "/etc/systemd/system/mailbackup.timer": "[Timer]\nOnCalendar=daily\n",
            "/etc/default/mailbackup": "REPO=/srv/borg\n",
            "/etc/mailbackup/retention.conf": "KEEP_DAYS=10  # ten days\n",
            "/usr/local/sbin/mailbackup": BORG_SCRIPT,
        },
    )
    [ret] = read_backups(root).retentions
    assert (ret.tool, ret.file, ret.line) == ("borg", "/usr/local/sbin/mailbackup", 6)
    assert {r.name: r.value for r in ret.rules} == {"keep-daily": "10", "keep-weekly": "8"}  # default of ${:-}
    assert ret.longest_days == 56 and "run by /etc/systemd/system/mailbackup.service:3" in [
        render(c, "en") for c in ret.caveats
    ]
    assert any("/etc/mailbackup/retention.conf:1" in render(c, "en") for c in ret.caveats)


def test_cron_script_on_path_and_unknown_variable_gives_no_period(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "/etc/cron.d/backup": "PATH=/opt/backup/bin:/usr/bin\n15 2 * * * root run-backup.sh >/dev/null 2>&1\n",
            "/opt/backup/bin/run-backup.sh": '#!/bin/bash\nrestic forget --keep-within "$KEEP" --prune\n',
        },
    )
    [ret] = read_backups(root).retentions
    assert ret.tool == "restic" and ret.longest_days is None and not ret.unbounded
    assert any("unreadable span" in render(c, "en") for c in ret.caveats)


def test_tarsnapper_config_and_command_line_deltas(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "/etc/crontab": "SHELL=/bin/sh\n0 4 * * * root tarsnapper -c /etc/tarsnapper.yml make\n"
            "0 5 * * * root tarsnapper --target db-$date --deltas 6h 1d 14d - make\n",
            "/etc/tarsnapper.yml": "deltas: 1d 7d 30d\njobs:\n  mail:\n    source: /var/vmail\n    deltas: 1h 1d 90d\n",
        },
    )
    found = {(r.file, r.line): r.longest_days for r in read_backups(root).retentions}
    assert found == {("/etc/tarsnapper.yml", 1): 30, ("/etc/tarsnapper.yml", 5): 90, ("/etc/crontab", 3): 14}


def test_a_script_calling_itself_is_read_once(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "/etc/cron.d/b": "* * * * * root /usr/local/bin/b.sh\n",
            "/usr/local/bin/b.sh": "#!/bin/sh\n/usr/local/bin/b.sh\nborg prune --keep-daily 3 /r\n",
        },
    )
    assert [r.longest_days for r in read_backups(root).retentions] == [3]


def test_duplicity_remove_older_than(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "/etc/cron.daily/backup": "#!/bin/sh\nduplicity incr /home/user-data file:///backup\n"
            "duplicity remove-older-than 3D --force file:///backup\n",
            "/etc/cron.weekly/listing": "#!/bin/sh\nduplicity remove-older-than 2W file:///backup\n",
        },
    )
    found = {r.file: r for r in read_backups(root).retentions}
    forced, listed = found["/etc/cron.daily/backup"], found["/etc/cron.weekly/listing"]
    assert (forced.tool, forced.longest_days, forced.effective) == ("duplicity", 3.0, True)
    assert any("lower bound" in render(c, "en") for c in forced.caveats)
    assert not listed.effective  # without --force nothing is removed
