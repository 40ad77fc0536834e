"""The host's user database: a PostfixAdmin-like SQLite file with crypt(3) hashes.

The hashes are real SHA512-CRYPT (``$6$``) and MD5-CRYPT (``$1$``) strings, computed
here in pure Python (the ``crypt`` module is deprecated and gone in Python 3.13) from
passwords drawn from a seeded generator: never printed, never a real password.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SHA512_ORDER = (
    (0, 21, 42),
    (22, 43, 1),
    (44, 2, 23),
    (3, 24, 45),
    (25, 46, 4),
    (47, 5, 26),
    (6, 27, 48),
    (28, 49, 7),
    (50, 8, 29),
    (9, 30, 51),
    (31, 52, 10),
    (53, 11, 32),
    (12, 33, 54),
    (34, 55, 13),
    (56, 14, 35),
    (15, 36, 57),
    (37, 58, 16),
    (59, 17, 38),
    (18, 39, 60),
    (40, 61, 19),
    (62, 20, 41),
)
_MD5_ORDER = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


def _b64(b2: int, b1: int, b0: int, n: int) -> str:
    w = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(n):
        out.append(_ITOA64[w & 0x3F])
        w >>= 6
    return "".join(out)


def sha512_crypt(password: str, salt: str) -> str:
    """glibc's ``$6$`` scheme (Drepper's SHA-crypt), default 5000 rounds."""
    pw, s = password.encode(), salt.encode()[:16]
    b = hashlib.sha512(pw + s + pw).digest()
    a = hashlib.sha512(pw + s)
    n = len(pw)
    while n > 64:
        a.update(b)
        n -= 64
    a.update(b[:n])
    i = len(pw)
    while i:
        a.update(b if i & 1 else pw)
        i >>= 1
    c = a.digest()
    p = (hashlib.sha512(pw * len(pw)).digest() * (len(pw) // 64 + 1))[: len(pw)]
    ss = (hashlib.sha512(s * (16 + c[0])).digest() * 2)[: len(s)]
    for r in range(5000):
        h = hashlib.sha512(p if r & 1 else c)
        if r % 3:
            h.update(ss)
        if r % 7:
            h.update(p)
        h.update(c if r & 1 else p)
        c = h.digest()
    body = "".join(_b64(c[x], c[y], c[z], 4) for x, y, z in _SHA512_ORDER) + _b64(0, 0, c[63], 2)
    return f"$6${s.decode()}${body}"


def md5_crypt(password: str, salt: str) -> str:
    """The FreeBSD/glibc ``$1$`` scheme (MD5-CRYPT): the weak legacy one."""
    pw, s = password.encode(), salt.encode()[:8]
    final = hashlib.md5(pw + s + pw).digest()  # noqa: S324
    ctx = hashlib.md5(pw + b"$1$" + s)  # noqa: S324
    for left in range(len(pw), 0, -16):
        ctx.update(final[: min(left, 16)])
    i = len(pw)
    while i:
        ctx.update(b"\0" if i & 1 else pw[:1])
        i >>= 1
    final = ctx.digest()
    for r in range(1000):
        h = hashlib.md5(pw if r & 1 else final)  # noqa: S324
        if r % 3:
            h.update(s)
        if r % 7:
            h.update(pw)
        h.update(final if r & 1 else pw)
        final = h.digest()
    body = "".join(_b64(final[x], final[y], final[z], 4) for x, y, z in _MD5_ORDER) + _b64(0, 0, final[11], 2)
    return f"$1${s.decode()}${body}"


# username, full name, quota MiB, phone (drifted only; from the number ranges Germany reserves for
# film and fiction), alternative address, days since creation, legacy hash (MD5-CRYPT in drifted)
USERS = (
    ("alice", "Alice Amsel", 2048, "+49 30 23125 123", "alice.amsel@example.org", 912, False),
    ("bob", "Bob Buchfink", 1024, None, None, 640, True),
    ("carol", "Carol Cormoran", 1024, "+49 89 99998 456", "carol@example.net", 455, False),
    ("dave", "Dave Dohle", 512, None, None, 1210, True),
    ("erin", "Erin Elster", 1024, None, "erin.elster@example.com", 120, False),
    ("frank", "Frank Fink", 512, None, None, 33, False),
)
DOMAIN = "good.lab.test"
ALIASES = (("postmaster", "alice"), ("abuse", "alice"), ("info", "carol,erin"), ("vorstand", "alice,carol"))


def _schema(with_phone: bool) -> str:
    extra = "  phone varchar(30) NOT NULL DEFAULT '',\n" if with_phone else ""
    return f"""
CREATE TABLE domain (
  domain varchar(255) NOT NULL PRIMARY KEY,
  description varchar(255) NOT NULL DEFAULT '',
  aliases int NOT NULL DEFAULT 0,
  mailboxes int NOT NULL DEFAULT 0,
  maxquota bigint NOT NULL DEFAULT 0,
  quota bigint NOT NULL DEFAULT 0,
  transport varchar(255) NOT NULL DEFAULT 'virtual',
  backupmx smallint NOT NULL DEFAULT 0,
  created datetime NOT NULL,
  modified datetime NOT NULL,
  active smallint NOT NULL DEFAULT 1
);
CREATE TABLE mailbox (
  username varchar(255) NOT NULL PRIMARY KEY,
  password varchar(255) NOT NULL,
  name varchar(255) NOT NULL DEFAULT '',
  maildir varchar(255) NOT NULL,
  quota bigint NOT NULL DEFAULT 0,
  local_part varchar(255) NOT NULL,
  domain varchar(255) NOT NULL REFERENCES domain(domain),
  created datetime NOT NULL,
  modified datetime NOT NULL,
  active smallint NOT NULL DEFAULT 1,
{extra}  email_other varchar(255) NOT NULL DEFAULT ''
);
CREATE INDEX mailbox_domain ON mailbox(domain);
CREATE TABLE alias (
  address varchar(255) NOT NULL PRIMARY KEY,
  goto text NOT NULL,
  domain varchar(255) NOT NULL REFERENCES domain(domain),
  created datetime NOT NULL,
  modified datetime NOT NULL,
  active smallint NOT NULL DEFAULT 1
);
"""


def build_userdb(path: Path, now: datetime, compliant: bool) -> None:
    """Write the database; drifted keeps a phone column and two MD5-CRYPT hashes."""
    rng = random.Random(f"userdb-{compliant}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)

    def stamp(days: int) -> str:
        return (now - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")

    con = sqlite3.connect(path)
    try:
        con.executescript(_schema(with_phone=not compliant))
        con.execute(
            "INSERT INTO domain (domain, description, aliases, mailboxes, maxquota, quota, created, modified)"
            " VALUES (?, ?, 20, 50, 4096, 51200, ?, ?)",
            (DOMAIN, "Mail for the lab association", stamp(1400), stamp(30)),
        )
        for local, name, quota, phone, other, age, legacy in USERS:
            secret = "".join(rng.choice(_ITOA64[2:]) for _ in range(20))
            salt = "".join(rng.choice(_ITOA64) for _ in range(16))
            if legacy and not compliant:
                hashed = "{MD5-CRYPT}" + md5_crypt(secret, salt[:8])
            else:
                hashed = "{SHA512-CRYPT}" + sha512_crypt(secret, salt)
            row = {
                "username": f"{local}@{DOMAIN}",
                "password": hashed,
                "name": name,
                "maildir": f"{DOMAIN}/{local}/",
                "quota": quota * 1024 * 1024,
                "local_part": local,
                "domain": DOMAIN,
                "created": stamp(age),
                "modified": stamp(min(age, 21 if legacy else 5)),
                "active": 1,
                "email_other": other or "",
            }
            if not compliant:
                row["phone"] = phone or ""
            cols, marks = ", ".join(row), ", ".join("?" * len(row))  # fixed column names, values bound
            con.execute(f"INSERT INTO mailbox ({cols}) VALUES ({marks})", tuple(row.values()))  # noqa: S608
        for local, targets in ALIASES:
            goto = ",".join(f"{t}@{DOMAIN}" for t in targets.split(","))
            con.execute(
                "INSERT INTO alias (address, goto, domain, created, modified) VALUES (?, ?, ?, ?, ?)",
                (f"{local}@{DOMAIN}", goto, DOMAIN, stamp(1400), stamp(200)),
            )
        for local, *_ in USERS:  # PostfixAdmin keeps a self-alias per mailbox
            addr = f"{local}@{DOMAIN}"
            con.execute(
                "INSERT INTO alias (address, goto, domain, created, modified) VALUES (?, ?, ?, ?, ?)",
                (addr, addr, DOMAIN, stamp(400), stamp(400)),
            )
        con.commit()
    finally:
        con.close()
