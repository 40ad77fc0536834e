"""The run's deadline: timeouts cut to what is left, and a guard that ends blocked reads."""

from __future__ import annotations

import math
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from auditor.deadline import Deadline, DeadlineExpired


@contextmanager
def dripping_server(interval: float = 0.3) -> Iterator[tuple[str, int]]:
    """Accepts connections and sends one byte every ``interval`` seconds, forever."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    def drip(conn: socket.socket) -> None:
        with conn:
            while not stop.wait(interval):
                try:
                    conn.sendall(b"\x16")
                except OSError:
                    return

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        listener.close()


def test_timeout_is_cut_to_what_is_left() -> None:
    deadline = Deadline.after(2.0)
    assert 1.5 < deadline.timeout(10.0) <= 2.0
    assert deadline.timeout(0.5) == 0.5
    with pytest.raises(DeadlineExpired):
        Deadline.after(-1).timeout(5.0)
    assert Deadline().remaining() == math.inf and not Deadline().expired


def test_within_never_extends_the_run() -> None:
    run = Deadline.after(1.0)
    assert run.within(60).at == run.at
    assert run.within(0.1).at < run.at


def test_guard_ends_a_read_that_a_dripping_peer_keeps_alive() -> None:
    """Every byte restarts a per-read timeout; only the guard bounds the whole."""
    with dripping_server() as address:
        sock = socket.create_connection(address, timeout=5)
        started = time.monotonic()
        received = 0
        with sock, Deadline.after(1.0).guard(sock):
            while chunk := sock.recv(1):
                received += len(chunk)
        assert time.monotonic() - started < 2.5
        assert received >= 1  # the peer did send: only the deadline ended it


def test_guard_ends_a_dripped_tls_handshake_after_the_socket_is_wrapped() -> None:
    """wrap_socket detaches the plain socket; the guard still reaches the connection."""
    with dripping_server() as (host, port):
        context = ssl.create_default_context()
        started = time.monotonic()
        raw = socket.create_connection((host, port), timeout=5)
        with Deadline.after(1.0).guard(raw), pytest.raises((ssl.SSLError, OSError)):
            context.wrap_socket(raw, server_hostname="example.test")
        assert time.monotonic() - started < 2.5


def test_a_cancelled_watch_leaves_the_socket_alone() -> None:
    with dripping_server(interval=0.1) as address:
        sock = socket.create_connection(address, timeout=5)
        with sock:
            Deadline.after(0.2).watch(sock).cancel()
            time.sleep(0.5)
            assert sock.recv(1)  # still connected after the deadline passed
