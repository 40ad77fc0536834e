"""Durations and events in statement text ("bis zu sieben Tage", "48-72 hours", "half a year",
"solange das Konto besteht").

Durations become ISO 8601 (weeks normalised to days so "one week" and "7 Tage" agree; a
fraction goes down one unit: "half a year" = P6M). A bound may stand before the number
("bis zu", "nach spätestens", "for a maximum of") or after the unit ("half a year at
most"); a range keeps its lower end. Events ("after account closure", "immediately") are
found separately: a claim may carry both ("30 days from account termination").
Numbers, units, bounds and events are data (``periods.yaml``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from auditor.claims.vocab import lower, vocabulary

_UNITS_DIGITS = "0123456789"
_SMALLER = {"Y": ("M", 12), "M": ("D", 30), "W": ("D", 7), "D": ("H", 24), "H": ("H", 1)}


@dataclass(frozen=True, slots=True)
class Period:
    """A duration found in a sentence (offsets into that sentence)."""

    iso: str
    bound: str
    start: int
    end: int
    minimum: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    start: int
    end: int


@functools.cache
def _number_pattern() -> str:
    vocab = vocabulary()
    units_words = [w for w, n in vocab.numbers.items() if n < 10 and w not in ("a", "an")]
    de_units = "|".join(
        sorted({w for w in units_words if w.isascii() is False or w in _DE_UNITS}, key=len, reverse=True)
    )
    en_units = "one|two|three|four|five|six|seven|eight|nine"
    tens = "|".join(sorted(vocab.tens, key=len, reverse=True))
    words = "|".join(sorted((re.escape(w) for w in vocab.numbers), key=len, reverse=True))
    fractions = "|".join(f"(?:{f})" for f in sorted(vocab.fractions, key=len, reverse=True))
    compound = rf"(?:{tens})[- ](?:{en_units})|(?:{de_units})und(?:{tens})"
    return rf"\d{{1,4}}(?:[.,]5)?|{fractions}|{compound}|{words}"


_DE_UNITS = frozenset(["ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"])


@functools.cache
def _duration_pattern() -> re.Pattern[str]:
    vocab = vocabulary()
    number = _number_pattern()
    units = "|".join(f"(?P<{k}>{v})" for k, v in vocab.units.items())
    return re.compile(
        rf"(?<![\w.,])(?:(?P<lo>\d{{1,4}}){vocab.range_joiner}|(?P<lo_word>{number})\s(?:bis|to|und|and|oder|or)\s)?"
        rf"(?P<num>{number})(?:\s?\(\d{{1,4}}\))?(?:\s(?:volle[n]?|vollständige[n]?|ganze[n]?|weitere[n]?|"
        rf"zusätzliche[n]?|full|complete|whole|further|additional|calendar|kalender))?"
        rf"(?:\s?-\s?|\s)?(?:{units})(?!\w)"
    )


def number_value(raw: str) -> float | None:
    """The value of a number as written: digits, a number word, a compound or a fraction."""
    vocab = vocabulary()
    raw = raw.strip().lower()
    if raw and raw[0] in _UNITS_DIGITS:
        return float(raw.replace(",", "."))
    if raw in vocab.numbers:
        return float(vocab.numbers[raw])
    for pattern, value in vocab.fractions.items():
        if re.fullmatch(pattern, raw):
            return value
    for ten in vocab.tens:
        if raw.startswith(ten) and raw[len(ten) : len(ten) + 1] in ("-", " "):
            unit = raw[len(ten) + 1 :]
            return float(vocab.numbers[ten] + vocab.numbers.get(unit, 0)) if unit in vocab.numbers else None
        if raw.endswith("und" + ten):
            unit = raw[: -len("und" + ten)]
            return float(vocab.numbers[ten] + vocab.numbers[unit]) if unit in vocab.numbers else None
    return None


def iso(amount: float, designator: str) -> str | None:
    """ISO 8601 for an amount of a unit; fractions go down one unit, weeks become days."""
    if amount != int(amount):
        smaller, factor = _SMALLER[designator]
        amount, designator = amount * factor, smaller
        if amount != int(amount):
            return None
    whole = int(amount)
    if whole <= 0:
        return None
    if designator == "W":
        return f"P{whole * 7}D"
    if designator == "H":
        return f"PT{whole}H"
    return f"P{whole}{designator}"


def _bound(text: str, start: int, end: int) -> str:
    bounds = vocabulary().bounds
    before = text[max(0, start - 40) : start]
    after = text[end : end + 30]
    for name in ("upper", "lower", "approx"):
        if bounds.before[name].search(before) or bounds.after[name].search(after):
            return name
    return "exact"


def find_periods(sentence: str) -> list[Period]:
    """All durations in one sentence, in order of appearance (offsets into the sentence)."""
    text = lower(sentence)
    found: list[Period] = []
    for match in _duration_pattern().finditer(text):
        designator = next(k for k in ("D", "W", "M", "Y", "H") if match.group(k))
        amount = number_value(match.group("num"))
        if designator == "H" and not match.group("num")[0].isdigit() and match.group("H") == "h":
            continue  # "a h" is no hour
        if amount is None:
            continue
        value = iso(amount, designator)
        if value is None:
            continue
        minimum = None
        low_text = match.group("lo") or match.group("lo_word")
        if low_text:
            low = number_value(low_text)
            minimum = iso(low, designator) if low is not None and low < amount else None
        bound = "upper" if minimum else _bound(text, match.start(), match.end())
        found.append(Period(value, bound, match.start(), match.end(), minimum))
    return found


def find_events(sentence: str) -> list[Event]:
    """Events a period counts from or storage ends with, in order of appearance.

    Read with every run of white space as one space ("nach\n\nRechnungsstellung" in a table whose
    cells are paragraphs), offsets mapped back to the sentence."""
    text, where = _one_space(lower(sentence))
    found = [
        Event(name, where[m.start()], where[m.end() - 1] + 1)
        for name, p in vocabulary().events
        for m in p.finditer(text)
    ]
    return sorted(found, key=lambda e: e.start)


_SPACES = re.compile(r"\s{2,}|[\t\n\r\f\v]")


def _one_space(text: str) -> tuple[str, list[int]]:
    """``text`` with white-space runs as single spaces, and the original offset of each character."""
    if _SPACES.search(text) is None:
        return text, list(range(len(text) + 1))
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        space = char.isspace()
        if space and out and out[-1] == " ":
            continue
        out.append(" " if space else char)
        where.append(i)
    where.append(len(text))
    return "".join(out), where


def clause_bound(clause: str) -> str | None:
    """A bound word anywhere in a clause ("Spätestens nach zehn Tagen ..."), or ``None``."""
    text = lower(clause)
    for name, pattern in vocabulary().anywhere.items():
        if pattern.search(text):
            return name
    return None


#: Words between a rotation verb and its cycle: not a conjunction ("created daily and rotated monthly").
_GAP = r"(?!(?:and|und|or|oder|but|aber)\b)\w+\s+"


@functools.cache
def _rotation_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    rotation = vocabulary().rotation
    verbs = rotation["verbs"]
    return tuple(
        (
            iso_value,
            re.compile(rf"(?:{verbs})\s+(?:{_GAP}){{0,2}}(?:{cycle})\b|\b(?:{cycle})\s+(?:{_GAP}){{0,2}}(?:{verbs})"),
        )
        for iso_value, cycle in rotation["every"].items()
    )


def rotation_cycle(clause: str) -> str | None:
    """The cycle a rotation names ("rotated every month" -> P1M, "wöchentlich überschrieben" -> P7D)."""
    text = lower(clause)
    for iso_value, pattern in _rotation_patterns():
        if pattern.search(text):
            return iso_value
    return None
