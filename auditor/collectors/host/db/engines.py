"""Read-only connections to the user database: SQLite, PostgreSQL (psycopg 3), MariaDB/MySQL (PyMySQL).

Each adapter offers the same four operations: list tables with columns, count a table's
rows, stream one column's values with a ``LIMIT``, close. Every connection is made
read-only at the server (SQLite ``mode=ro``, PostgreSQL ``default_transaction_read_only``,
MariaDB/MySQL ``START TRANSACTION READ ONLY``) and bounded in time (connect timeout,
statement timeout, SQLite progress handler), because the database is untrusted input
and an audit must never write to it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from auditor.collectors.host.db.dsn import ParsedDsn

MAX_TABLES = 1000
FETCH_BATCH = 1000


class Engine(Protocol):
    """What the inventory needs from a database connection."""

    def tables(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """``[(table name, [(column, type), ...]), ...]`` in a stable order."""
        ...

    def count(self, table: str) -> int: ...

    def values(self, table: str, column: str, limit: int) -> Iterator[Any]: ...

    def close(self) -> None: ...


def _sqlite_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteEngine:
    """A SQLite file opened with ``mode=ro``; a progress handler aborts any statement past the deadline."""

    def __init__(self, path: Path, timeout: float) -> None:
        self._deadline = time.monotonic() + timeout
        uri = f"file:{quote(str(path))}?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, timeout=min(timeout, 5.0), check_same_thread=False)
        # never raise on bad UTF-8: sqlite3's decode error would quote the stored value (a hash)
        self._conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
        self._conn.set_progress_handler(self._over_time, 10_000)
        self._conn.execute("PRAGMA query_only = ON")
        self._conn.execute("PRAGMA trusted_schema = OFF")  # views/triggers in a hostile file run no SQL functions
        self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # "file is not a database" surfaces here

    def _over_time(self) -> int:
        return 1 if time.monotonic() > self._deadline else 0

    def tables(self) -> list[tuple[str, list[tuple[str, str]]]]:
        names = [
            r[0]
            for r in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                "ORDER BY name LIMIT ?",
                (MAX_TABLES,),
            )
        ]
        out = []
        for name in names:
            cols = [
                (str(r[1]), str(r[2] or "")) for r in self._conn.execute(f"PRAGMA table_info({_sqlite_ident(name)})")
            ]
            out.append((name, cols))
        return out

    def count(self, table: str) -> int:
        return int(self._conn.execute(f"SELECT count(*) FROM {_sqlite_ident(table)}").fetchone()[0])  # noqa: S608

    def values(self, table: str, column: str, limit: int) -> Iterator[Any]:
        cur = self._conn.execute(
            f"SELECT {_sqlite_ident(column)} FROM {_sqlite_ident(table)} LIMIT ?",  # noqa: S608 (quoted identifiers)
            (limit,),
        )
        while batch := cur.fetchmany(FETCH_BATCH):
            for row in batch:
                yield row[0]

    def close(self) -> None:
        self._conn.close()


class PostgresEngine:
    """psycopg 3 in autocommit mode with every transaction read-only and a statement timeout."""

    def __init__(self, dsn: ParsedDsn, timeout: float) -> None:
        import psycopg  # imported here: only needed when auditing a PostgreSQL database

        self._psycopg = psycopg
        millis = max(1, int(timeout * 1000))
        kwargs: dict[str, Any] = {
            "host": dsn.host,
            "port": dsn.port,
            "user": dsn.user,
            "password": dsn.password,
            "dbname": dsn.database,
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c default_transaction_read_only=on -c statement_timeout={millis}",
            "application_name": "auditor",
            "sslmode": dsn.param("sslmode") or "prefer",
        }
        self._conn = psycopg.connect(autocommit=True, **{k: v for k, v in kwargs.items() if v is not None})
        self._conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        self._idents: dict[str, tuple[str, str]] = {}

    def tables(self) -> list[tuple[str, list[tuple[str, str]]]]:
        # pg_catalog, not information_schema: the latter hides tables the audit role may not read,
        # and "exists but unreadable" must show up as an error, not as absence
        rows = self._conn.execute(
            "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
            "WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
            "ORDER BY n.nspname, c.relname, a.attnum"
        ).fetchall()
        self._idents = {(f"{s}.{t}" if s != "public" else t): (s, t) for s, t, _c, _ty in rows}
        return _group(((s if s != "public" else None), t, c, ty) for s, t, c, ty in rows)

    def _ident(self, table: str) -> Any:
        return self._psycopg.sql.Identifier(*self._idents.get(table, ("public", table)))

    def count(self, table: str) -> int:
        query = self._psycopg.sql.SQL("SELECT count(*) FROM {}").format(self._ident(table))
        row = self._conn.execute(query).fetchone()
        return int(row[0]) if row else 0

    def values(self, table: str, column: str, limit: int) -> Iterator[Any]:
        sql = self._psycopg.sql
        query = sql.SQL("SELECT {} FROM {} LIMIT %s").format(sql.Identifier(column), self._ident(table))
        cur = self._conn.execute(query, (limit,))
        while batch := cur.fetchmany(FETCH_BATCH):
            for row in batch:
                yield row[0]

    def close(self) -> None:
        self._conn.close()


def _mysql_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class MysqlEngine:
    """PyMySQL inside one ``START TRANSACTION READ ONLY`` (rolled back on close), with statement time limits.

    MariaDB/MySQL list only tables the user holds some privilege on, so a table the audit
    user may not read is absent rather than an error: audit with SELECT on the whole database.
    """

    def __init__(self, dsn: ParsedDsn, timeout: float) -> None:
        import pymysql  # type: ignore[import-untyped]  # only needed when auditing MariaDB/MySQL

        secs = max(1, int(timeout))
        self._conn = pymysql.connect(
            host=dsn.host or "localhost",
            port=dsn.port or 3306,
            user=dsn.user or "",
            password=dsn.password or "",
            database=dsn.database,
            unix_socket=dsn.param("unix_socket"),
            connect_timeout=secs,
            read_timeout=secs,
            write_timeout=secs,
            charset="utf8mb4",
            autocommit=False,
        )
        with self._conn.cursor() as cur:
            for stmt in (f"SET SESSION max_statement_time = {secs}", f"SET SESSION max_execution_time = {secs * 1000}"):
                try:  # the first is MariaDB's, the second MySQL's; each server rejects the other's
                    cur.execute(stmt)
                except pymysql.MySQLError:
                    continue
            cur.execute("START TRANSACTION READ ONLY")

    def tables(self) -> list[tuple[str, list[tuple[str, str]]]]:
        with self._conn.cursor() as cur:
            cur.execute(
                "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE FROM information_schema.COLUMNS c "
                "JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
                "WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' "
                "ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"
            )
            rows = cur.fetchall()
        return _group((None, _text(t), _text(c), _text(ty)) for t, c, ty in rows)

    def count(self, table: str) -> int:
        with self._conn.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {_mysql_ident(table)}")  # noqa: S608 (quoted identifier)
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def values(self, table: str, column: str, limit: int) -> Iterator[Any]:
        with self._conn.cursor() as cur:
            cur.execute(f"SELECT {_mysql_ident(column)} FROM {_mysql_ident(table)} LIMIT %s", (limit,))  # noqa: S608
            while batch := cur.fetchmany(FETCH_BATCH):
                for row in batch:
                    yield row[0]

    def close(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self._conn.close()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes | bytearray) else str(value)


def _group(rows: Iterator[tuple[str | None, str, str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    tables: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, typ in rows:
        name = f"{schema}.{table}" if schema else table
        if name not in tables and len(tables) >= MAX_TABLES:
            continue
        tables.setdefault(name, []).append((column, typ))
    return list(tables.items())
