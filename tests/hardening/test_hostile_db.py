"""A malicious PostgreSQL or MySQL server behind ``--db``: slow, huge rows, wrong types, silent.

The inventory must end within ``--timeout`` plus the grace, the whole run (auditor and its
database reader) must stay under 1 GiB, the database's findings say why they could not
verify, and an honest stub server is still inventoried (the stubs speak the protocol well
enough to be believed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hardening.hostile_db import database_server
from tests.hardening.hostile_smtp import run_auditor

DB_IP = "127.0.63.5"
PORTS = {"postgresql": 5432, "mysql": 3306}
BUDGET_S = 10
GRACE_S = 10.0
PEAK_RSS_MIB = 1024.0


def _scan(tmp_path: Path, engine: str, behaviour: str) -> tuple[int, dict]:
    root = tmp_path / "root"
    root.mkdir()
    out = tmp_path / "bundle.json"
    dsn = f"{engine}://auditor@{DB_IP}:{PORTS[engine]}/mail"
    with database_server(engine, DB_IP, PORTS[engine], behaviour) as server:
        run = run_auditor(
            [
                "scan",
                "--no-network",
                "--host-root",
                str(root),
                "--db",
                dsn,
                "--timeout",
                str(BUDGET_S),
                "-q",
                "--evidence-out",
                str(out),
            ],
            timeout=BUDGET_S + GRACE_S + 40,
        )
        contacted = server.accepted
    # The database reader is a child of auditor: run.peak_mib covers it (wait4 on auditor).
    print(f"{engine}/{behaviour}: exit {run.code}, wall {run.wall:.1f} s, peak RSS {run.peak_mib:.0f} MiB")
    assert run.code is not None, f"killed after {run.wall:.0f} s"
    assert run.code in (0, 1, 4), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert contacted >= 1, "the database server was never contacted"
    assert run.wall < BUDGET_S + GRACE_S, f"{run.wall:.1f} s"
    assert run.peak_mib < PEAK_RSS_MIB
    [database] = json.loads(out.read_text())["host"]["databases"]
    return run.code, database["inventory"]


@pytest.mark.parametrize("engine", list(PORTS))
def test_honest_stub_is_inventoried(engine: str, tmp_path: Path) -> None:
    _, inventory = _scan(tmp_path, engine, "honest")
    assert not inventory["errors"], inventory["errors"]
    assert inventory["hash_rows_examined"] == 2 and inventory["hash_schemes"], inventory


@pytest.mark.parametrize("behaviour", ["slow", "huge", "wrong-types", "silent"])
@pytest.mark.parametrize("engine", list(PORTS))
def test_hostile_database_is_bounded(engine: str, behaviour: str, tmp_path: Path) -> None:
    code, inventory = _scan(tmp_path, engine, behaviour)
    assert inventory["errors"], f"{behaviour}: nothing says the inventory is incomplete"
    assert not inventory["hash_schemes"] or behaviour == "wrong-types", inventory
    assert code == 4 or inventory["errors"]
