"""Backup evidence: the retention each backup tool's configuration implies (borgmatic, restic, borg, rsnapshot).

Filled by :mod:`auditor.collectors.host.readers.backups`; the ``backup`` check holds it
against the statement's promise about deleted data leaving the backups.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.evidence.settings import Setting
from auditor.models import Message


@dataclass(frozen=True, slots=True)
class BackupRetention:
    """The retention one backup configuration implies.

    ``longest_days``: the oldest backup it keeps, in days (``None`` with ``unbounded``
    when nothing prunes, e.g. no keep rule or a ``-1`` count). ``effective`` is False for
    dry runs: then nothing is ever deleted.
    """

    tool: str
    file: str
    line: int
    rules: tuple[Setting, ...]
    longest_days: float | None
    unbounded: bool
    effective: bool = True
    #: what limits the reading, as messages (plain text in older bundles)
    caveats: tuple[str | Message, ...] = ()


@dataclass(frozen=True, slots=True)
class BackupConfig:
    retentions: tuple[BackupRetention, ...]
    files: tuple[str, ...]
    errors: tuple[str, ...] = ()

    @property
    def longest_days(self) -> float | None:
        """Longest effective retention over all tools (``None`` if any is unbounded or none found)."""
        if not self.retentions or any(r.unbounded or not r.effective for r in self.retentions):
            return None
        return max(r.longest_days or 0.0 for r in self.retentions)
