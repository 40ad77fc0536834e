"""Fixtures of the fleet tests: a scratch Redis database, and the scratch PostgreSQL database
of the host-database tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from tests.collectors.host.db.conftest import pg_database, postgres_server

__all__ = ["pg_database", "postgres_server", "scratch_redis"]


@contextmanager
def scratch_redis(url: str) -> Iterator[redis.Redis]:
    """The local Redis database at ``url``, emptied before and after; a missing Redis fails
    the test (scripts/setup.sh starts one), it never skips."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis does not answer at {url} ({exc}); scripts/setup.sh starts it")
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
