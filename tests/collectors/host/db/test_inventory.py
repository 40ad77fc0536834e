"""Data inventory on SQLite, the real PostgreSQL and the real MariaDB (PostfixAdmin-like schema)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from auditor.collectors.host.db.dsn import parse_dsn, sanitise
from auditor.collectors.host.db.engines import MysqlEngine, PostgresEngine, SqliteEngine
from auditor.collectors.host.db.inventory import collect_inventory
from auditor.collectors.host.db.lexicon import Lexicon, LexiconError
from auditor.evidence.hash_schemes import scheme_of
from auditor.evidence.stored import InventoryEvidence

SECRET = "S3cr3t-planted"
HASH_MARK = "HASHMARKq7"  # planted in every stored hash; must never reach the evidence

SCHEMA = [
    """CREATE TABLE mailbox (
        username VARCHAR(255) NOT NULL PRIMARY KEY, password VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL,
        maildir VARCHAR(255) NOT NULL, quota BIGINT NOT NULL DEFAULT 0, created TIMESTAMP NULL,
        modified TIMESTAMP NULL, active SMALLINT NOT NULL DEFAULT 1, phone VARCHAR(30) NULL,
        alt_email VARCHAR(255) NULL, domain VARCHAR(255) NOT NULL)""",
    "CREATE TABLE alias (address VARCHAR(255) NOT NULL PRIMARY KEY, goto TEXT NOT NULL, domain VARCHAR(255) NOT NULL)",
    "CREATE TABLE domain (domain VARCHAR(255) NOT NULL PRIMARY KEY, description VARCHAR(255), quota BIGINT)",
]
HASHES = (
    [f"$1${HASH_MARK}${i:022d}" for i in range(3)]  # MD5-CRYPT (PostfixAdmin's old md5crypt)
    + [f"{{SHA512-CRYPT}}$6${HASH_MARK}${i:086d}" for i in range(4)]
    + [f"$6$rounds=5000${HASH_MARK}${hashlib.sha512(str(i).encode()).hexdigest()[:86]}" for i in range(1)]
    + [f"{{PLAIN}}{HASH_MARK}"]
)
EXPECTED_SCHEMES = {"MD5-CRYPT": 3, "SHA512-CRYPT": 5, "PLAIN": 1}


def _rows() -> list[tuple[Any, ...]]:
    return [
        (
            f"user{i}@example.org",
            h,
            f"User {i}",
            f"example.org/user{i}/",
            1024,
            None,
            None,
            1,
            f"+49 30 {i:07d}",
            f"private{i}@example.net",
            "example.org",
        )
        for i, h in enumerate(HASHES)
    ]


def _populate(execute: Callable[[str, tuple[Any, ...]], object], mark: str) -> None:
    """Create and fill the schema; ``mark`` is the driver's placeholder (our own constant, not input)."""
    for ddl in SCHEMA:
        execute(ddl, ())
    for row in _rows():
        execute(f"INSERT INTO mailbox VALUES ({', '.join([mark] * 11)})", row)  # noqa: S608
    execute(
        f"INSERT INTO alias VALUES ({mark}, {mark}, {mark})",  # noqa: S608
        ("info@example.org", "user0@example.org", "example.org"),
    )
    execute(f"INSERT INTO domain VALUES ({mark}, {mark}, {mark})", ("example.org", "Example", 0))  # noqa: S608


def _assert_postfixadmin(ev: InventoryEvidence) -> None:
    assert ev.errors == (), ev.errors
    assert ev.hash_schemes == EXPECTED_SCHEMES
    assert ev.hash_columns == ("mailbox.password",)
    assert ev.hash_rows_examined == len(HASHES) and not ev.truncated
    tables = {t.name: t for t in ev.tables}
    assert set(tables) == {"mailbox", "alias", "domain"}
    assert tables["mailbox"].rows == len(HASHES) and tables["alias"].rows == 1 and tables["domain"].rows == 1
    cats = {c.name: c.category for c in tables["mailbox"].columns}
    assert cats["username"] == "e-mail-address" and cats["password"] == "password" and cats["name"] == "name"
    assert cats["phone"] == "phone" and cats["alt_email"] == "alternative-address"
    assert cats["created"] == "account-created" and cats["quota"] == "quota-usage" and cats["maildir"] is None
    assert {c.name: c.category for c in tables["alias"].columns}["goto"] == "forwarding-address"
    assert {"phone", "alternative-address", "e-mail-address", "password", "forwarding-address"} <= set(
        ev.categories_found
    )
    dumped = TypeAdapter(InventoryEvidence).dump_json(ev)
    assert TypeAdapter(InventoryEvidence).validate_json(dumped) == ev
    for leak in (SECRET, HASH_MARK, "$6$", "$1$", "private0@example.net"):
        assert leak.encode() not in dumped and leak not in repr(ev)


def _sqlite_db(root: Path) -> Path:
    path = root / "var/lib/postfixadmin/postfixadmin.db"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        _populate(lambda sql, args: conn.execute(sql, args), "?")
    return path


def test_sqlite_postfixadmin_inside_host_root(tmp_path: Path) -> None:
    db = _sqlite_db(tmp_path)
    before = db.read_bytes()
    ev = collect_inventory("sqlite:///var/lib/postfixadmin/postfixadmin.db", host_root=tmp_path)
    _assert_postfixadmin(ev)
    assert ev.engine == "sqlite" and ev.dsn_redacted == "sqlite:///var/lib/postfixadmin/postfixadmin.db"
    assert db.read_bytes() == before


def test_sqlite_plain_path_and_row_bound(tmp_path: Path) -> None:
    db = _sqlite_db(tmp_path)
    ev = collect_inventory(f"sqlite://{db}", max_rows=4)
    assert ev.truncated and ev.hash_rows_examined == 4 and sum(ev.hash_schemes.values()) == 4


def test_sqlite_connection_is_read_only(tmp_path: Path) -> None:
    engine = SqliteEngine(_sqlite_db(tmp_path), timeout=5)
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
        engine._conn.execute("DELETE FROM mailbox")
    engine.close()


def test_sqlite_errors_are_values(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/not.db").write_text("this is not a database " * 100)
    ev = collect_inventory("sqlite:///etc/not.db", host_root=tmp_path)
    assert ev.tables == () and "not a database" in ev.errors[0].reason
    ev = collect_inventory("sqlite:///missing.db", host_root=tmp_path)
    assert "not found" in ev.errors[0].reason
    outside = tmp_path.parent / f"{tmp_path.name}-outside.db"
    sqlite3.connect(outside).close()
    (tmp_path / "escape.db").symlink_to(f"../{outside.name}")
    ev = collect_inventory("sqlite:///escape.db", host_root=tmp_path)
    assert "escapes the host root" in ev.errors[0].reason and ev.tables == ()
    ev = collect_inventory("oracle://u:S3cr3t-planted@h/db")
    assert ev.engine == "unknown" and SECRET not in TypeAdapter(InventoryEvidence).dump_json(ev).decode()


def test_postgresql_real_server(pg_database: tuple[str, str]) -> None:
    name, user = pg_database
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=5432, user=user, dbname=name, autocommit=True) as conn:
        _populate(lambda sql, args: conn.execute(sql, args), "%s")  # type: ignore[arg-type]
    ev = collect_inventory(f"postgresql://{user}:{SECRET}@127.0.0.1:5432/{name}", timeout=10)
    _assert_postfixadmin(ev)
    assert ev.engine == "postgresql"
    assert ev.dsn_redacted == f"postgresql://{user}:<redacted>@127.0.0.1:5432/{name}"
    engine = PostgresEngine(parse_dsn(f"postgresql://{user}@127.0.0.1:5432/{name}"), timeout=5)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        engine._conn.execute("DELETE FROM mailbox")
    engine.close()


def test_mariadb_real_server(mariadb_database: str) -> None:
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database=mariadb_database)
    with conn.cursor() as cur:
        _populate(lambda sql, args: cur.execute(sql, args), "%s")
    conn.commit()
    conn.close()
    ev = collect_inventory(f"mysql://root@127.0.0.1:3306/{mariadb_database}", timeout=10)
    _assert_postfixadmin(ev)
    assert ev.engine == "mysql" and ev.dsn_redacted == f"mysql://root@127.0.0.1:3306/{mariadb_database}"
    engine = MysqlEngine(parse_dsn(f"mysql://root@127.0.0.1:3306/{mariadb_database}"), timeout=5)
    with pytest.raises(pymysql.MySQLError, match="READ ONLY"), engine._conn.cursor() as cur:
        cur.execute("DELETE FROM mailbox")
    engine.close()


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://nobody:{SECRET}@127.0.0.1:5432/auditor_no_such_db_x",
        f"postgresql://postgres:{SECRET}@127.0.0.1:1/db",
        f"mysql://nobody:{SECRET}@127.0.0.1:3306/nodb",
        f"mysql://root:{SECRET}@127.0.0.1:1/nodb",
        f"postgresql://u:{SECRET}@127.0.0.1:notaport/db",
    ],
)
def test_password_never_in_errors(dsn: str, postgres_server: str, mariadb_server: str) -> None:
    ev = collect_inventory(dsn, timeout=3)
    assert ev.errors and ev.tables == ()
    dumped = TypeAdapter(InventoryEvidence).dump_json(ev).decode()
    assert SECRET not in dumped and SECRET not in repr(ev) and SECRET not in str(ev.errors[0])


def test_dsn_parsing_and_redaction() -> None:
    d = parse_dsn(f"postgresql://dove:{SECRET}@db.example:6432/mail?sslmode=require&sslpassword=x")
    assert (d.engine, d.host, d.port, d.user, d.database) == ("postgresql", "db.example", 6432, "dove", "mail")
    assert d.password == SECRET and SECRET not in repr(d)
    assert d.redacted() == "postgresql://dove:<redacted>@db.example:6432/mail?sslmode=require&sslpassword=<redacted>"
    assert parse_dsn("sqlite:////var/lib/x.db").path == "/var/lib/x.db"
    assert parse_dsn("mariadb://root@localhost/postfix").engine == "mysql"
    assert sanitise(f"failed for pass {SECRET} at mysql://a:{SECRET}@h password={SECRET}", d).count(SECRET) == 0


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("{SHA512-CRYPT}$6$salt$hash", "SHA512-CRYPT"),
        ("$6$salt$hash", "SHA512-CRYPT"),
        ("{SHA256-CRYPT}$5$x$y", "SHA256-CRYPT"),
        ("$1$salt$hash", "MD5-CRYPT"),
        ("{MD5-CRYPT}$1$a$b", "MD5-CRYPT"),
        ("{PLAIN}secret", "PLAIN"),
        ("{CLEARTEXT}secret", "PLAIN"),
        ("hunter2", "PLAIN"),
        ("{SSHA}abcdef==", "SSHA"),
        ("{SSHA512.b64}abc", "SSHA512"),
        ("{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "SHA1"),
        ("$2y$10$abcdefghijklmnopqrstuu", "BLF-CRYPT"),
        ("{BLF-CRYPT}$2b$05$x", "BLF-CRYPT"),
        ("$argon2id$v=19$m=65536,t=3,p=1$x$y", "ARGON2ID"),
        ("{ARGON2ID}$argon2id$v=19$x", "ARGON2ID"),
        ("{CRYPT}$6$x$y", "SHA512-CRYPT"),
        ("{CRYPT}ab01FAX.bQRSU", "DES-CRYPT"),
        ("5f4dcc3b5aa765d61d8327deb882cf99", "PLAIN-MD5"),
        ("{mysecretpassword}", "UNKNOWN-PREFIX"),
        ("$zz$abc", "UNKNOWN-CRYPT"),
        ("", "EMPTY"),
        (None, "EMPTY"),
        (b"$6$bytes$value", "SHA512-CRYPT"),
    ],
)
def test_scheme_of(value: str | bytes | None, scheme: str) -> None:
    assert scheme_of(value) == scheme


def test_lexicon_errors_name_file_and_rule(tmp_path: Path) -> None:
    bad = tmp_path / "lex.yaml"
    bad.write_text("rules:\n  - category: phone\n    columns: ['tel(']\n")
    with pytest.raises(LexiconError, match=r"lex\.yaml: rule 1: bad regular expression"):
        Lexicon.load(bad)
    lex = Lexicon.load()
    assert lex.category("mailbox", "Telefon") == "phone"
    assert lex.category("users", "Nachname") == "name"
    assert lex.category("domain", "name") is None
    assert lex.category("mailbox", "password_changed") is None
    assert lex.category("mailbox", "weiterleitung") == "forwarding-address"
    assert lex.category("mailbox", "last_login_ip") == "ip-address"


def test_build_dsn_from_config_parts() -> None:
    from auditor.collectors.host.db.dsn import DsnError, build_dsn

    dsn = build_dsn("pgsql", host="127.0.0.1", port="5432", user="dovecot", database="mail", password=SECRET)
    assert parse_dsn(dsn).password == SECRET and SECRET not in parse_dsn(dsn).redacted()
    sock = parse_dsn(build_dsn("pgsql", host="/var/run/postgresql", user="dovecot", database="mail"))
    assert (sock.host, sock.database, sock.port) == ("/var/run/postgresql", "mail", None)
    my = parse_dsn(build_dsn("mysql", host="/run/mysqld/mysqld.sock", user="vmail", database="vmail"))
    assert my.engine == "mysql" and my.param("unix_socket") == "/run/mysqld/mysqld.sock"
    assert parse_dsn(build_dsn("sqlite", database="/etc/dovecot/users.db")).path == "/etc/dovecot/users.db"
    with pytest.raises(DsnError):
        build_dsn("oracle", database="x")


def test_pg_dsn_from_build_dsn_connects(pg_database: tuple[str, str]) -> None:
    from auditor.collectors.host.db.dsn import build_dsn

    name, user = pg_database
    ev = collect_inventory(build_dsn("pgsql", host="127.0.0.1", port=5432, user=user, database=name, password=SECRET))
    assert ev.errors == () and ev.tables == () and SECRET not in TypeAdapter(InventoryEvidence).dump_json(ev).decode()


def test_unreachable_server_fails_with_the_start_command() -> None:
    from tests.collectors.host.db.conftest import MARIADB_START, ensure_server

    calls: list[str] = []

    def start() -> str:
        calls.append("start")
        return "simulated: could not start"

    with pytest.raises(pytest.fail.Exception, match="start-stop-daemon --start"):
        ensure_server(1, start, MARIADB_START, "MariaDB", wait_s=0.5)  # nothing listens on port 1
    assert calls == ["start"]


def test_sqlite_time_bound(tmp_path: Path) -> None:
    db = tmp_path / "big.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (email TEXT, password TEXT)")
        conn.executemany("INSERT INTO users VALUES (?, ?)", ((f"u{i}@x", f"$6${i}$h") for i in range(60_000)))
    full = collect_inventory(f"sqlite://{db}", max_rows=1_000_000)
    assert full.hash_schemes == {"SHA512-CRYPT": 60_000} and full.errors == ()
    cut = collect_inventory(f"sqlite://{db}", max_rows=1_000_000, timeout=0.005)
    assert cut.errors and cut.hash_rows_examined < 60_000
    assert any("interrupted" in e.reason or "budget" in e.reason for e in cut.errors)


def test_postgresql_unreadable_table_is_an_error(pg_database: tuple[str, str]) -> None:
    """A role that may read ``mailbox`` but not ``alias``: alias is listed, its count is an error, the rest works."""
    import secrets

    import psycopg

    name, user = pg_database
    role = f"auditor_ro_{secrets.token_hex(4)}"
    with psycopg.connect(host="127.0.0.1", port=5432, user=user, dbname=name, autocommit=True) as conn:
        _populate(lambda sql, args: conn.execute(sql, args), "%s")  # type: ignore[arg-type]
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT SELECT ON mailbox, domain TO "{role}"')
    try:
        ev = collect_inventory(f"postgresql://{role}@127.0.0.1:5432/{name}")
        tables = {t.name: t for t in ev.tables}
        assert set(tables) == {"mailbox", "alias", "domain"}
        assert tables["alias"].rows is None and tables["mailbox"].rows == len(HASHES)
        assert [e.path.rsplit("#", 1)[1] for e in ev.errors] == ["alias"]
        assert "permission denied" in ev.errors[0].reason
        assert ev.hash_schemes == EXPECTED_SCHEMES
    finally:
        with psycopg.connect(host="127.0.0.1", port=5432, user=user, dbname=name, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
