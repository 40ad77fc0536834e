"""One wall-clock deadline for a whole collection, handed to every network wait.

``--timeout`` promises the user a bound on the audit, but a socket timeout only bounds
one ``recv``: a peer that drips one byte a second through a TLS handshake, an HTTP
header or a body never lets a per-read timeout fire. So every collector receives the
run's :class:`Deadline`, asks it for the timeout of each wait (never more than what is
left), and puts every socket it opens under :meth:`Deadline.guard`: when the deadline
passes, a single watchdog thread shuts the connection down, which wakes any read or
handshake blocked on it (Python's and OpenSSL's alike) with an error. The watchdog
holds a duplicate of the socket's descriptor, so the guard survives the socket object
being handed over (``ssl.wrap_socket`` detaches it) and can never hit an unrelated
socket that reuses a closed descriptor's number. Host readers check
:attr:`Deadline.expired` between files.

Written by hand: neither the standard library, requests/urllib3 nor sslyze/nassl offer
an overall deadline on a connection; a shutdown from another thread is the one way to
interrupt a blocked read that works for all of them.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass


class DeadlineExpired(TimeoutError):
    """Raised instead of starting a wait when the run's deadline has passed."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """An absolute ``time.monotonic()`` end; ``math.inf`` for none."""

    at: float = math.inf

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left, never negative (``inf`` without a deadline)."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def within(self, seconds: float) -> Deadline:
        """This deadline, or ``seconds`` from now if that comes first (a step of the run)."""
        return Deadline(min(self.at, time.monotonic() + seconds))

    def timeout(self, step: float) -> float:
        """The timeout for one wait: ``step``, cut to what is left; raises when nothing is."""
        left = min(step, self.at - time.monotonic())
        if left <= 0:
            raise DeadlineExpired("time budget (--timeout) exhausted")
        return left

    @contextlib.contextmanager
    def guard(self, sock: socket.socket) -> Iterator[socket.socket]:
        """Shut ``sock`` down when the deadline passes while the block runs."""
        token = self.watch(sock)
        try:
            yield sock
        finally:
            token.cancel()

    def watch(self, sock: socket.socket) -> Watch:
        """Like :meth:`guard` for a socket whose life does not fit one block: cancel the
        returned watch right after closing the socket (until then the duplicate keeps
        the connection open)."""
        if math.isinf(self.at):
            return Watch(None)
        try:
            duplicate = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:  # already closed: nothing left to guard
            return Watch(None)
        return Watch(_WATCHDOG.add(self.at, duplicate))


class Watch:
    """A socket under the watchdog; :meth:`cancel` takes it off (idempotent)."""

    __slots__ = ("_token",)

    def __init__(self, token: int | None) -> None:
        self._token = token

    def cancel(self) -> None:
        if self._token is not None:
            _WATCHDOG.remove(self._token)
            self._token = None


class _Watchdog:
    """One daemon thread shutting down the sockets whose deadline passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._sockets: dict[int, socket.socket] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, at: float, sock: socket.socket) -> int:
        with self._cond:
            token = next(self._ids)
            self._sockets[token] = sock
            heapq.heappush(self._heap, (at, token))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="deadline-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
            return token

    def remove(self, token: int) -> None:
        with self._cond:
            sock = self._sockets.pop(token, None)
        if sock is not None:
            sock.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                due: list[socket.socket] = []
                now = time.monotonic()
                while self._heap and (self._heap[0][1] not in self._sockets or self._heap[0][0] <= now):
                    _, token = heapq.heappop(self._heap)
                    sock = self._sockets.pop(token, None)
                    if sock is not None:
                        due.append(sock)
                if not due:
                    self._cond.wait(self._heap[0][0] - now if self._heap else None)
                    continue
            for sock in due:
                # Wakes every reader of the connection; a peer that already closed it
                # makes shutdown raise, which is fine.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


_WATCHDOG = _Watchdog()
