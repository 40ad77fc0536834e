"""Host evidence on disk and in the database: oldest log entries per family, the user-database inventory.

Collectors here do I/O once and return plain frozen values (:mod:`auditor.hostdata.model`)
that checks evaluate without touching the host again.
"""

from .inventory import collect_inventory
from .logs import DEFAULT_FAMILIES, collect_log_family, collect_logs
from .model import ColumnInfo, HostDataError, InventoryEvidence, LogFamilyEvidence, LogFileInfo, TableInfo

__all__ = [
    "DEFAULT_FAMILIES",
    "ColumnInfo",
    "HostDataError",
    "InventoryEvidence",
    "LogFamilyEvidence",
    "LogFileInfo",
    "TableInfo",
    "collect_inventory",
    "collect_log_family",
    "collect_logs",
]
