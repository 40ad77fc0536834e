"""Parse a database DSN once, keep its password out of every printable form.

``ParsedDsn`` holds the password for the driver only: it is excluded from ``repr`` and
``redacted()`` never includes it, and :func:`sanitise` scrubs it (raw and URL-quoted)
from driver error messages, which sometimes echo connection parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from auditor.collectors.host.secrets import REDACTED, scrub

#: Scheme or configuration driver name (Dovecot ``driver``, Roundcube DSN, Postfix map type) -> engine.
DRIVER_ENGINES = {
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "pgsql": "postgresql",
    "postgresql+psycopg": "postgresql",
    "mysql": "mysql",
    "mysqli": "mysql",
    "mariadb": "mysql",
    "mysql+pymysql": "mysql",
}
_SECRET_PARAM = re.compile(r"(?i)pass|secret|key|token")


class DsnError(ValueError):
    """A DSN that cannot be used; its message never contains the password."""


@dataclass(frozen=True, slots=True)
class ParsedDsn:
    """The parts of a DSN. ``path`` is the SQLite file (root-relative when a host root is used)."""

    engine: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    path: str | None = None
    params: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)

    def redacted(self) -> str:
        """A printable DSN: same target, the password replaced by ``<redacted>``, secret parameters too."""
        if self.engine == "sqlite":
            return f"sqlite://{self.path or ''}"
        userinfo = ""
        if self.user is not None:
            userinfo = quote(self.user, safe="") + (f":{REDACTED}" if self.password else "") + "@"
        elif self.password:
            userinfo = f":{REDACTED}@"
        host = self.host or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{self.port}" if self.port is not None else ""
        query = "&".join(f"{k}={REDACTED if _SECRET_PARAM.search(k) else v}" for k, v in self.params)
        return f"{self.engine}://{userinfo}{host}{port}/{self.database or ''}" + (f"?{query}" if query else "")


def parse_dsn(dsn: str) -> ParsedDsn:
    """Split ``engine://user:password@host:port/database?params`` (or ``sqlite:///path``); raise :class:`DsnError`."""
    scheme, sep, _rest = dsn.partition("://")
    engine = DRIVER_ENGINES.get(scheme.lower()) if sep else None
    if engine is None:
        raise DsnError(f"unsupported DSN scheme {scheme[:20]!r} (use sqlite://, postgresql:// or mysql://)")
    try:
        parts = urlsplit(dsn)
        port = parts.port
    except ValueError:
        # the parser's own message may quote the netloc, i.e. the password
        raise DsnError("malformed DSN (host or port cannot be parsed)") from None
    params = tuple(parse_qsl(parts.query, keep_blank_values=True))
    if engine == "sqlite":
        path = unquote(parts.netloc + parts.path)
        if not path.strip("/"):
            raise DsnError("sqlite DSN names no database file (use sqlite:///path/to/file.db)")
        return ParsedDsn(engine="sqlite", path="/" + path.lstrip("/"), params=params)
    password = unquote(parts.password) if parts.password is not None else None
    query_password = next((v for k, v in params if k.lower() in ("password", "passwd")), None)
    return ParsedDsn(
        engine=engine,
        host=parts.hostname or next((v for k, v in params if k == "host"), None),
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=password if password is not None else query_password,
        database=unquote(parts.path.lstrip("/")) or None,
        params=params,
    )


def sanitise(message: str, dsn: ParsedDsn | None) -> str:
    """Scrub the DSN's password (raw and URL-quoted), URL userinfo and ``password=`` pairs from a message."""
    if dsn is not None and dsn.password:
        for form in {dsn.password, quote(dsn.password, safe=""), quote(dsn.password)}:
            message = message.replace(form, REDACTED)
    return scrub(message)[:500]


def build_dsn(
    driver: str,
    *,
    host: str | None = None,
    port: str | int | None = None,
    user: str | None = None,
    database: str | None = None,
    password: str | None = None,
) -> str:
    """A DSN from the parts config files give (Dovecot's ``driver = pgsql`` + ``connect = host=... dbname=...``).

    A host that is a path (``/var/run/postgresql``, ``/run/mysqld/mysqld.sock``) becomes the
    ``host``/``unix_socket`` parameter. Raise :class:`DsnError` for an unknown driver.
    """
    scheme = DRIVER_ENGINES.get(driver.strip().lower())
    if scheme is None:
        raise DsnError(f"unsupported database driver {driver[:20]!r}")
    if scheme == "sqlite":
        if not database:
            raise DsnError("sqlite driver without a database file")
        return "sqlite://" + quote("/" + database.lstrip("/"))
    userinfo = ""
    if user:
        userinfo = quote(user, safe="") + (":" + quote(password, safe="") if password else "") + "@"
    socket = host if host and host.startswith("/") else None
    netloc = "" if socket or not host else (f"[{host}]" if ":" in host else host)
    if port and not socket:
        netloc += f":{int(port)}"
    query = ""
    if socket:
        query = "?" + ("host=" if scheme == "postgresql" else "unix_socket=") + quote(socket)
    return f"{scheme}://{userinfo}{netloc}/{quote(database or '', safe='')}{query}"
