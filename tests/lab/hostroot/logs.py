"""Aged log files of the host roots: mail.log, syslog, auth.log, nginx and Roundcube logs.

Each log family is split into the files logrotate would have left: the current file,
``.1`` (delaycompress) and gzip'd older ones, or ``-YYYYMMDD`` names with dateext. Every
file's mtime is its last line's time. The oldest file's first line is exactly ``span``
before the build time; rotation boundaries are midnights in the host's zone (UTC). Content comes from a
seeded generator, so only the dates depend on when the roots were built.
"""

from __future__ import annotations

import gzip
import os
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HOST, LIP, DOMAIN = "mx1", "192.0.2.25", "good.lab.test"
HOST_TZ = UTC  # the snapshot host runs on UTC (etc/timezone: Etc/UTC), whatever the build machine does
USERS = ("alice", "bob", "carol", "dave", "erin", "frank")
CLIENTS = ("198.51.100.4", "198.51.100.23", "198.51.100.57", "198.51.100.112", "198.51.100.190")
PEERS = (
    ("mail.example.org", "203.0.113.25", "example.org"),
    ("mx.example.net", "203.0.113.40", "example.net"),
    ("smtp.example.com", "203.0.113.71", "example.com"),
    ("unknown", "192.0.2.201", "example.org"),
)
SCANNERS = ("203.0.113.66", "203.0.113.99", "192.0.2.133")
UA = (
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
QCHARS = "0123456789ABCDEF"
Lines = list[tuple[datetime, str]]


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=HOST_TZ)


def segments(now: datetime, span: timedelta, period_days: int, rotate: int) -> list[tuple[datetime, datetime]]:
    """(start, end) of the current file and ROTATE rotated ones, newest first.

    Rotations happen at local midnight every period_days; their phase is chosen so that
    exactly ROTATE rotated files exist and the oldest one starts at ``now - span``.
    """
    start, period = now - span, timedelta(days=period_days)
    bounds: list[datetime] = []
    if rotate:
        latest = start + rotate * period  # the newest rotation must lie just before this
        edge = local_midnight(latest.astimezone(HOST_TZ).date())
        if edge >= latest:
            edge = local_midnight(latest.astimezone(HOST_TZ).date() - timedelta(days=1))
        bounds = [edge - k * period for k in range(rotate)]
        if not start < bounds[-1] or bounds[0] > now:
            raise ValueError(f"a span of {span} does not fit {rotate} rotations every {period_days} days")
    edges = [now, *bounds, start]
    return [(edges[i + 1], edges[i]) for i in range(len(edges) - 1)]


def rotated_names(base: str, segs: list[tuple[datetime, datetime]], dateext: bool) -> list[str]:
    """File names newest first: base, then base.1 / base-DATE (delaycompress), then .gz."""
    names = [base]
    for i, (_, end) in enumerate(segs[1:], start=1):
        # dateext names a file by the day it was rotated, i.e. its segment's end.
        name = f"{base}-{end.astimezone(HOST_TZ):%Y%m%d}" if dateext else f"{base}.{i}"
        names.append(name if i == 1 else name + ".gz")
    return names


def write_family(root: Path, names: list[str], segs: list[tuple[datetime, datetime]], chunks: list[Lines]) -> None:
    for name, (_, end), lines in zip(names, segs, chunks, strict=True):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(line + "\n" for _, line in sorted(lines, key=lambda x: x[0])).encode()
        mtime = max((t for t, _ in lines), default=end).timestamp()
        if name.endswith(".gz"):
            with open(path, "wb") as raw, gzip.GzipFile(Path(name[:-3]).name, "wb", 9, raw, mtime=int(mtime)) as gz:
                gz.write(data)
        else:
            path.write_bytes(data)
        os.utime(path, (mtime, mtime))


def event_times(
    rng: random.Random, start: datetime, end: datetime, per_day: float, exact_start: bool
) -> list[datetime]:
    seconds = max(0.0, (end - start).total_seconds() - 120)
    count = max(1, round(per_day * seconds / 86400))
    times = sorted(start + timedelta(seconds=rng.uniform(0, seconds)) for _ in range(count))
    if exact_start:
        times[0] = start
    return times


def rfc3164(t: datetime) -> str:
    lt = t.astimezone(HOST_TZ)
    return f"{MON[lt.month - 1]} {lt.day:>2} {lt:%H:%M:%S}"


def rfc3339(t: datetime) -> str:
    return t.astimezone(HOST_TZ).isoformat(timespec="microseconds")


def _qid(rng: random.Random) -> str:
    return "".join(rng.choice(QCHARS) for _ in range(10))


def _session(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/") for _ in range(16))


def mail_events(rng: random.Random, times: list[datetime], weak: bool) -> Lines:
    """Postfix and Dovecot lines (tag, message) as syslog would receive them, per event."""
    out: Lines = []
    qmgr = 1187
    for t in times:
        pid, kind = rng.randint(2000, 32000), rng.choices(("in", "out", "imap", "fail", "imapfail"), (5, 3, 6, 1, 1))[0]
        lines: list[str] = []
        if kind == "in":
            peer, ip, dom = rng.choice(PEERS)
            sender, rcpt, q = (
                f"{rng.choice(('news', 'info', 'kontakt', 'j.meier'))}@{dom}",
                rng.choice(USERS),
                _qid(rng),
            )
            lines = [
                f"postfix/smtpd[{pid}]: connect from {peer}[{ip}]",
                f"postfix/smtpd[{pid}]: Anonymous TLS connection established from {peer}[{ip}]: TLSv1.3 with "
                "cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS "
                "(2048 bits) server-digest SHA256",
                f"postfix/smtpd[{pid}]: {q}: client={peer}[{ip}]",
                f"postfix/cleanup[{pid + 3}]: {q}: message-id=<{_qid(rng).lower()}@{dom}>",
                f"postfix/qmgr[{qmgr}]: {q}: from=<{sender}>, size={rng.randint(2000, 90000)}, nrcpt=1 (queue active)",
                f"postfix/virtual[{pid + 5}]: {q}: to=<{rcpt}@{DOMAIN}>, relay=virtual, "
                f"delay=0.{rng.randint(10, 99)}, delays=0.1/0.01/0/0.05, dsn=2.0.0, status=sent (delivered to maildir)",
                f"postfix/qmgr[{qmgr}]: {q}: removed",
                f"postfix/smtpd[{pid}]: disconnect from {peer}[{ip}] "
                "ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
            ]
        elif kind == "out":
            user, ip, q = rng.choice(USERS), rng.choice(CLIENTS), _qid(rng)
            peer, pip, dom = rng.choice(PEERS[:3])
            plain = weak and rng.random() < 0.3  # AUTH before STARTTLS, which the weak setup allows
            cmds = (
                "ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6"
                if plain
                else "ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8"
            )
            lines = [
                f"postfix/submission/smtpd[{pid}]: connect from unknown[{ip}]",
                f"postfix/submission/smtpd[{pid}]: {q}: client=unknown[{ip}], sasl_method=PLAIN, "
                f"sasl_username={user}@{DOMAIN}",
                f"postfix/cleanup[{pid + 3}]: {q}: message-id=<{_qid(rng).lower()}@{DOMAIN}>",
                f"postfix/qmgr[{qmgr}]: {q}: from=<{user}@{DOMAIN}>, size={rng.randint(1500, 40000)}, "
                "nrcpt=1 (queue active)",
                f"postfix/smtp[{pid + 7}]: {q}: to=<{rng.choice(('anna', 'ben', 'team'))}@{dom}>, "
                f"relay={peer}[{pip}]:25, delay=1.{rng.randint(0, 9)}, delays=0.1/0.02/0.6/0.4, dsn=2.0.0, "
                f"status=sent (250 2.0.0 Ok: queued as {_qid(rng)})",
                f"postfix/qmgr[{qmgr}]: {q}: removed",
                f"postfix/submission/smtpd[{pid}]: disconnect from unknown[{ip}] {cmds}",
            ]
        elif kind in ("imap", "imapfail"):
            user, ip, sess, proto = (
                rng.choice(USERS),
                rng.choice(CLIENTS),
                _session(rng),
                rng.choice(("imap", "imap", "pop3")),
            )
            tls = "" if weak and rng.random() < 0.25 else ", TLS"
            if kind == "imapfail":
                ip = rng.choice(SCANNERS)
                lines = [
                    f"dovecot: {proto}-login: Disconnected: Connection closed (auth failed, 3 attempts in 9 secs): "
                    f"user=<{user}@{DOMAIN}>, method=PLAIN, rip={ip}, lip={LIP}{tls}, session=<{sess}>"
                ]
            else:
                stats = (
                    "in=214 out=1873 top=0/0 retr=1/1904 del=0/1 size=1904"
                    if proto == "pop3"
                    else f"in={rng.randint(100, 900)} out={rng.randint(1000, 90000)} deleted=0 expunged=0 trashed=0 "
                    "hdr_count=0 hdr_bytes=0 body_count=1 body_bytes=2048"
                )
                lines = [
                    f"dovecot: {proto}-login: Login: user=<{user}@{DOMAIN}>, method=PLAIN, rip={ip}, lip={LIP}, "
                    f"mpid={pid}{tls}, session=<{sess}>",
                    f"dovecot: {proto}({user}@{DOMAIN})<{pid}><{sess}>: Disconnected: Logged out {stats}",
                ]
        else:
            ip = rng.choice(SCANNERS)
            lines = [
                f"postfix/submission/smtpd[{pid}]: connect from unknown[{ip}]",
                f"postfix/submission/smtpd[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication failed: "
                "UGFzc3dvcmQ6",
                f"postfix/submission/smtpd[{pid}]: lost connection after AUTH from unknown[{ip}]",
                f"postfix/submission/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 commands=1/2",
            ]
        out += [(t + timedelta(milliseconds=150 * i), line) for i, line in enumerate(lines)]
    return out


def system_events(rng: random.Random, times: list[datetime]) -> Lines:
    msgs = (
        "CRON[{p}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
        "systemd[1]: Starting logrotate.service - Rotate log files...",
        "systemd[1]: logrotate.service: Deactivated successfully.",
        "systemd[1]: Starting borgmatic.service - borgmatic backup...",
        "systemd[1]: borgmatic.service: Deactivated successfully.",
        "systemd[1]: Starting apt-daily.service - Daily apt download activities...",
        "systemd[1]: Started phpsessionclean.service - Clean php session files.",
        "kernel: [UFW BLOCK] IN=eth0 OUT= SRC={s} DST=" + LIP + " PROTO=TCP SPT=51234 DPT=23",
    )
    return [(t, rng.choice(msgs).format(p=rng.randint(2000, 32000), s=rng.choice(SCANNERS))) for t in times]


def auth_events(rng: random.Random, times: list[datetime]) -> Lines:
    out: Lines = []
    for t in times:
        pid = rng.randint(2000, 32000)
        if rng.random() < 0.5:
            out += [
                (
                    t,
                    f"sshd[{pid}]: Accepted publickey for admin from 203.0.113.10 port {rng.randint(40000, 60000)} "
                    "ssh2: ED25519 SHA256:q3Lk0fW9nJ1vY7cXb2Tg8Rz5Hd4Ms6Pa0Ue1Ni9Ko2I",
                ),
                (
                    t + timedelta(seconds=1),
                    f"sshd[{pid}]: pam_unix(sshd:session): session opened for user admin(uid=1000) by (uid=0)",
                ),
            ]
        else:
            out.append((t, f"CRON[{pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"))
    return out


def syslog_files(
    root: Path, now: datetime, span: timedelta, period: int, rotate: int, dateext: bool, weak: bool
) -> None:
    """mail.log, syslog (with the mail lines when mail is not excluded) and auth.log."""
    rng = random.Random(f"syslog-{weak}")
    segs = segments(now, span, period, rotate)
    stamp = rfc3164 if weak else rfc3339  # compliant: Debian 13's high-precision default format

    def fmt(lines: Lines) -> Lines:
        return [(t, f"{stamp(t)} {HOST} {msg}") for t, msg in lines]

    mail, syslog, auth = [], [], []
    for i, (start, end) in enumerate(segs):
        oldest = i == len(segs) - 1
        m = mail_events(rng, event_times(rng, start, end, 14, oldest), weak)
        s = system_events(rng, event_times(rng, start, end, 10, oldest))
        mail.append(fmt(m))
        syslog.append(fmt(s + m) if weak else fmt(s))
        auth.append(fmt(auth_events(rng, event_times(rng, start, end, 4, oldest))))
    for base, chunks in (("mail.log", mail), ("syslog", syslog), ("auth.log", auth)):
        write_family(root / "var/log", rotated_names(base, segs, dateext), segs, chunks)


def _nginx_time(t: datetime) -> str:
    lt = t.astimezone(HOST_TZ)
    return f"{lt.day:02d}/{MON[lt.month - 1]}/{lt.year}:{lt:%H:%M:%S %z}"


def nginx_files(root: Path, now: datetime, span: timedelta, rotate: int, with_agent: bool) -> None:
    rng = random.Random(f"nginx-{with_agent}")
    segs = segments(now, span, 1, rotate)
    pages = (
        ("GET", "/?_task=mail&_mbox=INBOX", 200),
        ("POST", "/?_task=login", 302),
        ("GET", "/", 200),
        ("GET", "/?_task=mail&_action=refresh&_mbox=INBOX&_remote=1", 200),
        ("GET", "/skins/elastic/deps/bootstrap.min.css?s=1717000000", 200),
        ("GET", "/?_task=mail&_action=show&_uid=4711&_mbox=INBOX", 200),
        ("GET", "/robots.txt", 404),
    )
    chunks: list[Lines] = []
    for i, (start, end) in enumerate(segs):
        lines: Lines = []
        for t in event_times(rng, start, end, 24, i == len(segs) - 1):
            method, url, status = rng.choice(pages)
            bot = url == "/robots.txt"
            ip = rng.choice(SCANNERS) if bot else rng.choice(CLIENTS)
            line = (
                f'{ip} - - [{_nginx_time(t)}] "{method} {url} HTTP/{"1.1" if bot else "2.0"}" {status} '
                f"{ {302: 0, 404: 153}.get(status, rng.randint(150, 60000)) }"
            )
            if with_agent:
                ref = "-" if bot else "https://webmail.good.lab.test/?_task=mail&_mbox=INBOX"
                line += f' "{ref}" "{BOT if bot else rng.choice(UA)}"'
            lines.append((t, line))
        chunks.append(lines)
    write_family(root / "var/log/nginx", rotated_names("access.log", segs, False), segs, chunks)


def _rc_time(t: datetime) -> str:
    lt = t.astimezone(HOST_TZ)
    return f"[{lt.day:02d}-{MON[lt.month - 1]}-{lt.year} {lt:%H:%M:%S %z}]"


def roundcube_files(root: Path, now: datetime, drifted: bool) -> None:
    """drifted: userlogins.log and sendmail.log, 60 days, never rotated; compliant: errors.log, 6 days, daily."""
    rng = random.Random(f"roundcube-{drifted}")

    def sid() -> str:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(26))

    def family(base: str, span_days: int, rotate: int, per_day: float, line: Callable[[datetime], str]) -> None:
        segs = segments(now, timedelta(days=span_days), 1, rotate)
        chunks = [
            [(t, line(t)) for t in event_times(rng, s, e, per_day, i == len(segs) - 1)] for i, (s, e) in enumerate(segs)
        ]
        write_family(root / "var/log/roundcube", rotated_names(base, segs, False), segs, chunks)

    def login(t: datetime) -> str:
        s, user, ip = sid(), rng.choice(USERS), rng.choice(CLIENTS)
        if rng.random() < 0.15:
            bad = rng.choice(SCANNERS)
            return f"{_rc_time(t)}: <{s[:8]}> Failed login for {user}@{DOMAIN} from {bad} in session {s} (error: 0)"
        uid = USERS.index(user) + 1
        return f"{_rc_time(t)}: <{s[:8]}> Successful login for {user}@{DOMAIN} (ID: {uid}) from {ip} in session {s}"

    def sent(t: datetime) -> str:
        s, user, ip = sid(), rng.choice(USERS), rng.choice(CLIENTS)
        return (
            f"{_rc_time(t)}: <{s[:8]}> User {user}@{DOMAIN} [{ip}]; Message <{s[8:20]}@{DOMAIN}> for "
            f"{rng.choice(('anna@example.org', 'ben@example.net'))}; 250: 2.0.0 Ok: queued as {_qid(rng)}"
        )

    def error(t: datetime) -> str:
        s = sid()
        return (
            f"{_rc_time(t)}: <{s[:8]}> IMAP Error: Login failed for {rng.choice(USERS)}@{DOMAIN} against "
            f"mx1.good.lab.test from {rng.choice(SCANNERS)}. AUTHENTICATE PLAIN: Authentication failed. in "
            "/usr/share/roundcube/program/lib/Roundcube/rcube_imap.php on line 211 (POST /?_task=login&_action=login)"
        )

    if drifted:
        family("userlogins.log", 60, 0, 3, login)
        family("sendmail.log", 60, 0, 2, sent)
    else:
        family("errors.log", 6, 6, 1, error)
