"""Run-wide sharing across Celery workers, through the broker's Redis.

- :class:`RedisLimiter`: per-IP connection slots for every worker on every machine. A
  gate is a sorted set ``auditor:ip:<ip>`` of slot tokens scored by their lease's end;
  taking a slot (a Lua script, so check-and-add is atomic) first drops expired leases,
  so a worker killed while holding a slot blocks it only until its lease runs out.
  Redis's own clock scores the leases: workers' clocks may differ.
- :class:`RedisMemo`: single-flight memo of DNS answers and DANE lookups for one run
  (``auditor:run:<run>:<kind>:<key>``): the first worker computes under a short lock,
  the others wait for the value; values expire with the run.

Written by hand over redis-py: Celery offers rate limits per task type and worker, not a
semaphore per destination address shared by all workers, which is what politeness needs.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

import redis
from pydantic import TypeAdapter

from auditor.collectors.shared import SharedLookups, dane_worth_sharing, worth_sharing
from auditor.evidence.network import DaneLookup, DnsAnswer

V = TypeVar("V")

#: How long a slot stays taken when its holder dies: longer than any one connection lives
#: (a dialog ends within 60 s, a TLS handshake within its 10 s network timeout).
SLOT_LEASE_S = 90.0
_POLL_S = 0.02
RUN_TTL_S = 24 * 3600  # shared answers of one run are kept this long
_COMPUTE_LOCK_S = 30.0  # a computing worker that died is waited for at most this long

_TAKE_SLOT = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""


_BOOK_START = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local next_us = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now_us, next_us)
redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', 60000)
return slot - now_us
"""


class RedisGate:
    """A counting semaphore for one IP address, shared through Redis."""

    def __init__(self, client: redis.Redis, ip: str, limit: int, lease_s: float = SLOT_LEASE_S) -> None:
        self._client = client
        self._key = f"auditor:ip:{ip}"
        self._limit = max(limit, 1)
        self._lease_ms = int(lease_s * 1000)
        self._script = client.register_script(_TAKE_SLOT)
        self._held: deque[str] = deque()
        self._lock = threading.Lock()

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        token = secrets.token_hex(8)
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._script(keys=[self._key], args=[self._limit, self._lease_ms, token]) == 1:
                with self._lock:
                    self._held.append(token)
                return True
            if not blocking or (end is not None and time.monotonic() >= end):
                return False
            time.sleep(_POLL_S)

    def release(self, n: int = 1) -> None:
        for _ in range(n):
            with self._lock:
                token = self._held.popleft() if self._held else None
            if token is not None:
                self._client.zrem(self._key, token)


class RedisPace:
    """Connection starts to one IP address at least ``interval`` apart, across all workers.

    The next free start time is kept in Redis (``auditor:pace:<ip>``, Redis's clock); each
    caller books the next slot atomically and sleeps until it.
    """

    def __init__(self, client: redis.Redis, ip: str, interval: float) -> None:
        self._key = f"auditor:pace:{ip}"
        self._interval_us = int(max(interval, 0.0) * 1_000_000)
        self._script = client.register_script(_BOOK_START)

    def wait(self, deadline: float) -> bool:
        if self._interval_us <= 0:
            return True
        delay_us = int(self._script(keys=[self._key], args=[self._interval_us]))
        if time.monotonic() + delay_us / 1_000_000 >= deadline:
            return False  # the booked slot stays unused: the next caller waits a little longer
        time.sleep(delay_us / 1_000_000)
        return True


class RedisLimiter:
    """Per-IP gates and paces shared by every worker that uses the same Redis."""

    def __init__(self, client: redis.Redis, per_ip_concurrency: int, per_ip_pace: float) -> None:
        self._client = client
        self._concurrency = max(per_ip_concurrency, 1)
        self._pace = per_ip_pace
        self._gates: dict[str, RedisGate] = {}
        self._paces: dict[str, RedisPace] = {}
        self._lock = threading.Lock()

    @property
    def per_ip_concurrency(self) -> int:
        return self._concurrency

    def gate(self, ip: str) -> RedisGate:
        with self._lock:
            if ip not in self._gates:
                self._gates[ip] = RedisGate(self._client, ip, self._concurrency)
            return self._gates[ip]

    def pacer(self, ip: str) -> RedisPace:
        with self._lock:
            if ip not in self._paces:
                self._paces[ip] = RedisPace(self._client, ip, self._pace)
            return self._paces[ip]

    def in_use(self, ip: str) -> int:
        """Slots of ``ip`` taken right now (tests and monitoring)."""
        return int(self._client.zcard(f"auditor:ip:{ip}"))


class RedisMemo(Generic[V]):
    """Single-flight memo in Redis, values as JSON through a pydantic adapter."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        adapter: TypeAdapter[V],
        keep: Callable[[V], bool],
        ttl_s: float = RUN_TTL_S,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._adapter = adapter
        self._keep = keep
        self._ttl_ms = int(ttl_s * 1000)

    def fetch(self, key: str, compute: Callable[[], V]) -> V:
        name = f"{self._prefix}:{key}"
        lock = f"{name}:computing"
        end = time.monotonic() + _COMPUTE_LOCK_S
        while True:
            stored = self._client.get(name)
            if stored is not None:
                return self._adapter.validate_json(stored)
            if self._client.set(lock, "1", nx=True, px=int(_COMPUTE_LOCK_S * 1000)):
                try:
                    value = compute()
                    if self._keep(value):
                        self._client.set(name, self._adapter.dump_json(value), px=self._ttl_ms)
                    return value
                finally:
                    self._client.delete(lock)
            if time.monotonic() >= end:
                return compute()  # the computing worker is gone or stuck: do not wait forever
            time.sleep(_POLL_S)


def redis_lookups(client: redis.Redis, run_id: str) -> SharedLookups:
    prefix = f"auditor:run:{run_id}"
    return SharedLookups(
        dns=RedisMemo(client, f"{prefix}:dns", TypeAdapter(DnsAnswer), worth_sharing),
        dane=RedisMemo(client, f"{prefix}:dane", TypeAdapter(DaneLookup), dane_worth_sharing),
    )
