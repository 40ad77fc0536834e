"""The database inventory in a child process: bounded in time and memory whatever the server does.

The database server is untrusted input like any other peer, but its drivers cannot be
bounded from inside: libpq and PyMySQL wait as long as a server keeps sending (a row
dripped a byte at a time never trips a read timeout), allocate whatever size a server
announces for a row, and a server-side ``statement_timeout`` only binds an honest server.
So the inventory runs in a fresh interpreter (``spawn``: no inherited threads or locks)
with an address-space limit, is killed at the deadline, and hands back its result as JSON
validated against the evidence type (never a pickle: the child has talked to the server).

Written by hand: no driver offers an overall deadline or a size limit per row.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import time
from multiprocessing.connection import Connection
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from auditor.collectors.host.db.dsn import DsnError, parse_dsn
from auditor.collectors.host.db.inventory import collect_inventory
from auditor.evidence.stored import HostDataError, InventoryEvidence

#: Address space of the child: the interpreter, a driver and a bounded inventory fit easily.
MEMORY_LIMIT_BYTES = 768 * 1024 * 1024
#: The child's answer: table and column names of at most a few thousand tables.
MAX_RESULT_BYTES = 16 * 1024 * 1024
#: Of the time given, what the child keeps for starting up and answering (its own budget is the rest).
CHILD_MARGIN_S = 2.0

_ADAPTER = TypeAdapter(InventoryEvidence)


def inventory_isolated(
    dsn: str,
    shown: str,
    engine: str,
    *,
    timeout: float,
    host_root: Path | None = None,
    password: str | None = None,
) -> InventoryEvidence:
    """:func:`collect_inventory` of ``dsn`` in a child process, ended after ``timeout`` seconds.

    ``shown`` and ``engine`` name the database in the error evidence when the child fails.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    root = str(host_root) if host_root is not None else None
    budget = max(1.0, timeout - CHILD_MARGIN_S)
    child = context.Process(
        target=_child, args=(sender, dsn, root, budget, password), name="auditor-db-inventory", daemon=True
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(max(timeout, budget + 1.0)):
            return _failed(shown, engine, f"the database did not complete the inventory within {timeout:.0f} s")
        data = receiver.recv_bytes(MAX_RESULT_BYTES)
    except EOFError:
        child.join(5)
        return _failed(shown, engine, f"the database reader ended without a result (exit {child.exitcode})")
    except OSError as exc:  # a result larger than MAX_RESULT_BYTES, or a broken pipe
        return _failed(shown, engine, f"the database reader's result was unusable: {exc}")
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    try:
        return _ADAPTER.validate_json(data)
    except ValidationError as exc:
        return _failed(shown, engine, f"the database reader's result was unusable: {exc.error_count()} errors")


def _failed(shown: str, engine: str, reason: str) -> InventoryEvidence:
    return InventoryEvidence(dsn_redacted=shown, engine=engine, errors=(HostDataError(shown, reason),))


def _child(sender: Connection, dsn: str, root: str | None, timeout: float, password: str | None) -> None:
    """Runs in the child: limit memory, take the inventory, send it as JSON."""
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit already set is kept
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    started = time.monotonic()
    try:
        result = collect_inventory(dsn, host_root=root, timeout=timeout, password=password)
    except MemoryError:
        result = _failed(dsn_shown(dsn), "unknown", f"more than {MEMORY_LIMIT_BYTES >> 20} MiB needed: not read")
    except Exception as exc:  # errors as values; the parent must always get an answer
        reason = f"database reader failed after {time.monotonic() - started:.1f} s: {type(exc).__name__}"
        result = _failed(dsn_shown(dsn), "unknown", reason)
    sender.send_bytes(_ADAPTER.dump_json(result))
    sender.close()


def dsn_shown(dsn: str) -> str:
    """The DSN without its password, for errors raised before the inventory could say it."""
    try:
        return parse_dsn(dsn).redacted()
    except DsnError:
        return "<unparsable DSN>"
