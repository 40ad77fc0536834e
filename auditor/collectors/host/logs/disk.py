"""Evidence on disk: the oldest entry each log family still keeps, and which personal data its lines carry.

Configuration says how long logs *should* be kept; this says how long they *are* kept.
Per log stream (``/var/log/mail.log`` with its ``.1``, ``.2.gz``, ``-20261101.xz`` ...)
the files are ordered oldest first by rotation suffix (then mtime) and only the head of
the oldest readable one is read. A file that cannot be read is recorded as an error and
the next-oldest is tried, marking the result incomplete (the true age is then a lower
bound). journald's binary files are not parsed: archived ones carry their first entry's
time in their names, active ones only an mtime (an approximation, said so in ``notes``).
"""

from __future__ import annotations

import re
import time
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from auditor.collectors.host.logs.files import HEAD_BYTES, HEAD_LINES, FoundFile, age_order_key, find_files, read_head
from auditor.collectors.host.logs.timestamps import fields_in, oldest_in
from auditor.collectors.host.root import HostRoot, NotRegularFile, as_root, open_regular
from auditor.evidence.stored import HostDataError, LogFamilyEvidence

#: Where Debian, RHEL and the usual web-app packages put each family's logs (root-relative globs),
#: keyed by the one family list (:data:`auditor.evidence.host.LOG_FAMILIES`).
DEFAULT_FAMILIES: dict[str, tuple[str, ...]] = {
    "mail": (
        "/var/log/mail.log*",
        "/var/log/mail.info*",
        "/var/log/mail.warn*",
        "/var/log/mail.err*",
        "/var/log/maillog*",
    ),
    "web-access": ("/var/log/nginx/*access*.log*", "/var/log/apache2/*access*.log*", "/var/log/httpd/*access_log*"),
    "webmail": (
        "/var/log/roundcube/*",
        "/var/log/roundcubemail/*",
        "/var/lib/roundcube/logs/*",
        "/var/www/roundcube/logs/*",
        "/var/www/html/roundcube/logs/*",
    ),
    "cloud": (
        "/var/www/nextcloud/data/nextcloud.log*",
        "/var/www/owncloud/data/owncloud.log*",
        "/var/log/nextcloud/*.log*",
        "/var/log/owncloud/*.log*",
    ),
    "auth": ("/var/log/auth.log*", "/var/log/secure*"),
    "journal": ("/var/log/journal/*/*.journal*", "/run/log/journal/*/*.journal*"),
}

MAX_ATTEMPTS_PER_STREAM = 20
DEFAULT_BUDGET_S = 30.0
_JOURNAL_NAME = re.compile(r"^.+@[0-9a-f]{32}-[0-9a-f]{16}-(?P<rt>[0-9a-f]{16})\.journal$")
_JOURNAL_ANY = re.compile(r"\.journal~?$")


def host_timezone(root: HostRoot) -> tuple[tzinfo, str]:
    """The host's local zone (``/etc/localtime``, else ``/etc/timezone``) for RFC 3164 times, and how it was found."""
    real, _ = root.resolve("/etc/localtime")
    if real is not None:
        try:
            with open_regular(real) as handle:
                return zoneinfo.ZoneInfo.from_file(handle, key="host"), "zone from /etc/localtime"
        except NotRegularFile:
            pass  # not a zone file: /etc/timezone may still name the zone
        except (OSError, ValueError) as exc:
            return UTC, f"/etc/localtime unreadable ({exc}); zone-less times taken as UTC"
    text = root.read_text("/etc/timezone", max_bytes=256)
    if text.text and text.text.strip():
        try:
            return zoneinfo.ZoneInfo(text.text.strip()), f"zone {text.text.strip()} from /etc/timezone"
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return UTC, "host zone unknown; zone-less times taken as UTC"


def collect_logs(
    root: HostRoot | Path | str,
    families: Mapping[str, Sequence[str]] | None = None,
    *,
    budget_s: float = DEFAULT_BUDGET_S,
) -> tuple[LogFamilyEvidence, ...]:
    """Log evidence for every family (default: :data:`DEFAULT_FAMILIES`) within one time budget."""
    host = as_root(root)
    zone, zone_note = host_timezone(host)
    deadline = time.monotonic() + budget_s
    results = []
    for name, patterns in (families or DEFAULT_FAMILIES).items():
        try:
            results.append(collect_log_family(host, name, patterns, local=zone, zone_note=zone_note, deadline=deadline))
        except Exception as exc:  # a reader bug must cost one family, not the audit: "could not verify"
            failure = HostDataError(name, f"internal error: {type(exc).__name__}: {exc}")
            results.append(LogFamilyEvidence(family=name, patterns=tuple(patterns), errors=(failure,), complete=False))
    return tuple(results)


def collect_log_family(
    root: HostRoot | Path | str,
    family: str,
    patterns: Iterable[str],
    *,
    local: tzinfo | None = None,
    zone_note: str | None = None,
    deadline: float | None = None,
    head_bytes: int = HEAD_BYTES,
    head_lines: int = HEAD_LINES,
) -> LogFamilyEvidence:
    """The oldest entry, files and logged field kinds of one log family given its root-relative globs."""
    host = as_root(root)
    if local is None:
        local, zone_note = host_timezone(host)
    pats = tuple(patterns)
    errors: list[HostDataError] = []
    notes: list[str] = []
    complete = True
    seen: dict[str, FoundFile] = {}
    for pattern in pats:
        found, whole = find_files(host, pattern, errors)
        complete &= whole
        for f in found:
            seen.setdefault(f.info.path, f)
    files = sorted(seen.values(), key=lambda f: f.info.path)
    journal = [f for f in files if _JOURNAL_ANY.search(f.info.path)]
    text = [f for f in files if not _JOURNAL_ANY.search(f.info.path)]

    oldest: tuple[datetime, str, str] | None = None  # (time, file, method)
    fields: set[str] = set()
    if journal:
        oldest = _journal_oldest(journal)
        notes.append(
            "journald files are binary and not parsed: the oldest time is the first-entry time journald "
            "writes into archived file names, or a file's mtime (its last write, an approximation)"
        )
    streams: dict[str, list[FoundFile]] = {}
    for f in text:
        streams.setdefault(f.stream, []).append(f)
    used_rfc3164 = False
    for stream in sorted(streams):
        ordered = sorted(streams[stream], key=age_order_key)
        result, stream_fields, stream_complete, fmt = _stream_oldest(
            ordered, local, errors, deadline, head_bytes, head_lines
        )
        complete &= stream_complete
        fields |= stream_fields
        used_rfc3164 |= fmt == "rfc3164"
        if result is not None and (oldest is None or result[0] < oldest[0]):
            oldest = (result[0], result[1], "entry")
    if used_rfc3164:
        notes.append(f"RFC 3164 timestamps have no year or zone: year inferred from file mtime; {zone_note}")
    if any(e.reason.startswith("time budget") for e in errors):
        complete = False
    return LogFamilyEvidence(
        family=family,
        patterns=pats,
        files=tuple(f.info for f in files),
        oldest_entry=oldest[0].isoformat() if oldest else None,
        oldest_file=oldest[1] if oldest else None,
        oldest_method=oldest[2] if oldest else None,
        fields=tuple(sorted(fields)),
        notes=tuple(notes),
        errors=tuple(errors),
        complete=complete and not errors,
    )


def _stream_oldest(
    ordered: list[FoundFile],
    local: tzinfo,
    errors: list[HostDataError],
    deadline: float | None,
    head_bytes: int,
    head_lines: int,
) -> tuple[tuple[datetime, str] | None, set[str], bool, str | None]:
    """Walk one stream oldest-first until a head yields a timestamp; also sample the live file's fields."""
    complete = True
    fields: set[str] = set()
    result: tuple[datetime, str] | None = None
    fmt: str | None = None
    read: set[str] = set()
    for attempt, f in enumerate(ordered):
        if attempt >= MAX_ATTEMPTS_PER_STREAM:
            errors.append(HostDataError(f.stream, f"gave up after {MAX_ATTEMPTS_PER_STREAM} unusable files"))
            return result, fields, False, fmt
        if deadline is not None and time.monotonic() > deadline:
            errors.append(HostDataError(f.info.path, "time budget exhausted before this file was read"))
            return result, fields, False, fmt
        lines, _comp, why = read_head(f, head_bytes=head_bytes, head_lines=head_lines)
        read.add(f.info.path)
        if why is not None:
            errors.append(HostDataError(f.info.path, why))
            complete = False
            continue
        if not lines:
            continue  # an empty file (logrotate's freshly created live file) holds no entry
        mtime = datetime.fromtimestamp(f.mtime_epoch, UTC)
        parsed = oldest_in(lines, mtime=mtime, local=local)
        if parsed is None:
            errors.append(HostDataError(f.info.path, f"no recognisable timestamp in the first {len(lines)} lines"))
            complete = False
            continue
        fields |= fields_in(lines)
        result, fmt = (parsed[0], f.info.path), parsed[1]
        break
    newest = ordered[-1]
    if newest.info.path not in read and (deadline is None or time.monotonic() <= deadline):
        lines, _comp, why = read_head(newest, head_bytes=head_bytes, head_lines=head_lines)
        if why is None:
            fields |= fields_in(lines)
        else:
            errors.append(HostDataError(newest.info.path, why))
    return result, fields, complete, fmt


def _journal_oldest(files: list[FoundFile]) -> tuple[datetime, str, str] | None:
    best: tuple[datetime, str, str] | None = None
    for f in files:
        name = f.info.path.rsplit("/", 1)[1]
        mtime = datetime.fromtimestamp(f.mtime_epoch, UTC)
        when, method = mtime, "mtime"
        m = _JOURNAL_NAME.match(name)
        if m:
            try:
                head = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(m.group("rt"), 16))
            except OverflowError:
                head = None
            if head is not None and datetime(1990, 1, 1, tzinfo=UTC) < head <= mtime + timedelta(days=1):
                when, method = head, "journal-name"
        if best is None or when < best[0]:
            best = (when, f.info.path, method)
    return best
