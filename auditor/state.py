"""Run-to-run memory kept in a state directory (``--state-dir``), written atomically.

Some facts only mean something against the previous run: an MTA-STS policy whose
body changed while its ``id`` did not is never re-fetched by senders; a mailed report
states what changed since last time. The state is one JSON file per audited target.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from auditor.fsutil import atomic_write
from auditor.safeload import InputFileError, read_bytes

MAX_STATE_BYTES = 1024 * 1024  # a few facts per target
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class StateStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, target: str) -> Path:
        return self.directory / f"{_SAFE.sub('_', target)[:200] or 'default'}.json"

    def load(self, target: str) -> dict[str, Any]:
        """The saved state, or ``{}`` when there is none or it is unreadable."""
        try:
            data = json.loads(read_bytes(self._path(target), max_bytes=MAX_STATE_BYTES, kind="state"))
        except (InputFileError, ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, target: str, state: dict[str, Any]) -> None:
        atomic_write(self._path(target), json.dumps(state, indent=1, sort_keys=True), mode=0o600)
