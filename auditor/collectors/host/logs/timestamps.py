"""Timestamps and personal-data field kinds in the first lines of a log file.

Hand-written because the formats are few and fixed (RFC 3164, RFC 5424/ISO 8601,
common log format, Roundcube, Nextcloud JSON, Apache error log) and a general date
guesser (dateutil) would happily read a number in a message body as a date.

RFC 3164 carries neither year nor zone: the year is inferred from the file's mtime
(the last write, so an entry "later" than it belongs to the previous year — the
December→January wrap), the zone is the host's ``/etc/localtime`` when given.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo

_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}

# Nextcloud/ownCloud JSON lines: {"reqId":"..","level":2,"time":"2026-11-23T09:15:01+00:00",...}
_JSON_TIME = re.compile(r'"time"\s*:\s*"([^"]{8,40})"')
# nginx/Apache common and combined log format: [23/Nov/2026:09:15:01 +0100]
_CLF = re.compile(r"\[(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.\d+)? ([+-]\d{4})\]")
# Roundcube: [23-Nov-2026 09:15:01 +0100] (log_date_format 'd-M-Y H:i:s O'; zone optional)
_ROUNDCUBE = re.compile(r"^\[(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: ([+-]\d{4}|[A-Z]{2,5}))?\]")
# Apache error log: [Mon Nov 23 09:15:01.123456 2026]
_APACHE_ERR = re.compile(r"^\[[A-Za-z]{3} ([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\d{4})\]")
# RFC 5424 (<pri>1 TIMESTAMP ...), rsyslog's RFC 3339 file format, ISO lines (Dovecot's own log, PHP apps)
_ISO = re.compile(
    r"^(?:<\d{1,3}>\d{0,2} ?)?\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?"
)
# RFC 3164: Nov 23 09:15:01 (day space-padded)
_RFC3164 = re.compile(r"^(?:<\d{1,3}>)?([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\b")


def _offset(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text)
    if not m:
        return None
    delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return timezone(-delta if m.group(1) == "-" else delta)


def _month(name: str) -> int | None:
    return _MONTHS.get(name.lower())


def _build(year: int, month: int | None, day: int, hms: tuple[int, int, int], tz: tzinfo | None) -> datetime | None:
    if month is None:
        return None
    try:
        return datetime(year, month, day, *hms, tzinfo=tz)
    except ValueError:
        return None


def _parse_iso_text(text: str, local: tzinfo) -> datetime | None:
    m = _ISO.match(text)
    if not m:
        return None
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    tz = _offset(m.group(8)) or local
    try:
        return datetime(y, mo, d, hh, mi, ss, micro, tzinfo=tz)
    except ValueError:
        return None


def infer_year(month: int, day: int, reference: datetime) -> int | None:
    """The year of an RFC 3164 ``month day`` written no later than ``reference`` (the file's mtime).

    One day of slack absorbs clock skew and zone differences; Feb 29 walks back to a leap year.
    """
    for year in range(reference.year, reference.year - 8, -1):
        try:
            candidate = datetime(year, month, day, tzinfo=reference.tzinfo)
        except ValueError:
            continue
        if candidate <= reference + timedelta(days=1):
            return year
    return None


def parse_line(line: str, *, mtime: datetime, local: tzinfo = UTC) -> tuple[datetime, str] | None:
    """The timestamp a log line starts with, as an aware datetime, and the format name; ``None`` if none."""
    head = line[:400]
    if head.lstrip().startswith("{"):
        m = _JSON_TIME.search(head if len(line) <= 400 else line[:4000])
        if m:
            parsed = _parse_iso_text(m.group(1), local)
            if parsed is not None:
                return parsed, "nextcloud-json"
            return None
    m = _ROUNDCUBE.match(head)
    if m:
        tz = _offset(m.group(7)) or local
        dt = _build(int(m.group(3)), _month(m.group(2)), int(m.group(1)), _hms(m, 4), tz)
        return (dt, "roundcube") if dt else None
    m = _APACHE_ERR.match(head)
    if m:
        dt = _build(int(m.group(6)), _month(m.group(1)), int(m.group(2)), _hms(m, 3), local)
        return (dt, "apache-error") if dt else None
    parsed = _parse_iso_text(head, local)
    if parsed is not None:
        return parsed, "iso8601"
    m = _RFC3164.match(head)
    if m:
        month = _month(m.group(1))
        if month is None:
            return None
        ref = mtime.astimezone(local)
        year = infer_year(month, int(m.group(2)), ref)
        if year is None:
            return None
        dt = _build(year, month, int(m.group(2)), _hms(m, 3), local)
        return (dt, "rfc3164") if dt else None
    m = _CLF.search(head)
    if m:
        dt = _build(int(m.group(3)), _month(m.group(2)), int(m.group(1)), _hms(m, 4), _offset(m.group(7)))
        return (dt, "common-log") if dt else None
    return None


def _hms(m: re.Match[str], first: int) -> tuple[int, int, int]:
    return int(m.group(first)), int(m.group(first + 1)), int(m.group(first + 2))


def oldest_in(lines: Iterable[str], *, mtime: datetime, local: tzinfo = UTC) -> tuple[datetime, str] | None:
    """The earliest timestamp among ``lines`` (a file's head) with its format name."""
    best: tuple[datetime, str] | None = None
    for line in lines:
        parsed = parse_line(line, mtime=mtime, local=local)
        if parsed is not None and (best is None or parsed[0] < best[0]):
            best = parsed
    return best


# --- which kinds of personal data a line carries (names only, never values) ---------------

_IPV4 = re.compile(r"(?<![\w.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\w.])")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+=-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")
_REQUEST = re.compile(r'"(?:GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|PROPFIND|REPORT|MKCOL|MOVE|COPY) \S+')
_URL = re.compile(r"\bhttps?://[^\s\"']+")
# combined log format: ... "request" status bytes "referer" "user agent"
_COMBINED_UA = re.compile(r'"[^"]*" \d{3} (?:\d+|-) "[^"]*" "[^"]+"')
_UA_TOKEN = re.compile(r'"(?:Mozilla|curl|Wget|python-requests|okhttp|Thunderbird|Dalvik|Apple)[^"]*/[^"]*"')
_JSON_UA = re.compile(r'"userAgent"\s*:\s*"[^"]+"')
_JSON_URL = re.compile(r'"url"\s*:\s*"[^"]+"')
_JSON_USER = re.compile(r'"user"\s*:\s*"(?!--")[^"]+"')
_SUBJECT = re.compile(r"(?i)\b(?:header Subject:|subject=)")
_USER = re.compile(r"(?i)\b(?:sasl_username=|user=<|user=\S|for invalid user|for user \S|Accepted \w+ for )")
_MESSAGE_ID = re.compile(r"(?i)\bmessage-id=<")


def _has_ipv6(line: str) -> bool:
    for cand in _IPV6_CANDIDATE.findall(line):
        try:
            ipaddress.IPv6Address(cand)
        except ValueError:
            continue
        return True
    return False


def fields_in(lines: Iterable[str]) -> set[str]:
    """Kinds of personal data seen in ``lines``; only the kind names leave this function."""
    found: set[str] = set()
    for line in lines:
        if _IPV4.search(line) or _has_ipv6(line):
            found.add("ip-address")
        if _EMAIL.search(line):
            found.add("e-mail-address")
        if _COMBINED_UA.search(line) or _UA_TOKEN.search(line) or _JSON_UA.search(line):
            found.add("user-agent")
        if _REQUEST.search(line) or _URL.search(line) or _JSON_URL.search(line):
            found.add("url")
        if _SUBJECT.search(line):
            found.add("subject-line")
        if _USER.search(line) or _JSON_USER.search(line):
            found.add("user-name")
        if _MESSAGE_ID.search(line):
            found.add("message-id")
    return found
