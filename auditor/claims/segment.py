"""Split normalised statement text into units (sentences, headings, list items) with offsets.

Hand-written because the structure of statements decides what a sentence refers to, and
no sentence splitter knows it: hard-wrapped plain text and PDF copies are re-joined
(a line that does not end a sentence continues on the next); a line ending in a colon
introduces the list that follows it (bullets, numbers or plain short lines), and each
item keeps a pointer to that lead-in (a negated lead-in negates its items); short lines
without final punctuation are headings that set the topic of what follows; German and
English abbreviations and ordinals ("ggf.", "z.B.", "25. Mai") do not end a sentence.
Everything is linear in the text length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.claims.periods import find_periods

_ABBREVIATIONS = frozenset(
    (  # noqa: SIM905 - a word list reads best as words
        "z.b ggf bzw ca inkl evtl u.a d.h sog etc e.g i.e nr abs art vgl dr bspw usw zzgl gem lt s ff max min mio z u "
        "v vs no approx incl cf mr ms st str tel u.ä o.ä i.d.r a.f n.f prof fax"
    ).split()
)
_BOUNDARY = re.compile(r"[.!?]+[\"”“'’)\]*]*\s+")
_HEADING_MAX = 100
_BULLET = re.compile(r"^(?:[-*•–·▪◦](?=\s)|\d{1,2}[.)](?=\s))\s*")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_NUMBERED = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?(?:\s+-)?\s+\S")
_SENTENCE_END = re.compile(r"[.!?:;]\W{0,2}$")
_WRAP_TAIL = re.compile(
    r"(?:[,(\-–/]|\b(?:und|oder|sowie|der|die|das|des|den|dem|ein|eine|einen|mit|von|für|in|an|zu|auf|als|and|or|"
    r"the|a|an|of|to|for|with|in|on|by|from|that|which|is|are|will|be|nor|nach|vor|ab|bis|seit))$",
    re.IGNORECASE,
)
_LONG_LINE = 55
#: A row of a pipe table (Markdown, or text copied from one), and its header rule ("| --- | :-: |").
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^[\s|:-]+$")
#: Words with which a line announces the list below it ("folgende Daten:", "the following:").
_ANNOUNCES_LIST = re.compile(
    r"folgend|following|nachstehend|below|unten|these|diese|include|enthalt|beinhalt", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence, heading or list item; ``text`` is ``source[start:end]``.

    ``lead_in`` is the index (in the unit list) of the line introducing the list an item
    belongs to; ``section`` the index of the heading governing the unit; units of one
    paragraph (and a list with its lead-in) share ``paragraph``.
    """

    start: int
    end: int
    text: str
    heading: bool = False
    question: bool = False
    item: bool = False
    lead_in: int | None = None
    paragraph: int = 0
    section: int | None = None
    #: a flattened table row (its cells on lines of their own): a label line however long
    row: bool = False


@dataclass(frozen=True, slots=True)
class _Line:
    start: int
    end: int
    text: str
    bullet: bool
    blank: bool


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        out.append(_Line(pos, pos + len(raw), raw, bool(_BULLET.match(stripped)), not stripped))
        pos += len(raw) + 1
    return out


def _continues(prev: _Line, line: _Line) -> bool:
    """Whether ``line`` continues the sentence of ``prev`` (a hard wrap or a PDF line break)."""
    if line.blank or line.bullet or _MD_HEADING.match(line.text) or _PIPE_ROW.match(line.text):
        return False
    tail = prev.text.rstrip()
    if _PIPE_ROW.match(tail):
        return False
    if _SENTENCE_END.search(tail):
        return False
    first = line.text.lstrip()[:1]
    return bool(_WRAP_TAIL.search(tail) or first.islower() or len(tail) >= _LONG_LINE)


def _is_heading(text: str) -> bool:
    if _MD_HEADING.match(text):
        return True
    stripped = _NUMBERED.sub(lambda m: m.group()[-1], text.strip()).strip("*_").strip()
    if not stripped or len(stripped) > _HEADING_MAX or "\n" in stripped or _BULLET.match(stripped):
        return False
    if re.search(r"[.!:;,]$", stripped) or re.search(r":\s+\S", stripped) or _WRAP_TAIL.search(stripped):
        return False  # a line ending in "ist die" or "and the" goes on after a break
    return not stripped[:1].islower()


@dataclass
class _Builder:
    text: str
    units: list[Unit]
    paragraph: int = 0
    section: int | None = None

    def add(
        self,
        start: int,
        end: int,
        *,
        heading: bool = False,
        item: bool = False,
        lead_in: int | None = None,
        row: bool = False,
    ) -> int | None:
        piece = self.text[start:end]
        lead = len(piece) - len(piece.lstrip())
        body = piece.strip()
        if not body:
            return None
        start += lead
        unit = Unit(
            start,
            start + len(body),
            body,
            heading=heading,
            question=body.endswith("?"),
            item=item,
            lead_in=lead_in,
            paragraph=self.paragraph,
            section=self.section,
            row=row,
        )
        self.units.append(unit)
        if heading:
            self.section = len(self.units) - 1
        return len(self.units) - 1

    def sentences(self, start: int, end: int, *, item: bool = False, lead_in: int | None = None) -> int | None:
        """Split one logical line into sentences; returns the index of the last unit added."""
        block = self.text[start:end]
        first = 0
        last: int | None = None
        for match in _BOUNDARY.finditer(block):
            if not _ends_sentence(block, match.start()):
                continue
            nxt = block[match.end() : match.end() + 1]
            if nxt and nxt.islower():
                continue
            added = self.add(start + first, start + match.end(), item=item, lead_in=lead_in)
            last = last if added is None else added
            first = match.end()
        if first < len(block):
            added = self.add(start + first, end, item=item, lead_in=lead_in)
            last = last if added is None else added
        return last


def _table_row(text: str, logical: list[tuple[int, int, bool, bool]], i: int) -> int:
    """End (exclusive) of a run of short unpunctuated lines from ``i`` that names a period, else ``i``."""
    j = i
    while j < len(logical):
        start, end, bullet, blank_before = logical[j]
        line = text[start:end].strip()
        if bullet or (blank_before and j > i) or len(line) > _HEADING_MAX or _SENTENCE_END.search(line):
            break
        j += 1
    timed = sum(1 for start, end, _, _ in logical[i:j] if find_periods(text[start:end]))
    if timed == 0 and j - i >= 3 and _period_cell(text, logical, j):
        # the row's last cell stands apart after a blank line ("...\n\nMax. 6 Monate nach\n\n
        # Rechnungsstellung"): a page that gives each cell a paragraph of its own
        j, timed = j + 1, 1
        cell = text[logical[j - 1][0] : logical[j - 1][1]].strip()
        if _WRAP_TAIL.search(cell) and j < len(logical) and len(_line(text, logical[j])) <= _CELL_MAX:
            j += 1  # ... and the words its period counts from ("nach" / "Rechnungsstellung")
    if j - i < 3 or timed != 1:  # rows with a period each are a table read line by line
        return i
    return j


_CELL_MAX = 60


def _line(text: str, logical: tuple[int, int, bool, bool]) -> str:
    return text[logical[0] : logical[1]].strip()


def _period_cell(text: str, logical: list[tuple[int, int, bool, bool]], j: int) -> bool:
    """A short line holding a period, not a bullet and not a sentence."""
    if j >= len(logical) or logical[j][2]:
        return False
    line = _line(text, logical[j])
    return len(line) <= _CELL_MAX and not _SENTENCE_END.search(line) and bool(find_periods(line))


def _ends_sentence(text: str, dot: int) -> bool:
    """False after an abbreviation, an ordinal/date number or a single initial."""
    if text[dot] != ".":
        return True
    window = text[max(0, dot - 40) : dot]  # bounded look-back keeps long blocks linear
    token = re.split(r"[\s(]", window)[-1].lower()
    if not token or token in _ABBREVIATIONS or re.fullmatch(r"\d+(?:\.\d+)*", token):
        return False
    return not (len(token) == 1 and token.isalpha())


def _logical_lines(lines: list[_Line]) -> list[tuple[int, int, bool, bool]]:
    """(start, end, bullet, blank_before) of each line after re-joining hard wraps."""
    out: list[tuple[int, int, bool, bool]] = []
    blank_before = True
    listing = False  # short lines after a line ending in ":" are items, not a wrapped sentence
    prev: _Line | None = None
    for line in lines:
        if line.blank:
            blank_before = True
            listing = False
            prev = None
            continue
        if prev is not None and prev.text.rstrip().endswith(":"):
            listing = True
        if listing and (len(line.text.strip()) > _HEADING_MAX or re.search(r"[.?!]$", line.text.strip())):
            listing = False
        if prev is not None and out and not listing and _continues(prev, line):
            start, _, bullet, before = out[-1]
            out[-1] = (start, line.end, bullet, before)
        else:
            out.append((line.start, line.end, line.bullet, blank_before))
        blank_before = False
        prev = line
    return out


def segment(text: str) -> list[Unit]:
    """Units of the whole statement in reading order."""
    builder = _Builder(text, [])
    logical = _logical_lines(_lines(text))
    i = 0
    while i < len(logical):
        start, end, bullet, blank_before = logical[i]
        body = text[start:end].strip()
        if blank_before:
            builder.paragraph += 1
        if body.endswith(":") and i + 1 < len(logical):
            nxt_start, nxt_end, nxt_bullet, nxt_blank = logical[i + 1]
            nxt = text[nxt_start:nxt_end].strip()
            if nxt_blank and not nxt_bullet and len(body) <= 80 and not _ANNOUNCES_LIST.search(body):
                # "We keep minimal logs:" over a paragraph is a heading, not a list's lead-in
                builder.paragraph += 1
                builder.add(start, end, heading=True)
                builder.paragraph += 1
                i += 1
                continue
            if (
                not nxt_bullet
                and not nxt_blank
                and not _is_heading(nxt)
                and re.search(r"[.!]$", nxt)
                and not _MD_HEADING.match(nxt)
            ):
                # the sentence goes on after the colon ("folgende Daten:\nName, ...")
                builder.sentences(start, nxt_end, item=bullet)
                i += 2
                continue
            lead = builder.sentences(start, end, item=bullet)
            i += 1
            while i < len(logical):
                s, e, b, blank = logical[i]
                line = text[s:e].strip()
                plain_item = (
                    not b
                    and not blank
                    and len(line) <= _HEADING_MAX
                    and not re.search(r"[.?]$", line)
                    and not _NUMBERED.match(line)
                )
                if not (b or plain_item) or line.endswith("?") or _MD_HEADING.match(line):
                    break
                if b and _BULLET.match(line) and len(line) <= 3:
                    i += 1
                    continue
                builder.sentences(s, e, item=True, lead_in=lead)
                i += 1
            continue
        if _PIPE_ROW.match(body):
            # "| Zendesk, Inc. | support data ... | United States |": one row, cells side by side
            if not _PIPE_RULE.match(body):
                builder.add(start, end, item=True, row=True)
            i += 1
            continue
        run = _table_row(text, logical, i)
        if run > i + 2:
            # three or more short lines in a row holding a period: a flattened table row
            # ("Telefonie / Gewählte Rufnummer / ... / Max. 6 Monate nach / Rechnungsstellung")
            builder.add(start, logical[run - 1][1], item=True, row=True)
            i = run
            continue
        if _is_heading(body) and (not bullet or _NUMBERED.match(body)):
            builder.paragraph += 1
            builder.add(start, end, heading=True)
            builder.paragraph += 1
        else:
            builder.sentences(start, end, item=bullet)
        i += 1
    return builder.units
