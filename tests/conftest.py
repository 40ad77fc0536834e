"""Session-wide fixtures.

``lab`` starts the local lab (tests/lab/up.sh: Knot DNS, nginx, test CA and the
mail servers) once per session and describes it. Lab tests must run in CI, so a
lab that does not come up is a test failure carrying up.sh's output, never a skip.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

LAB_ROOT = Path(__file__).resolve().parent / "lab"
# The first run installs Debian packages and generates keys; later runs take ~1 s.
UP_TIMEOUT_S = 900


@dataclass(frozen=True)
class LabInfo:
    """Where the lab's servers are and what to trust, read from run/lab.json."""

    resolver: str  # "127.0.53.1:53", the authoritative server for lab.test and plain.test
    ca_file: Path  # root of the trusted test CA (the "untrusted" CA is not in it)
    trust_anchor: Path  # DS records of lab.test in presentation format
    web_ip: str  # nginx serving the mta-sts.<domain> policy hosts
    root: Path  # tests/lab; generated state is under root / "run"
    domains: Mapping[str, str] = field(default_factory=dict)  # variant name -> domain
    data: Mapping[str, Any] = field(default_factory=dict)  # all of lab.json, incl. component keys

    def domain(self, variant: str) -> str:
        """The domain of a variant ("good" -> "good.lab.test"); KeyError names the known ones."""
        try:
            return self.domains[variant]
        except KeyError:
            raise KeyError(f"no lab variant {variant!r}; known: {', '.join(sorted(self.domains))}") from None

    @property
    def resolver_host(self) -> str:
        return self.resolver.rsplit(":", 1)[0]

    @property
    def resolver_port(self) -> int:
        return int(self.resolver.rsplit(":", 1)[1])


def load_lab_info(lab_json: Path, root: Path) -> LabInfo:
    """Build LabInfo from lab.json, naming the file when a key is missing."""
    data = json.loads(lab_json.read_text(encoding="utf-8"))
    try:
        return LabInfo(
            resolver=str(data["resolver"]),
            ca_file=Path(data["ca_file"]),
            trust_anchor=Path(data["trust_anchor"]),
            web_ip=str(data["web_ip"]),
            root=root,
            domains=MappingProxyType(dict(data["domains"])),
            data=MappingProxyType(data),
        )
    except KeyError as exc:
        raise ValueError(f"{lab_json}: missing key {exc}") from None


@pytest.fixture(scope="session")
def lab() -> LabInfo:
    """Bring the lab up (idempotent, serialised by up.sh's lock) and describe it."""
    try:
        proc = subprocess.run(
            ["bash", str(LAB_ROOT / "up.sh")],
            capture_output=True,
            text=True,
            timeout=UP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        pytest.fail(f"tests/lab/up.sh did not finish in {UP_TIMEOUT_S} s:\n{err}", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(
            f"tests/lab/up.sh failed (exit {proc.returncode}):\n{proc.stderr}\n{proc.stdout}",
            pytrace=False,
        )
    return load_lab_info(LAB_ROOT / "run" / "lab.json", LAB_ROOT)


# Fixtures of services one test at a time may use: the lab's servers (connection budgets,
# throttling windows, zone reloads), Redis database 11 (flushed by the fleet tests) and the
# database servers the scratch-database fixtures may have to start.
_SHARED_SERVICE_FIXTURES = ("lab", "broker", "postgres_server", "mariadb_server", "pg_database", "mariadb_database")
_USES_SHARED_SERVICE = re.compile(
    r"def \w+\([^)]*?\b(?:" + "|".join(_SHARED_SERVICE_FIXTURES) + r")\b\s*[:,)=]|pytestmark = pytest\.mark\.lab"
)
_SHARED_SERVICE_DIRS = ("fleet", "peers", "lab_tests")
_TESTS = Path(__file__).parent


@functools.cache
def lane_of(test_file: str) -> str:
    """The lane a test file runs in when the suite runs on two workers (``-n 2``).

    The hostile-peer tests start their own servers on addresses of their own (127.0.54-63.x)
    and mostly wait on deadlines: one lane, one test at a time. Files that use shared
    services (a fixture of ``_SHARED_SERVICE_FIXTURES``): the other lane, one at a time.
    Every other file is a unit of its own that goes wherever a worker is free.
    """
    path = (_TESTS.parent / test_file).resolve()
    parts = path.relative_to(_TESTS).parts
    if parts[0] == "hardening":
        return "lane:hostile-peers"
    if parts[0] in _SHARED_SERVICE_DIRS or _USES_SHARED_SERVICE.search(path.read_text(encoding="utf-8")):
        return "lane:shared-services"
    return test_file


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist's own ``--dist loadgroup`` does not group under pytest 9 (its node ids are
    no longer rewritten), so the lanes are scopes of its load-scope scheduler."""
    from xdist.scheduler import LoadScopeScheduling

    class LaneScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return lane_of(nodeid.split("::", 1)[0])

    return LaneScheduling(config, log)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Every test that uses the lab carries the ``lab`` mark, so ``-m "not lab"`` never starts it."""
    if "lab" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.lab)
