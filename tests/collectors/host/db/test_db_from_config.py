"""--db-from-config: the live host's user database read read-only with the configuration's own credentials.

Against the machine's real MariaDB (a user with a password, so the password really comes from the
config) and PostgreSQL (trust on 127.0.0.1); a server that is absent fails the test loudly (fixtures).
The password must never reach the evidence, its JSON, or an error message.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from auditor.collectors.host.collect import collect_host
from auditor.collectors.host.db.databases import CREDENTIALS_NEEDED
from auditor.evidence.host import HostEvidence, UserDatabase
from auditor.request import UsageError, scan_request
from tests.collectors.host.conftest import write_files

NOW = datetime(2026, 12, 5, tzinfo=UTC)
PASSWORD = "Cfg pw-" + secrets.token_hex(4)  # a space: the connect string's single quotes are needed


def _only_db(ev: HostEvidence) -> UserDatabase:
    [db] = ev.databases
    return db


def _no_secret(ev: HostEvidence) -> None:
    text = json.dumps(TypeAdapter(HostEvidence).dump_python(ev, mode="json"))
    assert PASSWORD not in text and PASSWORD.split()[1] not in text


@pytest.fixture()
def mariadb_mailbox(mariadb_database: str) -> Iterator[tuple[str, str]]:
    """A PostfixAdmin-like ``mailbox`` table and a user that may only SELECT it, with a password."""
    import pymysql

    user = f"auditor_cfg_{secrets.token_hex(3)}"
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database=mariadb_database)
    try:
        with admin.cursor() as cur:
            cur.execute(
                "CREATE TABLE mailbox (username VARCHAR(255), password VARCHAR(255), name VARCHAR(255), "
                "created DATETIME, last_login_ip VARCHAR(45))"
            )
            cur.execute(
                "INSERT INTO mailbox VALUES ('a@example.org', %s, 'Alice', NOW(), '192.0.2.10')",
                ("$6$rounds=5000$salt$" + "A" * 86,),
            )
            cur.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (user, PASSWORD))
            cur.execute(f"GRANT SELECT ON `{mariadb_database}`.* TO %s@'127.0.0.1'", (user,))
        admin.commit()
        yield mariadb_database, user
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP USER IF EXISTS %s@'127.0.0.1'", (user,))
        admin.close()


QUERY = (
    "default_pass_scheme = SHA512-CRYPT\n"
    "password_query = SELECT username AS user, password FROM mailbox WHERE username = '%u'\n"  # noqa: S608
)


def _dovecot_root(tmp_path: Path, database: str, user: str) -> Path:
    connect = f"connect = \"host=127.0.0.1 port=3306 dbname={database} user={user} password='{PASSWORD}'\"\n"
    write_files(
        tmp_path,
        {
            "/etc/dovecot/dovecot.conf": "passdb {\n  driver = sql\n  args = /etc/dovecot/dovecot-sql.conf.ext\n}\n",
            "/etc/dovecot/dovecot-sql.conf.ext": "driver = mysql\n" + connect + QUERY,
        },
    )
    return tmp_path


def test_mariadb_read_with_the_dovecot_lookup_password(mariadb_mailbox: tuple[str, str], tmp_path: Path) -> None:
    database, user = mariadb_mailbox
    root = _dovecot_root(tmp_path, database, user)
    without = _only_db(collect_host(root, collected_at=NOW))
    assert without.error == CREDENTIALS_NEEDED and without.inventory is None
    ev = collect_host(root, collected_at=NOW, db_from_config=True)
    db = _only_db(ev)
    assert db.error is None and db.inventory is not None and db.inventory.ok, db.inventory
    assert db.dsn_redacted == f"mysql://{user}@127.0.0.1:3306/{database}"
    assert db.inventory.hash_schemes == {"SHA512-CRYPT": 1}
    assert "ip-address" in db.inventory.categories_found
    assert db.inventory.dsn_redacted == f"mysql://{user}:<redacted>@127.0.0.1:3306/{database}"
    _no_secret(ev)


def test_wrong_config_password_is_an_error_without_the_password(
    mariadb_mailbox: tuple[str, str], tmp_path: Path
) -> None:
    database, user = mariadb_mailbox
    root = _dovecot_root(tmp_path, database, user)
    conf = root / "etc/dovecot/dovecot-sql.conf.ext"
    conf.write_text(conf.read_text().replace("password='", "password='wrong"))
    ev = collect_host(root, collected_at=NOW, db_from_config=True)
    db = _only_db(ev)
    assert db.inventory is not None and not db.inventory.ok
    assert "Access denied" in db.inventory.errors[0].reason
    _no_secret(ev)


def test_postgresql_named_by_roundcube(pg_database: tuple[str, str], tmp_path: Path) -> None:
    import psycopg

    name, user = pg_database
    with psycopg.connect(host="127.0.0.1", port=5432, user=user, dbname=name, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (user_id SERIAL, username TEXT, created TIMESTAMP, last_ip INET)")
        conn.execute("INSERT INTO users (username, created, last_ip) VALUES ('a@example.org', now(), '192.0.2.9')")
        conn.execute("CREATE TABLE session (sess_id TEXT, changed TIMESTAMP, origin TEXT)")
        conn.execute("INSERT INTO session VALUES ('x', now(), '2001:db8::1')")
    dsn = f"pgsql://{user}:secretpw@127.0.0.1:5432/{name}"
    write_files(tmp_path, {"/etc/roundcube/config.inc.php": f"<?php\n$config = [];\n$config['db_dsnw'] = '{dsn}';\n"})
    ev = collect_host(tmp_path, collected_at=NOW, db_from_config=True)
    db = _only_db(ev)
    assert db.purpose == "webmail" and db.inventory is not None and db.inventory.ok, db.inventory
    cats = {f"{t.name}.{c.name}": (c.category, c.recognised_by) for t in db.inventory.tables for c in t.columns}
    assert cats["users.last_ip"] == ("ip-address", "name") and cats["session.origin"] == ("ip-address", "values")
    assert "secretpw" not in json.dumps(TypeAdapter(HostEvidence).dump_python(ev, mode="json"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"no_network": True}, "cannot be combined with --no-network"),
        ({"domain": "example.org", "db": "sqlite:///x.db"}, "not both"),
        ({"domain": "example.org", "host_root": None}, "needs --host-root"),
    ],
)
def test_opt_in_is_refused_where_it_cannot_apply(extra: dict[str, object], message: str, tmp_path: Path) -> None:
    values: dict[str, object] = {"db_from_config": True, "host_root": str(tmp_path), **extra}
    with pytest.raises(UsageError, match=message):
        scan_request(values)


def test_opt_in_reaches_the_collector(tmp_path: Path) -> None:
    request = scan_request({"domain": "example.org", "host_root": str(tmp_path), "db_from_config": True})
    assert request.collect.db_from_config is True
    assert scan_request({"domain": "example.org", "host_root": str(tmp_path)}).collect.db_from_config is False
