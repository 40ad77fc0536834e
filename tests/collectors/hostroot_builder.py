"""Generate host roots in a tmp directory: the Debian-like fixture plus aged logs and a SQLite user DB."""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hostroot"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
#: Ages (days) of the first line in mail.log, mail.log.1, mail.log.2.gz ... as weekly rotation leaves them.
WEEKLY_AGES = (1, 8, 15, 22, 33)


def copy_fixture(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest, symlinks=True)
    return dest


def write_log(root: Path, rel: str, when: datetime, text: str) -> Path:
    """One syslog line (RFC 3164 time) in ``rel``; ``.gz`` names are compressed; mtime just after the line."""
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (when.strftime("%b %e %H:%M:%S") + f" mx1 {text}\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    stamp = (when + timedelta(hours=1)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def rotated_mail_logs(root: Path, ages: tuple[int, ...] = WEEKLY_AGES, now: datetime = NOW) -> None:
    line = "postfix/smtpd[812]: 4F2A1: client=unknown[192.0.2.7], sasl_username=alice@example.org"
    for i, age in enumerate(ages):
        name = "/var/log/mail.log" if i == 0 else f"/var/log/mail.log.{i}" + (".gz" if i > 1 else "")
        write_log(root, name, now - timedelta(days=age), line)


def user_db(
    root: Path,
    rel: str = "/var/lib/mail/users.sqlite",
    *,
    hashes: tuple[str, ...] = (),
    extra_columns: tuple[str, ...] = (),
) -> Path:
    """A PostfixAdmin-like ``mailbox`` table; ``hashes`` are the stored password values."""
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ["username TEXT", "password TEXT", "name TEXT", "created TEXT", *(f"{c} TEXT" for c in extra_columns)]
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE mailbox ({', '.join(columns)})")
        for n, value in enumerate(hashes):
            row = [f"user{n}@example.org", value, f"User {n}", "2024-01-01", *("x" for _ in extra_columns)]
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO mailbox VALUES ({marks})", row)  # noqa: S608 (placeholders only)
    return path


def dovecot_sqlite(root: Path, db: str = "/var/lib/mail/users.sqlite", scheme: str = "SHA512-CRYPT") -> None:
    query = "password_query = SELECT username AS user, password FROM mailbox WHERE username = '%u'\n"
    conf = f"driver = sqlite\nconnect = {db}\ndefault_pass_scheme = {scheme}\n"
    (root / "etc/dovecot/dovecot-sql.conf.ext").write_text(conf + query)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
