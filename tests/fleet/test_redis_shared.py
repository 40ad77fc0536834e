"""The Redis limiter and memo that Celery workers share (needs the local Redis; fails without it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis

from auditor.evidence.network import DnsAnswer
from auditor.fleet.redis_shared import RedisGate, RedisLimiter, RedisMemo, redis_lookups
from tests.fleet.conftest import scratch_redis

URL = "redis://127.0.0.1:6379/13"


@pytest.fixture()
def client() -> Iterator[redis.Redis]:
    with scratch_redis(URL) as found:
        yield found


def test_gate_holds_the_limit_across_limiters(client: redis.Redis) -> None:
    """Two limiters (two workers) share the slots of one IP."""
    first, second = RedisLimiter(client, 2, 0.0), RedisLimiter(client, 2, 0.0)
    assert first.gate("192.0.2.1").acquire(timeout=0)
    assert second.gate("192.0.2.1").acquire(timeout=0)
    assert not second.gate("192.0.2.1").acquire(timeout=0.1)
    assert first.gate("192.0.2.2").acquire(timeout=0)  # another address has its own slots
    first.gate("192.0.2.1").release()
    assert second.gate("192.0.2.1").acquire(timeout=0.5)
    assert first.in_use("192.0.2.1") == 2


def test_a_dead_holders_slot_frees_when_its_lease_ends(client: redis.Redis) -> None:
    dead = RedisGate(client, "192.0.2.9", 1, lease_s=0.3)
    assert dead.acquire(timeout=0)  # never released: its worker was killed
    alive = RedisGate(client, "192.0.2.9", 1)
    assert not alive.acquire(timeout=0.05)
    assert alive.acquire(timeout=2.0)


def test_concurrency_never_exceeds_the_limit(client: redis.Redis) -> None:
    limiter = RedisLimiter(client, 2, 0.0)
    inside, peak, lock = [0], [0], threading.Lock()

    def connect() -> None:
        gate = limiter.gate("192.0.2.3")
        assert gate.acquire(timeout=10)
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        time.sleep(0.05)
        with lock:
            inside[0] -= 1
        gate.release()

    threads = [threading.Thread(target=connect) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2


def test_pace_spaces_connection_starts_across_limiters(client: redis.Redis) -> None:
    starts: list[float] = []
    for limiter in (RedisLimiter(client, 2, 0.1), RedisLimiter(client, 2, 0.1), RedisLimiter(client, 2, 0.1)):
        assert limiter.pacer("192.0.2.4").wait(time.monotonic() + 5)
        starts.append(time.monotonic())
    assert starts[2] - starts[0] >= 0.18


def test_memo_computes_once_per_run(client: redis.Redis) -> None:
    calls: list[int] = []
    answer = DnsAnswer("mx.example.net", "A", "ok", records=("192.0.2.1",))

    def lookup() -> DnsAnswer:
        calls.append(1)
        return answer

    first, second = redis_lookups(client, "run-a"), redis_lookups(client, "run-a")
    assert first.dns.fetch("k", lookup) == answer
    assert second.dns.fetch("k", lookup) == answer
    assert len(calls) == 1
    assert redis_lookups(client, "run-b").dns.fetch("k", lookup) == answer  # another run asks again
    assert len(calls) == 2
    assert isinstance(first.dns, RedisMemo)
