"""The ``name=value; name=value`` tag lists of DMARC, MTA-STS and TLS-RPT records.

All three RFCs share this shape (RFC 7489 §6.4, RFC 8461 §3.1, RFC 8460 §3) but not its
details: DMARC allows whitespace around ``=``, the other two do not; each has its own
rule for what a record must start with. This module only splits and reports what it
saw, as values; the record modules decide what a receiver makes of it. Hand-written:
the format is a few lines of grammar and no kept library exposes it without also
doing DNS I/O (checkdmarc) or stopping at the first error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.models import Message, msg

WSP = " \t"  # RFC 5234 WSP: space and horizontal tab, nothing else

# RFC 8461 §3.1 sts-ext-name / RFC 8460 §3 tlsrpt-ext-name; DMARC tag names are
# ALPHA *(ALPHA/DIGIT) in practice (RFC 7489 §6.4), a subset of this.
EXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
# RFC 8461 sts-ext-value / RFC 8460 tlsrpt-ext-value: visible ASCII except ";" and "=".
EXT_VALUE = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+")


@dataclass(frozen=True, slots=True)
class Tag:
    name: str  # as written (compare with .key)
    value: str

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class TagList:
    """The tags of one record in order, and what did not fit the tag-list shape."""

    tags: tuple[Tag, ...]
    problems: tuple[Message, ...]

    def values(self, key: str) -> tuple[str, ...]:
        return tuple(t.value for t in self.tags if t.key == key)

    def first(self, key: str) -> str | None:
        found = self.values(key)
        return found[0] if found else None

    def duplicates(self) -> tuple[str, ...]:
        seen: list[str] = []
        doubled: list[str] = []
        for tag in self.tags:
            if tag.key in seen and tag.key not in doubled:
                doubled.append(tag.key)
            seen.append(tag.key)
        return tuple(doubled)


def split_tags(text: str, *, space_around_equals: bool) -> TagList:
    """Split on ``*WSP ";" *WSP``; a single trailing ``;`` is allowed by every grammar.

    ``space_around_equals``: DMARC's ``tag *WSP "=" *WSP value`` (True) or the strict
    ``name=value`` of MTA-STS and TLS-RPT (False).
    """
    parts = text.split(";")
    if parts and parts[-1].strip(WSP) == "":
        parts = parts[:-1]  # the optional trailing separator
    tags: list[Tag] = []
    problems: list[Message] = []
    for position, raw in enumerate(parts, start=1):
        part = raw.strip(WSP)
        if not part:
            problems.append(msg("tags.empty", position=position))
            continue
        if part != raw.strip():
            problems.append(msg("tags.odd-space", position=position))
        name, sep, value = part.partition("=")
        if not sep:
            problems.append(msg("tags.not-name-value", position=position, field=repr(part[:40])))
            continue
        if space_around_equals:
            name, value = name.rstrip(WSP), value.lstrip(WSP)
        elif name != name.rstrip(WSP) or value != value.lstrip(WSP):
            problems.append(msg("tags.space-around-equals", position=position))
            name, value = name.rstrip(WSP), value.lstrip(WSP)
        tags.append(Tag(name, value))
    return TagList(tuple(tags), tuple(problems))


def starts_with_version(text: str, version: str, *, space_around_equals: bool = False) -> bool:
    """Does the record begin with exactly ``v=<version>`` (then WSP, ``;`` or its end)?

    The version value is case-sensitive in all three RFCs (RFC 8461 and 8460 write
    ``%s"v=STSv1"``, RFC 7489 spells DMARC1 as ``%x44 %x4d ...``); only DMARC's tag
    name ``v`` is an ABNF quoted string and so case-insensitive, with optional spaces
    around ``=``. Leading whitespace disqualifies: each RFC makes the version the very
    start of the record, and receivers discard records that do not start with it.
    """
    prefix = r"[vV][ \t]*=[ \t]*" if space_around_equals else r"v="
    return re.match(prefix + re.escape(version) + r"(?=[ \t;]|$)", text) is not None


def trailing_space_problem(text: str) -> list[Message]:
    """Whitespace may follow only a ``;`` delimiter (RFC 8461 §3.1, RFC 8460 §3 grammars)."""
    stripped = text.rstrip(WSP)
    if stripped != text and not stripped.endswith(";"):
        return [msg("tags.trailing-space")]
    return []


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Record text as it may appear in a finding's sentence: control characters (a record
    can carry ESC or BEL) written as ``\\xNN``, never passed on to a terminal or report."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
