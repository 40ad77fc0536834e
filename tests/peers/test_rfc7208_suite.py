"""Peer agreement: the RFC 7208 SPF test suite (``rfc7208-tests.yml``), every case.

The suite (by the SPF council's authors, BSD licence, shipped in the pyspf sdist) is
fetched from PyPI at set-up (``scripts/peer-suites.sh``, called by ``scripts/setup.sh``)
into a cache outside the repository. Each scenario's ``zonedata`` is served to our
evaluator (:func:`auditor.dnspolicy.spf.evaluate`, the same path the ``spf.record`` check
takes over recorded answers) through :func:`tests.peers.spf_zone.zone_source`; the result
must be one the suite accepts. Deliberate disagreements would be listed in
``DISAGREEMENTS`` with their RFC section; there are none. A missing suite fails loudly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.dnspolicy.spf import evaluate
from tests.peers.spf_zone import zone_source

SUITE = Path(os.environ.get("AUDITOR_PEER_CACHE", "/var/cache/auditor-peers")) / "pyspf" / "rfc7208-tests.yml"
DISAGREEMENTS: dict[str, str] = {}  # "scenario/test id" -> RFC-backed reason


def _cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    if not SUITE.is_file():
        return []
    with SUITE.open("rb") as handle:
        scenarios = list(yaml.safe_load_all(handle))
    return [
        (f"{scenario['description']}/{test_id}", scenario["zonedata"], test)
        for scenario in scenarios
        for test_id, test in scenario["tests"].items()
    ]


CASES = _cases()


def test_suite_is_present_and_complete() -> None:
    assert SUITE.is_file(), f"{SUITE} missing: run scripts/setup.sh (it fetches the pyspf sdist from PyPI)"
    assert len(CASES) >= 200, len(CASES)


@pytest.mark.parametrize(("case_id", "zonedata", "test"), CASES, ids=[c[0] for c in CASES])
def test_case_graded_as_the_suite_says(case_id: str, zonedata: dict[str, Any], test: dict[str, Any]) -> None:
    expected = test["result"] if isinstance(test["result"], list) else [test["result"]]
    result = evaluate(
        zone_source(zonedata),
        ip=test["host"],
        domain=test.get("helo") or "",
        sender=test.get("mailfrom", ""),
        helo=test.get("helo"),
    )
    if case_id in DISAGREEMENTS:
        assert result.result not in expected, f"{case_id} now agrees: drop it from DISAGREEMENTS"
        return
    assert result.result in expected, f"{case_id} (RFC 7208 {test.get('spec')}): {result} not in {expected}"
