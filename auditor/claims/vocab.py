"""Load the packaged vocabularies and compile them once.

``vocabulary.yaml`` (data categories, fields, countries), ``periods.yaml`` (numbers,
units, bounds, events), ``cues.yaml`` (storage, logging, deletion, negation, encryption ...
verbs and markers) and the law names citations use. Keeping them as data lets a DPO see and extend what
the reader recognises without touching the extraction code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

_META = frozenset("\\()[]?*+{}.|^$")


def _top_alternatives(pattern: str) -> list[str] | None:
    """The top-level alternatives of a pattern, or ``None`` where it is too clever to split safely."""
    out: list[str] = []
    depth, current, i = 0, "", 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            current += pattern[i : i + 2]
            i += 2
            continue
        if char == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                return None
            current += pattern[i : end + 1]
            i = end + 1
            continue
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            out.append(current)
            current = ""
        else:
            current += char
        i += 1
    return [*out, current]


def _literal_prefix(alternative: str) -> str:
    text = alternative
    while text.startswith(("\\b", "^")):
        text = text[2:] if text.startswith("\\b") else text[1:]
    literal = ""
    for i, char in enumerate(text):
        if char in _META:
            if char in "?*{" and literal:
                literal = literal[:-1]
            break
        if i + 1 < len(text) and text[i + 1] in "?*{":
            break
        literal += char
    return literal


@dataclass(frozen=True, slots=True)
class Gated:
    """A pattern with the literal text every match must start with: a substring test comes first.

    Python's ``re`` tries every alternative at every position, so a long word list costs
    far more than a few ``in`` tests; where an alternative has no literal start of two or
    more characters the gate is off and the pattern always runs. Exact: a text without any
    of the prefixes cannot match.
    """

    pattern: re.Pattern[str]
    prefixes: tuple[str, ...] | None
    #: First three (or two) characters of every prefix: one set test against the text's n-grams.
    starts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.prefixes is not None and not self.starts:
            object.__setattr__(self, "starts", frozenset(p[:3] for p in self.prefixes))

    def _absent(self, text: str) -> bool:
        if self.prefixes is None:
            return False
        return self.starts.isdisjoint(_pairs(text)) or not any(p in text for p in self.prefixes)

    @classmethod
    def of(cls, source: str, needs: tuple[str, ...] = ()) -> Gated:
        """``needs``: words one of which every match contains, where the pattern starts too cleverly."""
        if needs:
            return cls(re.compile(source), needs)
        alternatives = _top_alternatives(source)
        prefixes = [_literal_prefix(a) for a in alternatives] if alternatives else None
        usable = prefixes is not None and all(len(p) >= 2 for p in prefixes)
        return cls(re.compile(source), tuple(dict.fromkeys(prefixes)) if usable and prefixes else None)

    def search(self, text: str) -> re.Match[str] | None:
        return None if self._absent(text) else self.pattern.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return iter(()) if self._absent(text) else self.pattern.finditer(text)

    def sub(self, repl: Callable[[re.Match[str]], str], text: str) -> str:
        return text if self._absent(text) else self.pattern.sub(repl, text)


@functools.lru_cache(maxsize=256)
def _pairs(text: str) -> frozenset[str]:
    """Every two- and three-character stretch of a text (cached: one clause meets many cues)."""
    return frozenset(text[i : i + n] for n in (2, 3) for i in range(len(text) - n + 1))


@dataclass(frozen=True, slots=True)
class SubjectRule:
    id: str
    words: Gated | None
    alternatives: tuple[tuple[re.Pattern[str], ...], ...]
    excludes: tuple[str, ...]
    log: bool = False
    weak: bool = False
    qualifier: bool = False


@dataclass(frozen=True, slots=True)
class FieldRule:
    id: str
    pattern: Gated


@dataclass(frozen=True, slots=True)
class LawInfo:
    """How statements write one act: its names (a regex) and whether it is cited by article."""

    law: str
    names: str
    articles: bool = False


@dataclass(frozen=True, slots=True)
class Bounds:
    before: dict[str, re.Pattern[str]]
    after: dict[str, re.Pattern[str]]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    subjects: tuple[SubjectRule, ...]
    generic: dict[str, re.Pattern[str]]
    fields: tuple[FieldRule, ...]
    countries: re.Pattern[str]
    numbers: dict[str, int]
    tens: frozenset[str]
    fractions: dict[str, float]
    units: dict[str, str]
    bounds: Bounds
    range_joiner: str
    anywhere: dict[str, re.Pattern[str]]
    #: rotation verbs and cycle words (``periods.yaml``: rotation)
    rotation: dict[str, Any]
    events: tuple[tuple[str, Gated], ...]
    cues: dict[str, Gated]
    laws: tuple[LawInfo, ...]

    @property
    def subject_ids(self) -> frozenset[str]:
        return frozenset(s.id for s in self.subjects)

    @property
    def field_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.fields)

    @property
    def log_subjects(self) -> frozenset[str]:
        return frozenset(s.id for s in self.subjects if s.log)

    def cue(self, name: str) -> Gated:
        return self.cues[name]


def _read(name: str) -> dict[str, Any]:
    text = resources.files("auditor.claims").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping at the top level")
    return data


def lower(text: str) -> str:
    """Lower-case without changing the length, so offsets stay valid ("İ" stays as is)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _words(raw: dict[str, Any]) -> Gated | None:
    """All words of a subject as one gated pattern (gate: every word's literal starts, or ``needs``)."""
    words = raw.get("words") or ()
    if not words:
        return None
    gates = [Gated.of(w).prefixes for w in words]
    needs = tuple(raw.get("needs") or ())
    prefixes = needs or (tuple(p for g in gates for p in g or ()) if all(gates) else None)
    return Gated(re.compile("|".join(f"(?:{w})" for w in words)), prefixes)


def _laws(raw: dict[str, Any]) -> tuple[LawInfo, ...]:
    return tuple(LawInfo(law, str(v["names"]), bool(v.get("articles", False))) for law, v in raw.items())


@functools.cache
def vocabulary() -> Vocabulary:
    """The compiled vocabularies (cached: the files are packaged and do not change)."""
    data = _read("vocabulary.yaml")
    periods = _read("periods.yaml")
    cues = _read("cues.yaml")
    subjects = tuple(
        SubjectRule(
            id=sid,
            words=_words(raw),
            alternatives=tuple(tuple(re.compile(p) for p in alt) for alt in raw.get("match", ())),
            excludes=tuple(raw.get("excludes", ())),
            log=bool(raw.get("log", False)),
            weak=bool(raw.get("weak", False)),
            qualifier=bool(raw.get("qualifier", False)),
        )
        for sid, raw in data["subjects"].items()
    )
    bounds = periods["bounds"]
    return Vocabulary(
        subjects=subjects,
        generic={k: re.compile(v) for k, v in data["generic"].items()},
        fields=tuple(
            FieldRule(id=f["id"], pattern=Gated.of(f["pattern"], tuple(f.get("needs") or ()))) for f in data["fields"]
        ),
        countries=re.compile("|".join(f"(?P<{k}>{v})" for k, v in data["countries"].items())),
        numbers={str(k): int(v) for k, v in periods["numbers"].items()},
        tens=frozenset(periods["tens"]),
        fractions={str(k): float(v) for k, v in periods["fractions"].items()},
        units={str(k): str(v) for k, v in periods["units"].items()},
        bounds=Bounds(
            before={k: re.compile(rf"(?:{v['before']})(?:\s+\S+){{0,2}}\s*$") for k, v in bounds.items()},
            after={k: re.compile(rf"^[\s,)]*(?:{v['after']})\b") for k, v in bounds.items()},
        ),
        range_joiner=str(periods["range_joiner"]),
        rotation=dict(periods["rotation"]),
        anywhere={k: re.compile(v) for k, v in periods["anywhere"].items()},
        events=tuple((k, Gated.of(v)) for k, v in periods["events"].items()),
        cues={k: Gated.of(v) for k, v in cues.items()},
        laws=_laws(data["laws"]),
    )
