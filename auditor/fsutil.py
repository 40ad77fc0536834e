"""Atomic file writes: a report or state file is either the old one or the new one.

A CI job killed mid-write, or a full disk, must never leave a truncated report that a
later ``auditor diff`` or a DPO would read as complete.

Permissions: a report, bundle or claims file is created like any file the shell would
create, ``0666 & ~umask`` (so ``umask 077`` gives ``0600``: reports hold personal data
and a scheduled job can keep them private). State files are always ``0600``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def creation_mode() -> int:
    """``0666 & ~umask``: the mode ``open(2)`` would give a new file in this process."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():  # Linux >= 4.7: read without changing it
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    current = os.umask(0o077)  # elsewhere the only way to read it is to set it (and put it back)
    os.umask(current)
    return 0o666 & ~current


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically; ``mode`` defaults to :func:`creation_mode`."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = target.parent if str(target.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), creation_mode() if mode is None else mode)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
