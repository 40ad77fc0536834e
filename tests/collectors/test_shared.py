"""Run-wide memo: the first caller computes, concurrent and later callers share its value."""

from __future__ import annotations

import threading
import time

import pytest

from auditor.collectors.limiter import LocalLimiter
from auditor.collectors.shared import Memo, SharedLookups
from auditor.evidence.network import DnsAnswer


def test_concurrent_callers_compute_once() -> None:
    memo: Memo[int] = Memo()
    calls: list[int] = []
    start = threading.Barrier(8)

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results: list[int] = []

    def caller() -> None:
        start.wait()
        results.append(memo.fetch("k", slow))

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8
    assert len(calls) == 1 and memo.computed == 1


def test_refused_values_are_not_shared() -> None:
    """A timeout caused by one domain's exhausted budget is recomputed by the next domain."""
    shared = SharedLookups.in_memory()
    timeout = DnsAnswer("mx.example.org", "A", "timeout", error="budget")
    ok = DnsAnswer("mx.example.org", "A", "ok", records=("192.0.2.1",))
    assert shared.dns.fetch("k", lambda: timeout) is timeout
    assert shared.dns.fetch("k", lambda: ok) is ok
    assert shared.dns.fetch("k", lambda: timeout) is ok


def test_failing_compute_lets_the_next_caller_try() -> None:
    memo: Memo[str] = Memo()

    def broken() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        memo.fetch("k", broken)
    assert memo.fetch("k", lambda: "fine") == "fine"


def test_local_limiter_hands_out_one_gate_per_ip() -> None:
    limiter = LocalLimiter(2)
    gate = limiter.gate("192.0.2.1")
    assert limiter.gate("192.0.2.1") is gate and limiter.gate("192.0.2.2") is not gate
    assert gate.acquire(timeout=0) and gate.acquire(timeout=0)
    assert not gate.acquire(timeout=0.05)  # the third connection to one IP waits
    gate.release()
    assert gate.acquire(timeout=0)
