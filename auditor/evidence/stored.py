"""Plain value types for evidence found on the host's disk and in its user database.

They are frozen dataclasses of plain values so an evidence bundle round-trips through
JSON (pydantic ``TypeAdapter``) and checks can be tested from fixtures. Nothing here
ever holds a log line, a password hash or a database password: only paths, sizes,
timestamps, names, field *kinds* and per-scheme counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from auditor.evidence.durations import DAY_SECONDS


@dataclass(frozen=True, slots=True)
class HostDataError:
    """Why one file, table or connection could not be examined (``path`` is root-relative or a redacted DSN)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True, slots=True)
class LogFileInfo:
    """One current, rotated or compressed log file as seen on disk.

    ``compressed`` is ``gz``/``xz``/``bz2``/``zst`` (from the file's magic bytes, else its
    name) or ``None``. ``rotation_index`` is 0 for the live file and ``n`` for ``.n``
    suffixes; ``date_suffix`` (``YYYY-MM-DD``) is set for logrotate ``dateext`` names.
    ``mtime`` is ISO 8601 in UTC.
    """

    path: str
    size: int
    mtime: str
    compressed: str | None = None
    rotation_index: int | None = 0
    date_suffix: str | None = None


@dataclass(frozen=True, slots=True)
class LogFamilyEvidence:
    """What is really kept on disk for one log family (mail, web-access, auth, journal ...).

    ``oldest_entry`` is the earliest timestamp found (ISO 8601 with offset) and
    ``oldest_file`` the file it came from. ``oldest_method`` says how it was obtained:
    ``entry`` (parsed from a log line), ``journal-name`` (the head-entry time journald
    encodes in archived file names) or ``mtime`` (a file's modification time, an
    approximation only). ``fields`` are the kinds of personal data the lines carry
    (``ip-address``, ``e-mail-address`` ...), sampled from the heads; never values.
    ``complete`` is False when some file could not be read or the listing was cut short,
    so the observed age is a lower bound.
    """

    family: str
    patterns: tuple[str, ...]
    files: tuple[LogFileInfo, ...] = ()
    oldest_entry: str | None = None
    oldest_file: str | None = None
    oldest_method: str | None = None
    fields: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    errors: tuple[HostDataError, ...] = ()
    complete: bool = True

    @property
    def found(self) -> bool:
        return bool(self.files)

    def age_days_at(self, collected_at: datetime | str) -> float | None:
        """Age of the oldest entry in days at ``collected_at`` (checks pass the bundle's time, not the clock)."""
        if self.oldest_entry is None:
            return None
        now = datetime.fromisoformat(collected_at) if isinstance(collected_at, str) else collected_at
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        oldest = datetime.fromisoformat(self.oldest_entry)
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return (now - oldest).total_seconds() / DAY_SECONDS


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """A column and the data category it holds (``None``: not personal data we know of).

    ``recognised_by``: how the category was found: ``name`` (the column lexicon), ``type`` (a
    database type that holds it, e.g. PostgreSQL ``inet``) or ``values`` (sampled values parse
    as it; the values themselves are never kept)."""

    name: str
    type: str
    category: str | None = None
    recognised_by: str = "name"


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A table's name, its row count (``None`` if counting failed) and its columns."""

    name: str
    rows: int | None
    columns: tuple[ColumnInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class InventoryEvidence:
    """What the user database stores, by category, and how its passwords are hashed.

    ``dsn_redacted`` never contains a password. ``hash_schemes`` maps a scheme name
    (``SHA512-CRYPT``, ``MD5-CRYPT``, ``PLAIN`` ...) to a count; hashes themselves are
    never kept. ``hash_columns`` names the ``table.column`` pairs that were counted and
    ``hash_rows_examined`` how many values were looked at (bounded).
    """

    dsn_redacted: str
    engine: str
    tables: tuple[TableInfo, ...] = ()
    categories_found: tuple[str, ...] = ()
    hash_schemes: dict[str, int] = field(default_factory=dict)
    hash_columns: tuple[str, ...] = ()
    hash_rows_examined: int = 0
    truncated: bool = False
    errors: tuple[HostDataError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors
