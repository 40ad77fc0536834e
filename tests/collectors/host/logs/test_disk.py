"""Evidence on disk: oldest entries across rotated/compressed logs in a generated host root."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from auditor.collectors.host.logs.disk import DEFAULT_FAMILIES, collect_log_family, collect_logs
from auditor.collectors.host.logs.timestamps import fields_in, infer_year, parse_line
from auditor.evidence.host import LOG_FAMILIES
from auditor.evidence.stored import LogFamilyEvidence

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


def _write(root: Path, rel: str, lines: list[str], *, mtime: datetime, comp: str | None = None) -> Path:
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode()
    opener = {None: lambda b: b, "gz": gzip.compress, "xz": lzma.compress, "bz2": bz2.compress}[comp]
    path.write_bytes(opener(data))
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def _syslog(day: datetime, n: int = 3) -> list[str]:
    out = []
    for i in range(n):
        t = day + timedelta(hours=i)
        stamp = f"{t:%b} {t.day:2d} {t:%H:%M:%S}"
        out.append(f"{stamp} mx postfix/smtpd[{100 + i}]: connect from unknown[192.0.2.{i + 1}]")
        out.append(f"{stamp} mx postfix/qmgr[7]: 4F1A2B{i}: from=<alice{i}@example.org>, size=1234, nrcpt=1")
    return out


def _debian_mail(root: Path) -> None:
    """Weekly rotation, 4 kept, compressed from .2 on (Debian's rsyslog logrotate), ~33 days on disk."""
    start = NOW - timedelta(days=33)
    for idx in (4, 3, 2, 1, 0):
        first = start + timedelta(days=7 * (4 - idx))
        last = first + timedelta(days=6, hours=23) if idx else NOW - timedelta(minutes=5)
        name = "/var/log/mail.log" + (f".{idx}" if idx else "")
        comp = "gz" if idx >= 2 else None
        _write(root, name + (".gz" if comp else ""), _syslog(first), mtime=last, comp=comp)


def _family(result: tuple[LogFamilyEvidence, ...], name: str) -> LogFamilyEvidence:
    return next(f for f in result if f.family == name)


def test_debian_rotated_mail_log_oldest_entry_33_days(tmp_path: Path) -> None:
    _debian_mail(tmp_path)
    ev = collect_log_family(tmp_path, "mail", DEFAULT_FAMILIES["mail"])
    assert ev.errors == () and ev.complete
    assert ev.oldest_file == "/var/log/mail.log.4.gz"
    assert ev.oldest_method == "entry"
    assert ev.oldest_entry == (NOW - timedelta(days=33)).replace(tzinfo=UTC).isoformat()
    assert ev.age_days_at(NOW) == pytest.approx(33.0, abs=0.01)
    assert ev.age_days_at(NOW.isoformat()) == pytest.approx(33.0, abs=0.01)
    assert len(ev.files) == 5
    by_path = {f.path: f for f in ev.files}
    assert by_path["/var/log/mail.log.3.gz"].compressed == "gz"
    assert by_path["/var/log/mail.log.3.gz"].rotation_index == 3
    assert by_path["/var/log/mail.log"].rotation_index == 0
    assert {"ip-address", "e-mail-address"} <= set(ev.fields)
    assert any("RFC 3164" in n for n in ev.notes)
    dumped = TypeAdapter(LogFamilyEvidence).dump_json(ev)
    assert TypeAdapter(LogFamilyEvidence).validate_json(dumped) == ev
    assert b"alice0@example.org" not in dumped and b"192.0.2.1" not in dumped


def test_year_inferred_across_new_year(tmp_path: Path) -> None:
    lines = ["Dec 28 23:59:01 mx postfix/smtpd[1]: connect", "Jan  2 08:00:00 mx postfix/smtpd[2]: connect"]
    _write(tmp_path, "/var/log/mail.log.1", lines, mtime=datetime(2027, 1, 3, 6, 25, tzinfo=UTC))
    ev = collect_log_family(tmp_path, "mail", ["/var/log/mail.log*"])
    assert ev.oldest_entry == "2026-12-28T23:59:01+00:00"
    assert infer_year(12, 28, datetime(2027, 1, 3, tzinfo=UTC)) == 2026
    assert infer_year(1, 2, datetime(2027, 1, 3, tzinfo=UTC)) == 2027
    assert infer_year(2, 29, datetime(2027, 3, 1, tzinfo=UTC)) == 2024


def test_host_zone_applies_to_rfc3164(tmp_path: Path) -> None:
    berlin = Path("/usr/share/zoneinfo/Europe/Berlin")
    assert berlin.is_file(), "tzdata (Europe/Berlin) is needed: scripts/test.sh installs Debian's tzdata"
    (tmp_path / "etc").mkdir()
    shutil.copyfile(berlin, tmp_path / "etc/localtime")
    _write(tmp_path, "/var/log/mail.log", ["Oct 21 09:15:01 mx postfix/smtpd[1]: x"], mtime=NOW)
    ev = collect_log_family(tmp_path, "mail", ["/var/log/mail.log*"])
    assert ev.oldest_entry == "2026-10-21T09:15:01+02:00"
    assert any("/etc/localtime" in n for n in ev.notes)


def test_nginx_dateext_and_fields(tmp_path: Path) -> None:
    def clf(day: str) -> list[str]:
        return [
            f'198.51.100.7 - bob [{day}:09:15:01 +0100] "GET /SOGo/so/bob HTTP/1.1" 200 512 "-" '
            '"Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0"',
            f'2001:db8::7 - - [{day}:09:16:01 +0100] "POST /login HTTP/2.0" 302 0 "-" "curl/8.5.0"',
        ]

    _write(tmp_path, "/var/log/nginx/access.log", clf("22/Nov/2026"), mtime=NOW)
    _write(tmp_path, "/var/log/nginx/access.log-20261120.gz", clf("13/Nov/2026"), mtime=NOW, comp="gz")
    # the date in the name, not the (touched) mtime, decides which file is oldest
    _write(tmp_path, "/var/log/nginx/access.log-20261101", clf("25/Oct/2026"), mtime=NOW)
    ev = collect_log_family(tmp_path, "web-access", DEFAULT_FAMILIES["web-access"])
    assert ev.oldest_file == "/var/log/nginx/access.log-20261101"
    assert ev.oldest_entry == "2026-10-25T09:15:01+01:00"
    info = {f.path: f for f in ev.files}["/var/log/nginx/access.log-20261120.gz"]
    assert info.date_suffix == "2026-11-20" and info.rotation_index is None and info.compressed == "gz"
    assert set(ev.fields) >= {"ip-address", "url", "user-agent"}


def test_xz_bz2_roundcube_nextcloud_auth(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "/var/log/roundcubemail/userlogins.log-20261101.xz",
        ["[01-Nov-2026 07:00:00 +0100]: <abc123> Successful login for carol@example.org (ID: 3) from 203.0.113.9"],
        mtime=datetime(2026, 11, 8, tzinfo=UTC),
        comp="xz",
    )
    _write(tmp_path, "/var/log/roundcubemail/userlogins.log", ["[20-Nov-2026 07:00:00 +0100]: x"], mtime=NOW)
    _write(
        tmp_path,
        "/var/log/auth.log.2.bz2",
        ["2026-11-05T06:25:01.123456+01:00 mx sshd[9]: Accepted publickey for root from 192.0.2.4 port 2"],
        mtime=datetime(2026, 11, 12, tzinfo=UTC),
        comp="bz2",
    )
    _write(
        tmp_path,
        "/var/www/nextcloud/data/nextcloud.log.1",
        [
            '{"reqId":"Yx1","level":2,"time":"2026-11-02T08:00:00+00:00","remoteAddr":"192.0.2.8","user":"dave",'
            '"app":"core","method":"GET","url":"/index.php/login","message":"Login failed","userAgent":"Mozilla/5.0"}'
        ],
        mtime=datetime(2026, 11, 10, tzinfo=UTC),
    )
    result = collect_logs(tmp_path)
    assert [f.family for f in result] == list(DEFAULT_FAMILIES)
    rc = _family(result, "webmail")
    assert rc.oldest_entry == "2026-11-01T07:00:00+01:00"
    assert rc.files[0].compressed == "xz" or rc.files[1].compressed == "xz"
    assert {"e-mail-address", "ip-address"} <= set(rc.fields)
    auth = _family(result, "auth")
    assert auth.oldest_entry == "2026-11-05T06:25:01.123456+01:00" and auth.files[0].compressed == "bz2"
    nc = _family(result, "cloud")
    assert nc.oldest_entry == "2026-11-02T08:00:00+00:00"
    assert {"ip-address", "user-agent", "url", "user-name"} <= set(nc.fields)
    assert _family(result, "mail").files == () and _family(result, "mail").oldest_entry is None
    TypeAdapter(tuple[LogFamilyEvidence, ...]).validate_json(
        TypeAdapter(tuple[LogFamilyEvidence, ...]).dump_json(result)
    )


def test_unreadable_files_are_errors_and_the_rest_is_read(tmp_path: Path) -> None:
    _debian_mail(tmp_path)
    log = tmp_path / "var/log"
    (log / "mail.log.5.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate" * 4)
    os.mkfifo(log / "mail.log.6")
    (log / "mail.log.7").mkdir()
    _write(tmp_path, "/var/log/mail.log.8", ["no timestamp here", "nor here"], mtime=NOW - timedelta(days=90))
    ev = collect_log_family(tmp_path, "mail", ["/var/log/mail.log*"])
    reasons = {e.path: e.reason for e in ev.errors}
    assert "FIFO" in reasons["/var/log/mail.log.6"]
    assert "directory" in reasons["/var/log/mail.log.7"]
    assert "gz" in reasons["/var/log/mail.log.5.gz"]
    assert "no recognisable timestamp" in reasons["/var/log/mail.log.8"]
    # the next-oldest readable file still gives an answer, flagged as a lower bound
    assert ev.oldest_file == "/var/log/mail.log.4.gz"
    assert ev.age_days_at(NOW) == pytest.approx(33.0, abs=0.01)
    assert ev.complete is False


def test_symlinks_cannot_leave_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _write(outside, "/secret.log", ["Jan  1 00:00:00 other host: outside the root"], mtime=NOW - timedelta(days=900))
    root = tmp_path / "root"
    _write(root, "/var/log/auth.log", ["Nov 20 10:00:00 mx sshd[1]: session opened"], mtime=NOW)
    (root / "var/log/auth.log.1").symlink_to("../../../outside/secret.log")
    (root / "var/log/auth.log.2").symlink_to(outside / "secret.log")  # absolute: re-rooted, so not found
    ev = collect_log_family(root, "auth", ["/var/log/auth.log*"])
    reasons = {e.path: e.reason for e in ev.errors}
    assert "escapes the host root" in reasons["/var/log/auth.log.1"]
    assert "refused" in reasons["/var/log/auth.log.2"]
    assert ev.oldest_file == "/var/log/auth.log"
    assert ev.oldest_entry is not None and ev.oldest_entry.startswith("2026-11-20")


def test_symlink_inside_root_is_followed(tmp_path: Path) -> None:
    _write(tmp_path, "/srv/logs/mail.log.1", ["Nov 10 10:00:00 mx postfix/smtpd[1]: x"], mtime=NOW)
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/mail.log.1").symlink_to("/srv/logs/mail.log.1")  # absolute: means the root's /srv
    ev = collect_log_family(tmp_path, "mail", ["/var/log/mail.log*"])
    assert ev.errors == () and ev.oldest_entry == "2026-11-10T10:00:00+00:00"


def test_journal_oldest_from_archived_name(tmp_path: Path) -> None:
    head = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
    rt = int((head - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)
    jdir = tmp_path / "var/log/journal/0123456789abcdef0123456789abcdef"
    jdir.mkdir(parents=True)
    archived = jdir / f"system@{'a' * 32}-{1:016x}-{rt:016x}.journal"
    archived.write_bytes(b"LPKSHHRH" + b"\0" * 200)
    os.utime(archived, (NOW.timestamp() - 86400 * 20,) * 2)
    live = jdir / "system.journal"
    live.write_bytes(b"LPKSHHRH" + b"\0" * 200)
    os.utime(live, (NOW.timestamp(),) * 2)
    ev = collect_log_family(tmp_path, "journal", DEFAULT_FAMILIES["journal"])
    assert ev.oldest_method == "journal-name" and ev.oldest_entry == head.isoformat()
    assert len(ev.files) == 2 and ev.fields == ()
    assert any("binary" in n for n in ev.notes)


def test_journal_mtime_approximation(tmp_path: Path) -> None:
    jdir = tmp_path / "var/log/journal/0123456789abcdef0123456789abcdef"
    jdir.mkdir(parents=True)
    live = jdir / "system.journal"
    live.write_bytes(b"LPKSHHRH")
    os.utime(live, (NOW.timestamp(),) * 2)
    ev = collect_log_family(tmp_path, "journal", DEFAULT_FAMILIES["journal"])
    assert ev.oldest_method == "mtime" and ev.oldest_entry == NOW.isoformat()


@pytest.mark.parametrize(
    ("line", "expected", "fmt"),
    [
        ("<34>1 2026-11-23T09:15:01.003Z mx sshd 1 - - x", "2026-11-23T09:15:01.003000+00:00", "iso8601"),
        ("[Mon Nov 23 09:15:01.123456 2026] [core:error] [pid 1] x", "2026-11-23T09:15:01+00:00", "apache-error"),
        ("[23-Nov-2026 09:15:01 +0100]: <x> y", "2026-11-23T09:15:01+01:00", "roundcube"),
        ('10.0.0.1 - - [23/Nov/2026:09:15:01 -0500] "GET / HTTP/1.1" 200 1', "2026-11-23T09:15:01-05:00", "common-log"),
        ("2026-11-23 09:15:01 dovecot: imap-login: x", "2026-11-23T09:15:01+00:00", "iso8601"),
    ],
)
def test_parse_line_formats(line: str, expected: str, fmt: str) -> None:
    parsed = parse_line(line, mtime=NOW)
    assert parsed is not None
    assert (parsed[0].isoformat(), parsed[1]) == (expected, fmt)


@pytest.mark.parametrize("line", ["", "hello world", "Foo 23 09:15:01 x", "[99/Nov/2026:09:15:01 +0100]"])
def test_parse_line_rejects(line: str) -> None:
    assert parse_line(line, mtime=NOW) is None


def test_fields_are_kinds_only() -> None:
    lines = [
        "Nov 23 09:15:01 mx postfix/cleanup[5]: 4F1: warning: header Subject: Hi from x[192.0.2.1]",
        "Nov 23 09:15:02 mx postfix/smtpd[5]: 4F1: client=x[2001:db8::1], sasl_username=eve@example.org",
        "Nov 23 09:15:03 mx postfix/cleanup[5]: 4F1: message-id=<a@b>",
        "version 1.2.3 build 4",  # not an address: no dot-number false positive beyond four octets
    ]
    assert fields_in(lines) == {"ip-address", "e-mail-address", "subject-line", "user-name", "message-id"}
    assert fields_in(["version 1.2.3.4.5 ok"]) == set()


def test_sparse_padded_and_bomb_files_cost_only_their_head(tmp_path: Path) -> None:
    import time

    from auditor.collectors.host.logs.files import HEAD_BYTES, find_files, read_head
    from auditor.collectors.host.root import HostRoot

    lines = _syslog(NOW - timedelta(days=40))
    big = _write(tmp_path, "/var/log/mail.log.3.gz", lines, mtime=NOW - timedelta(days=30), comp="gz")
    os.truncate(big, 1 << 30)  # 1 GiB of zero padding after the gzip member (sparse)
    bomb = tmp_path / "var/log/mail.log.2.gz"
    bomb.write_bytes(gzip.compress(b"\0" * (16 << 20)))
    zst = tmp_path / "var/log/mail.log.1.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 64)
    start = time.monotonic()
    errors: list = []
    found, complete = find_files(HostRoot(tmp_path), "/var/log/mail.log*", errors)
    heads = {f.info.path: read_head(f) for f in found}
    assert time.monotonic() - start < 5 and complete and errors == []
    assert heads["/var/log/mail.log.3.gz"][0][0] == lines[0]
    bomb_lines, comp, why = heads["/var/log/mail.log.2.gz"]
    assert comp == "gz" and why is None and sum(len(x) for x in bomb_lines) <= HEAD_BYTES
    assert "no decompressor" in (heads["/var/log/mail.log.1.zst"][2] or "")
    ev = collect_log_family(tmp_path, "mail", ["/var/log/mail.log*"])
    assert ev.oldest_file == "/var/log/mail.log.3.gz"
    assert ev.age_days_at(NOW) == pytest.approx(40.0, abs=0.01)


def test_time_budget_exhausted_is_an_error(tmp_path: Path) -> None:
    _debian_mail(tmp_path)
    ev = collect_log_family(tmp_path, "mail", ["/var/log/mail.log*"], deadline=0.0)
    assert ev.oldest_entry is None and not ev.complete
    assert any("time budget" in e.reason for e in ev.errors)


def test_dotfiles_skipped_odd_names_and_listing_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.collectors.host.logs import files as logfiles

    _write(tmp_path, "/var/log/roundcubemail/.htaccess", ["deny from all"], mtime=NOW)
    _write(tmp_path, "/var/log/roundcubemail/errors.log", ["[20-Nov-2026 07:00:00 +0100]: x"], mtime=NOW)
    odd = os.fsencode(str(tmp_path / "var/log/roundcubemail")) + b"/sql\xff.log"
    with open(odd, "wb") as handle:
        handle.write(b"[19-Nov-2026 07:00:00 +0100]: y\n")
    ev = collect_log_family(tmp_path, "webmail", ["/var/log/roundcubemail/*"])
    assert ev.errors == () and len(ev.files) == 2
    assert ev.oldest_entry == "2026-11-19T07:00:00+01:00" and ev.oldest_file == "/var/log/roundcubemail/sql\ufffd.log"
    TypeAdapter(LogFamilyEvidence).dump_json(ev)  # no surrogate escapes reach the bundle
    monkeypatch.setattr(logfiles, "MAX_FILES_PER_PATTERN", 1)
    ev = collect_log_family(tmp_path, "webmail", ["/var/log/roundcubemail/*"])
    assert not ev.complete and any("cut short" in e.reason for e in ev.errors)


def test_one_family_list_for_disk_paths_and_evidence() -> None:
    assert tuple(DEFAULT_FAMILIES) == LOG_FAMILIES
