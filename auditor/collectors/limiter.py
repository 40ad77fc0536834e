"""Politeness towards each IP address: how many connections at once and how fast, shared by every prober.

Mail servers count connections per client IP, whatever port or protocol they go to, and
throttle, tarpit or blocklist a scanner that opens too many at once. So every connection
the dialog and TLS collectors open first takes a *slot* of its IP from one limiter, and
the limiter is shared by everything the run probes: all endpoints of one scan, and in a
fleet all endpoints of all domains (in one process :class:`LocalLimiter`; across Celery
workers the Redis-backed limiter of :mod:`auditor.fleet.redis_limiter`).

A gate is anything with ``acquire(timeout=...) -> bool`` and ``release()``, which is what
:class:`threading.BoundedSemaphore` offers, so the TLS collector takes either. A pace
spaces connection starts to one IP (``wait(deadline) -> bool``).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

DEFAULT_PER_IP_CONCURRENCY = 2
#: Seconds between connection starts to one IP: at most 20 new connections a second.
DEFAULT_PER_IP_PACE_S = 0.05


class Gate(Protocol):
    """A counting semaphore for the connections to one IP address."""

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool: ...

    def release(self, n: int = 1) -> None: ...


class Pace(Protocol):
    """Spaces connection starts to one IP address."""

    def wait(self, deadline: float) -> bool: ...


class IpLimiter(Protocol):
    """Hands out the gate and pace of an IP address; one of each per address for the limiter's life."""

    @property
    def per_ip_concurrency(self) -> int: ...

    def gate(self, ip: str) -> Gate: ...

    def pacer(self, ip: str) -> Pace: ...


class Pacer:
    """Spaces connection starts to one IP address at least ``interval`` seconds apart.

    Shared by every scan of that address (all ports), like the concurrency gate: mail
    servers rate-limit per client IP.
    """

    def __init__(self, interval: float) -> None:
        self.interval = max(interval, 0.0)
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, deadline: float) -> bool:
        """Sleep until this caller's slot; False when the slot lies past ``deadline``."""
        if self.interval <= 0:
            return True
        with self._lock:
            slot = max(time.monotonic(), self._next)
            if slot >= deadline:
                return False
            self._next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return True


class LocalLimiter:
    """In-process politeness: one :class:`threading.BoundedSemaphore` and one :class:`Pacer` per IP."""

    def __init__(
        self, per_ip_concurrency: int = DEFAULT_PER_IP_CONCURRENCY, per_ip_pace: float = DEFAULT_PER_IP_PACE_S
    ) -> None:
        self._concurrency = max(per_ip_concurrency, 1)
        self._pace = per_ip_pace
        self._gates: dict[str, threading.BoundedSemaphore] = {}
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    @property
    def per_ip_concurrency(self) -> int:
        return self._concurrency

    def gate(self, ip: str) -> Gate:
        with self._lock:
            gate = self._gates.get(ip)
            if gate is None:
                gate = self._gates[ip] = threading.BoundedSemaphore(self._concurrency)
            return gate

    def pacer(self, ip: str) -> Pacer:
        with self._lock:
            pacer = self._pacers.get(ip)
            if pacer is None:
                pacer = self._pacers[ip] = Pacer(self._pace)
            return pacer
