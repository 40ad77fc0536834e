"""Politeness bookkeeping of the TLS collector: pacing, optional cap, slow-down detection."""

from __future__ import annotations

import threading
import time

import pytest

from auditor.collectors.limiter import Pacer
from auditor.collectors.tls.probe import SLOWDOWN_BASELINE, ScanState, StopProbing
from auditor.messages import render


def state(budget: int | None = None) -> ScanState:
    return ScanState(budget=budget, deadline=time.monotonic() + 30, gate=threading.BoundedSemaphore(2))


def test_pacer_spaces_connection_starts() -> None:
    pacer = Pacer(0.05)
    starts = []
    for _ in range(4):
        assert pacer.wait(time.monotonic() + 5)
        starts.append(time.monotonic())
    # Slots are spaced on the schedule (a late wake-up shortens the next gap, never the span).
    assert starts[-1] - starts[0] >= 3 * 0.05 - 0.005, starts


def test_pacer_refuses_a_slot_past_the_deadline() -> None:
    pacer = Pacer(10.0)
    assert pacer.wait(time.monotonic() + 1)
    assert not pacer.wait(time.monotonic() + 1)


def test_no_cap_by_default_and_a_cap_when_asked() -> None:
    free = state()
    for _ in range(500):
        free.reserve()
    capped = state(budget=3)
    for _ in range(3):
        capped.reserve()
    with pytest.raises(StopProbing, match="budget of 3 exhausted"):
        capped.reserve()


def test_sudden_slow_down_stops_the_scan_as_throttled() -> None:
    scan = state()
    for _ in range(SLOWDOWN_BASELINE):
        scan.reserve()
        scan.setup_took(0.01)
    scan.reserve()
    scan.setup_took(5.0)  # one slow connection may be a hiccup
    assert scan.stop_reason() is None
    scan.reserve()
    scan.setup_took(0.02)  # back to normal: the count starts again
    for _ in range(2):
        scan.reserve()
        scan.setup_took(4.0)
    assert scan.throttled_after == SLOWDOWN_BASELINE + 4
    assert scan.stop_reason() == f"throttled after {SLOWDOWN_BASELINE + 4} connections"
    assert any("sudden slow-down" in render(e, "en") for e in scan.errors)


def test_uniformly_slow_servers_are_not_throttled() -> None:
    scan = state()  # a greeting delay from the first connection on is the server's normal pace
    for _ in range(20):
        scan.reserve()
        scan.setup_took(1.0)
    assert scan.stop_reason() is None
