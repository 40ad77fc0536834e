"""The lab's host-root snapshots (tests/lab/components/40-hostroot.sh) and demo statements.

These pin down, with the standard library only (never the auditor's own readers), what
the host-evidence tests rely on: drifted/ breaks the privacy statement in known ways
(33-day-old mail logs, MD5-CRYPT hashes, a phone column, the weak Postfix/Dovecot,
a symlink out of the root), compliant/ keeps every promise, and both carry planted
secrets that leak tests grep reports for. No servers are needed: the component only
writes files, so this runs wherever bash and Python do.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent / "lab"
RUN = Path(os.environ.get("LAB_RUN", LAB / "run"))
HOSTROOT = RUN / "hostroot"
DB_PASSWORD = "S3cr3t-planted-DB"
DES_KEY = "rC7-planted-DES-key-0042"
MON = {
    m: i
    for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)
}
DAY = 86400.0


def component_up() -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["bash", str(LAB / "components" / "40-hostroot.sh"), "up"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"40-hostroot.sh up failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def roots() -> dict[str, Path]:
    component_up()
    return {"drifted": HOSTROOT / "drifted", "compliant": HOSTROOT / "compliant"}


def read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return fh.read().splitlines()


def family(directory: Path, base: str) -> list[Path]:
    """Files of a log family, newest first (numbered or dateext names)."""

    def order(p: Path) -> int:
        rest = p.name[len(base) :].removesuffix(".gz")
        if not rest:
            return -(10**9)
        return int(rest[1:]) if rest.startswith(".") else -int(rest[1:])  # .N: higher is older; -DATE: later is newer

    files = [
        p for p in directory.iterdir() if p.name == base or re.fullmatch(re.escape(base) + r"([.-]\d+)(\.gz)?", p.name)
    ]
    return sorted(files, key=order)


def rfc3164_age_days(line: str, mtime: float) -> float:
    """Age of a classic syslog line (host zone UTC); the year is the file's, minus one if that is in the future."""
    mon, day, clock = line.split()[:3]
    year = datetime.fromtimestamp(mtime, UTC).year
    stamp = datetime.strptime(f"{year} {MON[mon]} {day} {clock}", "%Y %m %d %H:%M:%S").replace(tzinfo=UTC)
    if stamp.timestamp() > mtime + DAY:
        stamp = stamp.replace(year=year - 1)
    return (time.time() - stamp.timestamp()) / DAY


def iso_age_days(line: str) -> float:
    return (time.time() - datetime.fromisoformat(line.split()[0]).timestamp()) / DAY


def test_files_exist(roots: dict[str, Path]) -> None:
    common = [
        "etc/postfix/main.cf",
        "etc/postfix/master.cf",
        "etc/postfix/sql/mysql-virtual-mailbox-maps.cf",
        "etc/postfix/sql/sqlite-virtual-mailbox-maps.cf",
        "etc/dovecot/dovecot.conf",
        "etc/dovecot/conf.d/10-auth.conf",
        "etc/dovecot/conf.d/10-ssl.conf",
        "etc/dovecot/conf.d/auth-sql.conf.ext",
        "etc/dovecot/dovecot-sql.conf.ext",
        "etc/logrotate.conf",
        "etc/logrotate.d/rsyslog",
        "etc/logrotate.d/nginx",
        "etc/rsyslog.conf",
        "etc/systemd/journald.conf",
        "etc/nginx/nginx.conf",
        "etc/nginx/sites-available/webmail",
        "etc/roundcube/config.inc.php",
        "etc/roundcube/defaults.inc.php",
        "etc/borgmatic/config.yaml",
        "var/log/mail.log",
        "var/log/syslog",
        "var/log/auth.log",
        "var/log/nginx/access.log",
        "var/lib/mail/users.sqlite",
    ]
    for name, root in roots.items():
        missing = [rel for rel in common if not (root / rel).is_file()]
        assert not missing, f"{name}: missing {missing}"
    assert (roots["drifted"] / "var/log/roundcube/userlogins.log").is_file()
    assert (roots["compliant"] / "etc/systemd/journald.conf.d/60-retention.conf").is_file()
    assert (roots["compliant"] / "var/log/roundcube/errors.log").is_file()
    assert not (roots["compliant"] / "var/log/roundcube/userlogins.log").exists()


def test_drifted_mail_log_is_33_days_old(roots: dict[str, Path]) -> None:
    files = family(roots["drifted"] / "var/log", "mail.log")
    assert [p.name for p in files] == ["mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.3.gz", "mail.log.4.gz"]
    for path in files:
        if path.name.endswith(".gz"):
            with open(path, "rb") as fh:
                assert fh.read(2) == b"\x1f\x8b", f"{path.name} is not gzip"
    oldest = files[-1]
    assert abs(rfc3164_age_days(read_lines(oldest)[0], oldest.stat().st_mtime) - 33) <= 1
    newest = read_lines(files[0])
    assert rfc3164_age_days(newest[-1], files[0].stat().st_mtime) < 1  # written today
    mtimes = [p.stat().st_mtime for p in files]
    assert mtimes == sorted(mtimes, reverse=True), "rotated files' mtimes must grow from oldest to newest"
    text = "\n".join(line for p in files for line in read_lines(p))
    assert "from=<" in text and "nrcpt=1" in text and "imap-login: Login: user=<" in text and "rip=" in text


def test_compliant_logs_span_six_days(roots: dict[str, Path]) -> None:
    files = family(roots["compliant"] / "var/log", "mail.log")
    assert len(files) == 7 and files[1].name.startswith("mail.log-") and not files[1].name.endswith(".gz")
    assert all(p.name.endswith(".gz") for p in files[2:])
    assert abs(iso_age_days(read_lines(files[-1])[0]) - 6) <= 1
    assert iso_age_days(read_lines(files[-1])[0]) < 7
    syslog = [line for p in family(roots["compliant"] / "var/log", "syslog") for line in read_lines(p)]
    assert syslog and not any("postfix/" in line or "dovecot:" in line for line in syslog)
    drifted_syslog = "\n".join(read_lines(roots["drifted"] / "var/log/syslog"))
    assert "postfix/" in drifted_syslog and "dovecot:" in drifted_syslog  # mail.* also lands in syslog


def test_web_and_webmail_logs(roots: dict[str, Path]) -> None:
    drifted = family(roots["drifted"] / "var/log/nginx", "access.log")
    compliant = family(roots["compliant"] / "var/log/nginx", "access.log")
    assert len(drifted) == 15 and len(compliant) == 7
    first = read_lines(drifted[-1])[0]
    stamp = datetime.strptime(re.search(r"\[([^\]]+)\]", first).group(1), "%d/%b/%Y:%H:%M:%S %z")  # type: ignore[union-attr]
    assert abs((time.time() - stamp.timestamp()) / DAY - 14) <= 1
    assert first.count('"') == 6 and "Mozilla/5.0" in first  # combined: request, referer, user agent
    assert read_lines(compliant[-1])[0].count('"') == 2  # no referer, no user agent
    logins = read_lines(roots["drifted"] / "var/log/roundcube/userlogins.log")
    stamp = datetime.strptime(logins[0][1:27], "%d-%b-%Y %H:%M:%S %z")
    assert abs((time.time() - stamp.timestamp()) / DAY - 60) <= 1


def test_user_database(roots: dict[str, Path]) -> None:
    expect = {"drifted": ({"{SHA512-CRYPT}": 4, "{MD5-CRYPT}": 2}, True), "compliant": ({"{SHA512-CRYPT}": 6}, False)}
    for name, (schemes, with_phone) in expect.items():
        con = sqlite3.connect(f"file:{roots[name] / 'var/lib/mail/users.sqlite'}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert tables == {"domain", "mailbox", "alias"}
            columns = [r[1] for r in con.execute("PRAGMA table_info(mailbox)")]
            base = [
                "username",
                "password",
                "name",
                "maildir",
                "quota",
                "local_part",
                "domain",
                "created",
                "modified",
                "active",
            ]
            assert columns == base + (["phone", "email_other"] if with_phone else ["email_other"])
            assert [r[1] for r in con.execute("PRAGMA table_info(alias)")] == [
                "address",
                "goto",
                "domain",
                "created",
                "modified",
                "active",
            ]
            hashes = [r[0] for r in con.execute("SELECT password FROM mailbox")]
            counts: dict[str, int] = {}
            for h in hashes:
                prefix = h[: h.index("}") + 1]
                counts[prefix] = counts.get(prefix, 0) + 1
                shape = (
                    r"\$6\$[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}"
                    if prefix == "{SHA512-CRYPT}"
                    else r"\$1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}"
                )
                assert re.fullmatch(shape, h[len(prefix) :]), f"{name}: malformed {prefix} hash"
            assert counts == schemes
            if with_phone:
                assert con.execute("SELECT count(*) FROM mailbox WHERE phone != ''").fetchone()[0] == 2
        finally:
            con.close()


def test_planted_secrets_and_symlinks(roots: dict[str, Path]) -> None:
    for root in roots.values():
        assert f"password = {DB_PASSWORD}" in (root / "etc/postfix/sql/mysql-virtual-mailbox-maps.cf").read_text()
        assert f"$config['des_key'] = '{DES_KEY}';" in (root / "etc/roundcube/config.inc.php").read_text()
        site = root / "etc/nginx/sites-enabled/webmail"
        assert site.is_symlink() and os.readlink(site) == "../sites-available/webmail"
    key = roots["drifted"] / "etc/ssl/private/mail.key"
    assert key.is_symlink() and os.readlink(key) == "/etc/shadow"
    assert not os.path.lexists(roots["compliant"] / "etc/ssl/private/mail.key")
    for root in roots.values():  # Debian's /etc/localtime: absolute, pointing outside the snapshot
        assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Etc/UTC"
        assert (root / "etc/timezone").read_text() == "Etc/UTC\n"
    info = json.loads((RUN / "lab.d" / "hostroot.json").read_text())["hostroot"]
    assert info["planted_secrets"] == [DB_PASSWORD, DES_KEY]
    assert Path(info["drifted"]).resolve() == roots["drifted"].resolve()


def test_configs_drifted_vs_compliant(roots: dict[str, Path]) -> None:
    d, c = roots["drifted"] / "etc", roots["compliant"] / "etc"
    for root in (d, c):
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                text = path.read_text(encoding="utf-8")
                assert "127.0.25." not in text and "tests/lab" not in text, f"lab-only value in {path}"
    assert re.search(r"(?m)^\trotate 4\n\tweekly$", (d / "logrotate.d/rsyslog").read_text())
    assert re.search(r"(?m)^\tdaily\n\trotate 6\n\tdateext$", (c / "logrotate.d/rsyslog").read_text())
    assert "\trotate 14\n" in (d / "logrotate.d/nginx").read_text()
    assert "\trotate 6\n" in (c / "logrotate.d/nginx").read_text()
    assert re.search(r"(?m)^\*\.\*;auth,authpriv\.none\s+-/var/log/syslog$", (d / "rsyslog.conf").read_text())
    assert re.search(
        r"(?m)^\*\.\*;mail\.none;auth,authpriv\.none\s+-/var/log/syslog$", (c / "rsyslog.conf").read_text()
    )
    assert not re.search(r"(?m)^MaxRetentionSec", (d / "systemd/journald.conf").read_text())
    assert "MaxRetentionSec=7day" in (c / "systemd/journald.conf.d/60-retention.conf").read_text()
    assert "-o smtpd_tls_security_level=may" in (d / "postfix/master.cf").read_text()
    assert "-o smtpd_tls_security_level=encrypt" in (c / "postfix/master.cf").read_text()
    assert "smtpd_tls_auth_only = no" in (d / "postfix/main.cf").read_text()
    assert "disable_plaintext_auth = no" in (d / "dovecot/conf.d/10-auth.conf").read_text()
    assert "disable_plaintext_auth = yes" in (c / "dovecot/conf.d/10-auth.conf").read_text()
    assert "ssl = required" in (c / "dovecot/conf.d/10-ssl.conf").read_text()
    sql = (d / "dovecot/dovecot-sql.conf.ext").read_text()
    assert "driver = sqlite" in sql and "connect = /var/lib/mail/users.sqlite" in sql
    assert "default_pass_scheme = SHA512-CRYPT" in sql and "FROM mailbox" in sql
    assert "$config['log_logins'] = true;" in (d / "roundcube/config.inc.php").read_text()
    assert "$config['log_logins'] = false;" in (c / "roundcube/config.inc.php").read_text()
    assert re.search(r"(?m)^keep_daily: 7\nkeep_weekly: 4\nkeep_monthly: 6$", (d / "borgmatic/config.yaml").read_text())
    borg = (c / "borgmatic/config.yaml").read_text()
    assert "keep_daily: 1" in borg and "keep_weekly" not in borg and "keep_monthly" not in borg


def test_up_is_idempotent_and_fast(roots: dict[str, Path]) -> None:
    stamp = (HOSTROOT / ".stamp.json").read_text()
    inode = roots["drifted"].stat().st_ino
    started = time.monotonic()
    component_up()
    assert time.monotonic() - started < 5
    assert (HOSTROOT / ".stamp.json").read_text() == stamp and roots["drifted"].stat().st_ino == inode


def test_statements() -> None:
    de = " ".join((LAB / "statement" / "datenschutz.md").read_text(encoding="utf-8").split())  # unwrap lines
    en = " ".join((LAB / "statement" / "privacy.md").read_text(encoding="utf-8").split())
    for needle in (
        "§ 9 BDSG",
        "§ 88 TKG",
        "SHA512-CRYPT",
        "sieben",
        "einen Tag später",
        "Deutschland",
        "erzwingen",
        "User-Agent",
        "alternative E-Mail-Adresse",
        "Weiterleitungen",
        "Erstellungsdatum",
    ):
        assert needle in de, needle
    for needle in (
        "§ 9 BDSG",
        "§ 88 TKG",
        "SHA512-CRYPT",
        "seven",
        "one day later",
        "Germany",
        "enforced",
        "user agent",
        "alternative e-mail address",
        "forwarding",
        "creation",
    ):
        assert needle in en, needle
    assert not re.search(r"\b7\b", de + en)  # the promised periods are number words
