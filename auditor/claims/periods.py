"""Durations and event periods in statement sentences ("bis zu sieben Tage", "30 days").

Durations become ISO 8601 (weeks normalised to days so "one week" and "7 Tage" agree);
"bis zu"/"up to"/"maximal"/"within" before the number make the bound ``upper``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from auditor.claims.vocab import lower, vocabulary

_UPPER = re.compile(
    r"(?:bis zu|bis maximal|maximal|höchstens|längstens|spätestens|up to|at most|no more than|no longer than|"
    r"not longer than|a maximum of|maximum of|innerhalb(?: von)?|binnen|within)\s*(?:für\s+|for\s+|of\s+)?$",
)
_EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "until-deleted",
        re.compile(
            r"bis (?:sie|du|ihr) (?:sie|diese|es|ihn) (?:entfernen|entfernst|entfernt|löschen|löschst|löscht)|"
            r"bis zur (?:löschung|entfernung) durch|until (?:you )?(?:remove|delete) (?:them|it)\b|"
            r"until (?:they are|it is) (?:removed|deleted)|until (?:removed|deleted) by you"
        ),
    ),
    (
        "until-account-deleted",
        re.compile(
            r"bis (?:zur )?(?:löschung|kündigung|schließung) (?:des|deines|ihres|eures) (?:kontos|accounts|"
            r"benutzerkontos|postfachs)|bis (?:ihr|dein|euer) (?:konto|account|postfach) gelöscht|"
            r"until (?:you )?(?:delete|close) your account|until (?:your|the) account is (?:deleted|closed)|"
            r"(?:for )?as long as (?:your|the) account (?:exists|is active)|"
            r"solange (?:dein|ihr|euer|das) (?:konto|account|postfach) besteht"
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Period:
    iso: str
    bound: str
    start: int
    end: int


@functools.cache
def _duration_pattern() -> re.Pattern[str]:
    vocab = vocabulary()
    words = "|".join(sorted((re.escape(w) for w in vocab.numbers), key=len, reverse=True))
    units = "|".join(f"(?P<{k}>{v})" for k, v in vocab.units.items())
    return re.compile(rf"\b(?P<num>\d{{1,4}}|{words})\s?-?\s?(?:{units})\b")


def _iso(amount: int, designator: str) -> str:
    if designator == "W":
        return f"P{amount * 7}D"
    if designator == "H":
        return f"PT{amount}H"
    return f"P{amount}{designator}"


def find_periods(sentence: str) -> list[Period]:
    """All durations and event periods in one sentence, in order of appearance."""
    sentence = lower(sentence)
    numbers = vocabulary().numbers
    found: list[Period] = []
    for match in _duration_pattern().finditer(sentence):
        raw = match.group("num").lower()
        amount = int(raw) if raw.isdigit() else numbers[raw]
        if amount <= 0:
            continue
        designator = next(k for k in ("D", "W", "M", "Y", "H") if match.group(k))
        before = sentence[max(0, match.start() - 30) : match.start()]
        bound = "upper" if _UPPER.search(before) else "exact"
        found.append(Period(_iso(amount, designator), bound, match.start(), match.end()))
    for name, pattern in _EVENTS:
        for match in pattern.finditer(sentence):
            found.append(Period(name, "exact", match.start(), match.end()))
    return sorted(found, key=lambda p: p.start)
