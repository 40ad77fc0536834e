"""Load the packaged vocabularies (``vocabulary.yaml``, ``laws.yaml``) and compile them once.

Keeping subjects, fields, number words and law names as data lets a DPO see and extend
what the reader recognises without touching the extraction code.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

# Patterns run on lower-cased text: much faster than IGNORECASE on long alternations.
_FLAGS = 0


@dataclass(frozen=True, slots=True)
class SubjectRule:
    id: str
    label: dict[str, str]
    alternatives: tuple[tuple[re.Pattern[str], ...], ...]
    excludes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldRule:
    id: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class SectionInfo:
    clause: str | None
    repealed: bool
    current: tuple[str, ...]
    current_label: str | None


@dataclass(frozen=True, slots=True)
class LawInfo:
    law: str
    names: str
    sections: dict[str, SectionInfo]
    repealed_all: SectionInfo | None
    articles: frozenset[int]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    subjects: tuple[SubjectRule, ...]
    fields: tuple[FieldRule, ...]
    numbers: dict[str, int]
    units: dict[str, str]
    laws: tuple[LawInfo, ...]

    @property
    def subject_ids(self) -> frozenset[str]:
        return frozenset(s.id for s in self.subjects)

    @property
    def field_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.fields)


def _read(name: str) -> dict[str, Any]:
    text = resources.files("auditor.claims").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping at the top level")
    return data


def _section(raw: dict[str, Any]) -> SectionInfo:
    return SectionInfo(
        clause=raw.get("clause"),
        repealed=bool(raw.get("repealed", False)),
        current=tuple(raw.get("current", ())),
        current_label=raw.get("current_label"),
    )


def lower(text: str) -> str:
    """Lower-case without changing the length, so offsets stay valid ("İ" stays as is)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


@functools.cache
def vocabulary() -> Vocabulary:
    """The compiled vocabularies (cached: the files are packaged and do not change)."""
    data = _read("vocabulary.yaml")
    subjects = tuple(
        SubjectRule(
            id=sid,
            label=dict(raw.get("label", {})),
            alternatives=tuple(tuple(re.compile(p, _FLAGS) for p in alt) for alt in raw.get("match", ())),
            excludes=tuple(raw.get("excludes", ())),
        )
        for sid, raw in data["subjects"].items()
    )
    fields = tuple(FieldRule(id=f["id"], pattern=re.compile(f["pattern"], _FLAGS)) for f in data["fields"])
    laws_raw = _read("laws.yaml")["laws"]
    laws = tuple(
        LawInfo(
            law=law,
            names=raw["names"],
            sections={str(k): _section(v) for k, v in (raw.get("sections") or {}).items()},
            repealed_all=_section({**raw["repealed_all"], "repealed": True}) if raw.get("repealed_all") else None,
            articles=frozenset(int(a) for a in raw.get("articles", ())),
        )
        for law, raw in laws_raw.items()
    )
    return Vocabulary(
        subjects=subjects,
        fields=fields,
        numbers={str(k): int(v) for k, v in data["numbers"].items()},
        units={str(k): str(v) for k, v in data["units"].items()},
        laws=laws,
    )
