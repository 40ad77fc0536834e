"""Data inventory of the user database: tables, columns by data category, rows, password-hash schemes.

The statement declares which personal data the service stores; this collects what the
database actually holds, so a check can name undeclared categories (an ``alt_email``
or ``phone`` column) and compare the claimed hashing scheme with the stored prefixes.

Only schema metadata, row counts and the password column are read, the latter value by
value into a per-scheme counter: no hash, no row and no DSN password ever reaches the
result or an error message. Every failure becomes a :class:`HostDataError`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import stat
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from auditor.collectors.host.db.dsn import DsnError, ParsedDsn, parse_dsn, sanitise
from auditor.collectors.host.db.engines import Engine, MysqlEngine, PostgresEngine, SqliteEngine
from auditor.collectors.host.db.lexicon import Lexicon
from auditor.collectors.host.root import HostRoot, as_root, norm
from auditor.evidence.hash_schemes import scheme_of
from auditor.evidence.stored import ColumnInfo, HostDataError, InventoryEvidence, TableInfo

DEFAULT_MAX_HASH_ROWS = 100_000
PASSWORD_CATEGORY = "password"  # noqa: S105 (a category name, not a secret)
_TEXTUAL = re.compile(r"(?i)char|text|blob|bytea|binary|string|clob|^$")
IP_CATEGORY = "ip-address"
#: Values looked at per uncategorised text column to tell whether it holds addresses (never kept).
SAMPLE_VALUES = 50
_IP_TYPES = re.compile(r"inet[46]?|cidr")
_SCHEME_ONLY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,30})://")


def collect_inventory(
    dsn: str,
    *,
    host_root: HostRoot | Path | str | None = None,
    timeout: float = 10.0,
    max_rows: int = DEFAULT_MAX_HASH_ROWS,
    lexicon: Lexicon | None = None,
    password: str | None = None,
) -> InventoryEvidence:
    """Inventory the database at ``dsn`` read-only, within ``timeout`` seconds per statement and overall.

    ``host_root``: a SQLite path in the DSN is resolved inside it (symlinks cannot leave it).
    ``max_rows`` bounds the password values examined across all password columns.
    ``password`` (``--db-password-env``/``-file``) replaces one in the DSN.
    """
    try:
        parsed = parse_dsn(dsn)
    except DsnError as exc:
        m = _SCHEME_ONLY.match(dsn)
        shown = f"{m.group(1)}://<unparsable>" if m else "<unparsable DSN>"
        return InventoryEvidence(dsn_redacted=shown, engine="unknown", errors=(HostDataError(shown, str(exc)),))
    if password is not None:
        parsed = replace(parsed, password=password)
    shown = parsed.redacted()
    try:
        lex = lexicon or Lexicon.load()
    except ValueError as exc:
        return InventoryEvidence(dsn_redacted=shown, engine=parsed.engine, errors=(HostDataError(shown, str(exc)),))
    engine, why = _connect(parsed, host_root, timeout)
    if engine is None:
        return InventoryEvidence(dsn_redacted=shown, engine=parsed.engine, errors=(HostDataError(shown, why),))
    try:
        return _inventory(engine, parsed, shown, lex, timeout, max_rows)
    finally:
        with contextlib.suppress(Exception):  # closing a read-only connection cannot lose data
            engine.close()


def _connect(parsed: ParsedDsn, host_root: HostRoot | Path | str | None, timeout: float) -> tuple[Engine | None, str]:
    try:
        if parsed.engine == "sqlite":
            path, why = _sqlite_path(parsed, host_root)
            if path is None:
                return None, why
            return SqliteEngine(path, timeout), ""
        if parsed.engine == "postgresql":
            return PostgresEngine(parsed, timeout), ""
        return MysqlEngine(parsed, timeout), ""
    except ImportError as exc:
        return None, f"database driver not installed: {exc.name}"
    except Exception as exc:  # drivers raise many types; all mean "could not connect"
        return None, "cannot connect: " + sanitise(" ".join(f"{type(exc).__name__}: {exc}".split()), parsed)


def _sqlite_path(parsed: ParsedDsn, host_root: HostRoot | Path | str | None) -> tuple[Path | None, str]:
    rel = parsed.path or ""
    if host_root is None:
        real = Path(rel)
    else:
        root = as_root(host_root)
        resolved, why = root.resolve(norm(rel))
        if resolved is None:
            return None, f"{norm(rel)}: {why}"
        real = resolved
    try:
        st = os.stat(real)
    except OSError as exc:
        return None, f"{rel}: {exc.strerror or type(exc).__name__}"
    if not stat.S_ISREG(st.st_mode):
        return None, f"{rel}: not a regular file"
    return real, ""


def _inventory(
    engine: Engine, parsed: ParsedDsn, shown: str, lex: Lexicon, timeout: float, max_rows: int
) -> InventoryEvidence:
    deadline = time.monotonic() + timeout
    errors: list[HostDataError] = []
    try:
        listed = engine.tables()
    except Exception as exc:  # errors as values: a failed introspection is reported, not raised
        errors.append(HostDataError(shown, "cannot list tables: " + _reason(exc, parsed)))
        return InventoryEvidence(dsn_redacted=shown, engine=parsed.engine, errors=tuple(errors))
    tables: list[TableInfo] = []
    hash_targets: list[tuple[str, str]] = []
    truncated = False
    for name, cols in listed:
        if time.monotonic() > deadline:
            errors.append(HostDataError(f"{shown}#{name}", "time budget exhausted; remaining tables not examined"))
            truncated = True
            break
        rows: int | None
        try:
            rows = engine.count(name)
        except Exception as exc:  # one unreadable table must not hide the others
            rows = None
            errors.append(HostDataError(f"{shown}#{name}", "cannot count rows: " + _reason(exc, parsed)))
        # a table that cannot even be counted is not sampled either (its error is already recorded)
        limit = deadline if rows is not None else 0.0
        columns = tuple(_column(engine, lex, name, c, t, limit, errors, shown, parsed) for c, t in cols)
        tables.append(TableInfo(name=name, rows=rows, columns=columns))
        hash_targets += [(name, c.name) for c in columns if c.category == PASSWORD_CATEGORY and _TEXTUAL.search(c.type)]
    schemes: Counter[str] = Counter()
    examined = 0
    for table, column in hash_targets:
        left = max_rows - examined
        if left <= 0 or time.monotonic() > deadline:
            truncated = True
            errors.append(HostDataError(f"{shown}#{table}.{column}", "row or time budget exhausted; not counted"))
            continue
        try:
            for value in engine.values(table, column, left + 1):
                if examined >= max_rows:
                    truncated = True
                    break
                schemes[scheme_of(value)] += 1
                examined += 1
        except Exception as exc:  # the counts so far stay; the failure is recorded
            errors.append(HostDataError(f"{shown}#{table}.{column}", "cannot read: " + _reason(exc, parsed)))
    categories = sorted({c.category for t in tables for c in t.columns if c.category})
    return InventoryEvidence(
        dsn_redacted=shown,
        engine=parsed.engine,
        tables=tuple(tables),
        categories_found=tuple(categories),
        hash_schemes=dict(sorted(schemes.items())),
        hash_columns=tuple(f"{t}.{c}" for t, c in hash_targets),
        hash_rows_examined=examined,
        truncated=truncated,
        errors=tuple(errors),
    )


def _column(
    engine: Engine,
    lex: Lexicon,
    table: str,
    column: str,
    typ: str,
    deadline: float,
    errors: list[HostDataError],
    shown: str,
    parsed: ParsedDsn,
) -> ColumnInfo:
    """A column's category by its name, else by its type (``inet``/``cidr``, MariaDB ``inet4``/``inet6``),
    else by a sample of its values (a column named ``remote`` or ``host`` holding client addresses)."""
    known, category = lex.lookup(table, column)
    if known:
        return ColumnInfo(column, typ, category)
    if _IP_TYPES.fullmatch(typ.strip().lower()):
        return ColumnInfo(column, typ, IP_CATEGORY, "type")
    if not _TEXTUAL.search(typ) or time.monotonic() > deadline:
        return ColumnInfo(column, typ)
    try:
        sample = [_sampled(v) for v in engine.values(table, column, SAMPLE_VALUES)]
    except Exception as exc:  # an unreadable column stays uncategorised; the reason is kept
        errors.append(HostDataError(f"{shown}#{table}.{column}", "cannot sample: " + _reason(exc, parsed)))
        return ColumnInfo(column, typ)
    present = [v for v in sample if v]
    if present and sum(_is_ip(v) for v in present) >= max(1, round(0.8 * len(present))):
        return ColumnInfo(column, typ, IP_CATEGORY, "values")
    return ColumnInfo(column, typ)


def _sampled(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return value.decode("ascii", "replace").strip()
    return "" if value is None else str(value).strip()[:64]


def _is_ip(text: str) -> bool:
    """An address, with or without a prefix length or a port (``192.0.2.7``, ``2001:db8::/64``, ``[::1]:993``)."""
    candidate = text.strip("[]")
    if candidate.count(":") == 1 and "." in candidate:  # 192.0.2.7:25
        candidate = candidate.split(":", 1)[0]
    elif text.startswith("[") and "]:" in text:
        candidate = text[1 : text.index("]:")]
    try:
        ipaddress.ip_interface(candidate)
    except ValueError:
        return False
    return True


def _reason(exc: Exception, parsed: ParsedDsn) -> str:
    # driver messages may quote SQL or parameters, never row values we fetched: keep the first line only
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return sanitise(f"{type(exc).__name__}: {first}", parsed)
