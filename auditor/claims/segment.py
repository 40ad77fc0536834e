"""Split normalised statement text into sentence units with offsets.

Hand-written because the rules are specific to statements: a line ending in a colon
belongs to the list on the next line ("folgende Daten:\\nName, ..."), short lines
without final punctuation are headings (they set the topic of what follows), and
German/English abbreviations and ordinals ("ggf.", "z.B.", "25. Mai") do not end a
sentence. Everything is linear in the text length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset(
    [
        "z.b",
        "ggf",
        "bzw",
        "ca",
        "inkl",
        "evtl",
        "u.a",
        "d.h",
        "sog",
        "etc",
        "e.g",
        "i.e",
        "nr",
        "abs",
        "art",
        "vgl",
        "dr",
        "bspw",
        "usw",
        "zzgl",
        "gem",
        "lt",
        "s",
        "ff",
        "max",
        "min",
        "mio",
        "z",
        "u",
        "v",
        "vs",
        "no",
        "approx",
        "incl",
        "cf",
        "mr",
        "ms",
        "st",
        "str",
        "tel",
        "u.ä",
        "o.ä",
        "i.d.r",
        "a.f",
        "n.f",
    ]
)
_BOUNDARY = re.compile(r"[.!?]+[\"”“'’)\]]*\s+")
_HEADING_MAX = 100


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence (or heading) of the statement; ``text`` is ``source[start:end]``."""

    start: int
    end: int
    text: str
    heading: bool = False
    question: bool = False


_BULLET = re.compile(r"^(?:[-*•–]|\d{1,2}[.)])\s")


def _lines(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _blocks(text: str) -> list[tuple[int, int]]:
    """Non-empty lines as (start, end); a line ending in ':' takes the list that follows it.

    The list is the next line, or (across blank lines, as HTML and Markdown lists come out)
    the bullet items that follow, so "folgende Daten:\n• Name\n• IP-Adresse" is one unit.
    """
    lines = [(a, b) for a, b in _lines(text) if text[a:b].strip()]
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        start, end = lines[i]
        if text[start:end].rstrip().endswith(":") and i + 1 < len(lines):
            i += 1
            end = lines[i][1]
            if _BULLET.match(text[lines[i][0] : lines[i][1]]):
                while i + 1 < len(lines) and _BULLET.match(text[lines[i + 1][0] : lines[i + 1][1]]):
                    i += 1
                    end = lines[i][1]
        blocks.append((start, end))
        i += 1
    return blocks


def _ends_sentence(text: str, dot: int) -> bool:
    """False after an abbreviation, an ordinal/date number or a single initial."""
    if text[dot] != ".":
        return True
    # look back a bounded window only: an unbounded rfind would make long blocks quadratic
    window = text[max(0, dot - 40) : dot]
    token = re.split(r"[\s(]", window)[-1].lower()
    if not token or token in _ABBREVIATIONS or token.isdigit():
        return False
    return not (len(token) == 1 and token.isalpha())


def segment(text: str) -> list[Unit]:
    units: list[Unit] = []
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end]
        stripped = block.rstrip()
        if (
            len(stripped) <= _HEADING_MAX
            and "\n" not in stripped
            and not re.search(r"[.!:;,]$", stripped)
            and not _BULLET.match(stripped)
        ):
            units.append(
                Unit(block_start, block_start + len(stripped), stripped, heading=True, question=stripped.endswith("?"))
            )
            continue
        start = 0
        for match in _BOUNDARY.finditer(block):
            if not _ends_sentence(block, match.start()):
                continue
            nxt = block[match.end() : match.end() + 1]
            if nxt and nxt.islower():
                continue
            units.append(_unit(block, block_start, start, match.end()))
            start = match.end()
        if start < len(block):
            units.append(_unit(block, block_start, start, len(block)))
    return [u for u in units if u.text]


def _unit(block: str, offset: int, start: int, end: int) -> Unit:
    piece = block[start:end]
    lead = len(piece) - len(piece.lstrip())
    trimmed = piece.strip()
    return Unit(offset + start + lead, offset + start + lead + len(trimmed), trimmed, question=trimmed.endswith("?"))
