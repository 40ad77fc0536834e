"""IP-address columns recognised by name, by database type and by their values (issue 14, item 10)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from auditor.collectors.host.db.inventory import collect_inventory
from auditor.evidence.stored import InventoryEvidence

ADDRESSES = ["192.0.2.10", "2001:db8::5", "198.51.100.7", None, ""]


def _columns(ev: InventoryEvidence) -> dict[str, tuple[str | None, str]]:
    assert ev.ok, ev.errors
    return {f"{t.name}.{c.name}": (c.category, c.recognised_by) for t in ev.tables for c in t.columns}


def test_sqlite_names_and_values(tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE mailbox (username TEXT, last_login_ip TEXT, real_rip TEXT, remote TEXT, "
            "note TEXT, host TEXT, quota INTEGER, trip TEXT)"
        )
        for i, ip in enumerate(ADDRESSES):
            row = (f"u{i}@example.org", ip, ip, ip, "see 192.0.2.1 and more", "mx.example.org", 1, "x")
            conn.execute("INSERT INTO mailbox VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
    cols = _columns(collect_inventory(f"sqlite:///{db}"))
    assert cols["mailbox.last_login_ip"] == ("ip-address", "name")
    assert cols["mailbox.real_rip"] == ("ip-address", "name")  # mailcow's sasl_log
    assert cols["mailbox.remote"] == ("ip-address", "values")  # no telling name: three addresses, two empty
    assert cols["mailbox.note"] == (None, "name") and cols["mailbox.host"] == (None, "name")  # text, host names
    assert cols["mailbox.trip"] == (None, "name") and cols["mailbox.quota"][0] != "ip-address"


def test_postgresql_inet_type_and_values(pg_database: tuple[str, str]) -> None:
    import psycopg

    name, user = pg_database
    with psycopg.connect(host="127.0.0.1", port=5432, user=user, dbname=name, autocommit=True) as conn:
        conn.execute("CREATE TABLE logins (account TEXT, origin INET, net CIDR, peer TEXT, seen TIMESTAMP)")
        for ip in ADDRESSES[:3]:
            conn.execute("INSERT INTO logins VALUES ('a@example.org', %s, '192.0.2.0/24', %s, now())", (ip, ip))
    cols = _columns(collect_inventory(f"postgresql://{user}@127.0.0.1:5432/{name}", timeout=10))
    assert cols["logins.origin"] == ("ip-address", "type")
    assert cols["logins.net"] == ("ip-address", "type")
    assert cols["logins.peer"] == ("ip-address", "values")
    assert cols["logins.seen"][0] is None


def test_mariadb_inet6_type_and_values(mariadb_database: str) -> None:
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database=mariadb_database)
    try:  # closed even when a statement fails: an open transaction would block the fixture's DROP DATABASE
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE sasl_log (service VARCHAR(32), who VARCHAR(64), src INET6, addr VARBINARY(64))")
            for ip in ADDRESSES[:3]:  # INET6 holds IPv4 as mapped addresses
                mapped = ip if ":" in (ip or "") else f"::ffff:{ip}"
                cur.execute("INSERT INTO sasl_log VALUES ('imap', 'a@example.org', %s, %s)", (mapped, ip))
        conn.commit()
    finally:
        conn.close()
    cols = _columns(collect_inventory(f"mysql://root@127.0.0.1:3306/{mariadb_database}", timeout=10))
    assert cols["sasl_log.src"] == ("ip-address", "type")
    assert cols["sasl_log.addr"] == ("ip-address", "values")
    assert cols["sasl_log.service"][0] is None
