"""Typed values of the clause catalogue (see :mod:`auditor.clauses`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from auditor.models import Severity
from auditor.safeload import InputFileError

LAWS = frozenset(
    {"GDPR", "BDSG", "BDSG-alt", "TDDDG", "TKG-alt", "TMG-alt", "guidance", "technical", "ruling", "decision"}
)
CONFIDENCE = frozenset({"confirmed", "partial", "unverified"})
LANGS = ("de", "en")
_MAX_BYTES = 2 * 1024 * 1024  # an override is small; refuse anything that is not
_ID_RE = re.compile(r"^[A-Z][A-Za-z0-9.]*(?:-[A-Za-z0-9.]+)*$")
_FIELD_NAMES = "id law title summary url parent repealed replaced_by aliases confidence see_also controls"
_FIELDS = frozenset(_FIELD_NAMES.split())


class CatalogueError(InputFileError, ValueError):
    """A catalogue file is unusable; the message starts with ``file:line``."""


@dataclass(frozen=True, slots=True)
class Control:
    """One control goal of a clause (§ 64(3) BDSG goals, the old § 9 Anlage controls).

    ``maps_to`` names the clauses that govern the control today and ``goals`` the
    ``BDSG-64`` goal ids it corresponds to; names are kept per language because the
    same German word meant different things in the old and the new law.
    """

    id: str
    name: dict[str, str]
    summary: dict[str, str]
    maps_to: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    check_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Clause:
    """One citable clause with bilingual title and summary and a public link."""

    id: str
    law: str
    title: dict[str, str]
    summary: dict[str, str]
    url: str
    confidence: str
    parent: str | None = None
    repealed: date | None = None
    replaced_by: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    controls: tuple[Control, ...] = ()
    source: str = ""

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]

    def summary_in(self, lang: str) -> str:
        return self.summary.get(lang) or self.summary["en"]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, as embedded in reports next to the findings."""
        return {
            "id": self.id,
            "law": self.law,
            "title": dict(self.title),
            "summary": dict(self.summary),
            "url": self.url,
            "confidence": self.confidence,
            "parent": self.parent,
            "repealed": self.repealed.isoformat() if self.repealed else None,
            "replaced_by": list(self.replaced_by),
            "aliases": list(self.aliases),
        }


@dataclass(frozen=True, slots=True)
class SeverityDefault:
    """Proposed default severity for one check type, with the reason a DPO can weigh."""

    check_type: str
    severity: Severity
    rationale: dict[str, str]
