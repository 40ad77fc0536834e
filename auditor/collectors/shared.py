"""Answers collected once per run and shared: DNS answers and DANE lookups by name.

A scan asks each DNS name once; a fleet of domains pointing at the same mail hosts asks
the same names again and again (the MX host's A record, its TLSA record, a shared SPF
include). A :class:`Memo` makes the first caller compute and every concurrent or later
caller reuse that value ("single flight"). In one process the memo lives in memory; on
Celery workers :mod:`auditor.fleet.redis_shared` keeps the same contract in Redis.

Some answers are not worth sharing: a lookup skipped because *one* domain's time budget
ran out says nothing about the name, so ``keep`` lets the owner refuse to store it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from auditor.evidence.network import DaneLookup, DnsAnswer

V = TypeVar("V")
V_co = TypeVar("V_co", covariant=True)


class Lookups(Protocol[V]):
    """A run-wide memo of values by a string key."""

    def fetch(self, key: str, compute: Callable[[], V]) -> V: ...


@dataclass
class _Flight(Generic[V]):
    done: threading.Event = field(default_factory=threading.Event)
    value: V | None = None
    ok: bool = False


class Memo(Generic[V]):
    """In-process single-flight memo; thread-safe."""

    def __init__(self, keep: Callable[[V], bool] | None = None) -> None:
        self._keep = keep or (lambda _value: True)
        self._flights: dict[str, _Flight[V]] = {}
        self._lock = threading.Lock()
        self.computed = 0  # how many values were computed (the rest were shared)

    def fetch(self, key: str, compute: Callable[[], V]) -> V:
        while True:
            with self._lock:
                flight = self._flights.get(key)
                mine = flight is None
                if flight is None:
                    flight = self._flights[key] = _Flight()
            if not mine:
                flight.done.wait()
                if flight.ok:
                    return flight.value  # type: ignore[return-value]
                continue  # the computing caller failed or refused to keep it: try ourselves
            try:
                value = compute()
            except BaseException:
                self._drop(key, flight)
                raise
            with self._lock:
                self.computed += 1
            if self._keep(value):
                flight.value, flight.ok = value, True
                flight.done.set()
            else:
                self._drop(key, flight)
            return value

    def _drop(self, key: str, flight: _Flight[V]) -> None:
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]
        flight.done.set()


def worth_sharing(answer: DnsAnswer) -> bool:
    """A timeout may be one domain's exhausted budget: never hand it to the others."""
    return answer.status != "timeout"


def dane_worth_sharing(lookup: DaneLookup) -> bool:
    return worth_sharing(lookup.answer)


@dataclass(frozen=True)
class SharedLookups:
    """What the domains of one run share besides endpoint probes: DNS answers and DANE lookups."""

    dns: Lookups[DnsAnswer]
    dane: Lookups[DaneLookup]

    @classmethod
    def in_memory(cls) -> SharedLookups:
        return cls(dns=Memo(worth_sharing), dane=Memo(dane_worth_sharing))
