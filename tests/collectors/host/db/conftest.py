"""Real PostgreSQL and MariaDB on 127.0.0.1 for the inventory tests, started here when not running.

A fresh CI machine has both installed but possibly stopped: the fixtures start them with
the distribution's own commands, wait for the port, and FAIL (never skip) with the
command to run by hand when the server still cannot be reached. Each test gets a scratch
database ``auditor_test_<random>`` that is dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
MARIADB_START = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
HOST = "127.0.0.1"
PG_PORT = 5432
MARIADB_PORT = 3306


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def _wait_for(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _port_open(port):
            return True
        time.sleep(0.3)
    return False


def _start_postgres() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    if not versions:
        return "no cluster under /etc/postgresql (apt-get install postgresql)"
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    return (done.stderr or done.stdout).strip()


def _start_mariadb() -> str:
    run_dir = Path("/run/mysqld")
    if not run_dir.exists():  # what the init script would create: the socket/pid directory
        run_dir.mkdir(parents=True)
        subprocess.run(["chown", "mysql:mysql", str(run_dir)], check=False, timeout=10)
    cmd = ["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    return (done.stderr or done.stdout).strip()


def ensure_server(port: int, start: Callable[[], str], how: str, name: str, *, wait_s: float = 30.0) -> None:
    """Return once ``port`` accepts connections, starting the server if needed; else FAIL saying how to start it."""
    if _port_open(port):
        return
    try:
        detail = start()
    except (OSError, subprocess.SubprocessError) as exc:
        detail = str(exc)
    if not _wait_for(port, wait_s):
        pytest.fail(
            f"{name} is not reachable on {HOST}:{port} and could not be started ({detail}); start it with: {how}"
        )


@pytest.fixture(scope="session")
def postgres_server() -> str:
    ensure_server(PG_PORT, _start_postgres, PG_START, "PostgreSQL")
    return f"{HOST}:{PG_PORT}"


@pytest.fixture(scope="session")
def mariadb_server() -> str:
    ensure_server(MARIADB_PORT, _start_mariadb, MARIADB_START, "MariaDB")
    return f"{HOST}:{MARIADB_PORT}"


def _pg_admin_connect() -> Any:
    import psycopg

    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(
                host=HOST, port=PG_PORT, user=user, dbname="postgres", autocommit=True, connect_timeout=5
            )
        except psycopg.OperationalError as exc:
            last = exc
    pytest.fail(f"cannot log in to PostgreSQL on {HOST}:{PG_PORT} as postgres or root (trust auth expected): {last}")


@pytest.fixture()
def pg_database(postgres_server: str) -> Iterator[tuple[str, str]]:
    """``(database name, admin user)`` of a fresh scratch database, dropped afterwards."""
    name = f"auditor_test_{secrets.token_hex(4)}"
    with _pg_admin_connect() as admin:
        user = admin.info.user
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, user
    finally:
        with _pg_admin_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def mariadb_database(mariadb_server: str) -> Iterator[str]:
    """Name of a fresh scratch database on MariaDB (root, no password), dropped afterwards."""
    import pymysql

    name = f"auditor_test_{secrets.token_hex(4)}"
    try:
        admin = pymysql.connect(host=HOST, port=MARIADB_PORT, user="root", password="", connect_timeout=5)
    except pymysql.MySQLError as exc:
        pytest.fail(f"cannot log in to MariaDB on {HOST}:{MARIADB_PORT} as root without password: {exc}")
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
