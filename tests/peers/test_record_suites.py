"""Peer agreement: the record cases of checkdmarc's and postfix-mta-sts-resolver's tests.

The cases are transcribed as data in ``tests/peers/data/`` (source repository, commit and
test named per case). Every case must grade as the peer's test expects, except the
deliberate disagreements, each of which names the RFC section it follows; the README's
agreement table must show the figures computed here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.peers.record_suites import SUITES, Case, agreement, grade, load, warnings_of

CASES = [case for suite in SUITES for case in load(suite)]
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.suite}:{c.source}" for c in CASES])
def test_case_graded_as_expected(case: Case) -> None:
    assert grade(case) == case.expected, f"{case.source}: peer expects {case.peer}"
    if case.expected != case.peer:
        assert case.why and "RFC" in case.why, f"{case.source}: a disagreement must name its RFC section"
    assert set(case.data.get("warns", ())) <= warnings_of(case), case.source


@pytest.mark.parametrize("suite", SUITES)
def test_readme_states_the_agreement_figures(suite: str) -> None:
    cases, agree, disagree = agreement(suite)
    assert agree + disagree == cases, "every case either agrees or is a documented disagreement"
    assert f"| {suite} | {cases} | {agree} | {disagree} |" in README.read_text(encoding="utf-8")
