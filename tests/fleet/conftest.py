"""Fixtures of the fleet tests: the scratch PostgreSQL database of the host-database tests."""

from __future__ import annotations

from tests.collectors.host.db.conftest import pg_database, postgres_server

__all__ = ["pg_database", "postgres_server"]
