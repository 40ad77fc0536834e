"""The import rule of docs/architecture.md: evidence is pure; checks and renderers never reach collectors.

Each rule is checked in a fresh interpreter (what a module loads, transitively) and, for
checks, also in the source (what a module names), so a lazy import inside a function is
caught too.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

#: Rooms that do I/O: collectors (network, host files, databases) and the statement reader.
IO_ROOMS = ("auditor.collectors", "auditor.claims", "auditor.collect", "auditor.commands", "auditor.cli")
#: Third-party libraries that open sockets or databases.
IO_LIBRARIES = ("sslyze", "dns", "requests", "urllib3", "psycopg", "pymysql", "sqlite3", "smtplib")


def _loaded_after(statement: str) -> list[str]:
    """Module names present in a fresh interpreter after running ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def _in_rooms(modules: list[str], rooms: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == room or m.startswith(room + ".") for room in rooms)]


def test_evidence_loads_only_models_and_itself() -> None:
    loaded = _loaded_after("import auditor.evidence")
    ours = [m for m in loaded if m.startswith("auditor.")]
    assert ours, "auditor.evidence did not load"
    assert [m for m in ours if not m.startswith("auditor.evidence") and m != "auditor.models"] == []
    assert _in_rooms(loaded, IO_LIBRARIES) == []


def _check_modules() -> list[str]:
    return sorted(p.stem for p in (PROJECT / "checks").glob("*.py") if p.stem != "__init__")


def _report_modules() -> list[str]:
    return sorted(p.stem for p in (PROJECT / "reports").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize(
    ("package", "modules"),
    [("auditor.checks", _check_modules()), ("auditor.reports", _report_modules())],
)
def test_checks_and_renderers_load_no_collector(package: str, modules: list[str]) -> None:
    # Libraries may load (the SPF check evaluates recorded answers with pyspf, which imports
    # dnspython); what must not load is our own I/O code.
    loaded = _loaded_after("\n".join(f"import {package}.{name}" for name in modules))
    assert _in_rooms(loaded, IO_ROOMS) == []


def _imported_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("name", _check_modules())
def test_check_source_names_no_collector_or_reader(name: str) -> None:
    imported = _imported_names(PROJECT / "checks" / f"{name}.py")
    assert _in_rooms(imported, IO_ROOMS) == [], f"checks/{name}.py imports an I/O room"


def test_evidence_source_imports_only_models_and_evidence() -> None:
    for path in sorted((PROJECT / "auditor" / "evidence").glob("*.py")):
        ours = [n for n in _imported_names(path) if n.startswith("auditor")]
        stray = [n for n in ours if n != "auditor.models" and not n.startswith("auditor.evidence")]
        assert stray == [], f"{path.name} imports {stray}"
