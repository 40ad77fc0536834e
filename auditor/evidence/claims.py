"""The claims model: what a privacy statement promises, as plain frozen values.

Claims are compared with evidence by later checks, written to a YAML file a DPO
reviews, and carried in the evidence bundle; so every type here is a frozen
dataclass of plain values that pydantic round-trips through JSON unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from auditor.evidence.durations import iso_days

KINDS: tuple[str, ...] = (
    "retention",
    "inventory",
    "hash-scheme",
    "transport-encryption",
    "location",
    "backup",
    "role",
    "transfer",
    "subject-rights",
    "logging",
    "none-stored",
    "encryption-at-rest",
    "end-to-end",
    "anonymisation",
    "session",
)

Bound = Literal["exact", "upper", "lower", "approx"]
Confidence = Literal["high", "medium", "low"]

#: Legacy periods that are events rather than durations (claims files written before ``event``).
EVENT_PERIODS: tuple[str, ...] = ("until-deleted", "until-account-deleted")
#: What a period counts from, or what ends storage (``Claim.event``).
EVENTS: tuple[str, ...] = (
    "account-closure",
    "contract-end",
    "inactivity",
    "after-invoicing",
    "after-last-message",
    "immediately",
    "while-account-exists",
    "while-logged-in",
    "end-of-session",
    "until-user-deletes",
    "until-dispute-resolved",
    "indefinite",
)
#: How the data category of a claim was found, strongest first, with the confidence it earns.
RESOLUTIONS: dict[str, Confidence] = {
    "clause": "high",
    "sentence": "high",
    "previous": "medium",
    "lead-in": "medium",
    "heading": "low",
    "file": "high",
}


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the normalised statement text (character offsets, end exclusive)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Citation:
    """A law the statement cites, with the matched text and where it stands.

    ``law``/``section`` are normalised (``BDSG``/``9``; ``section`` is ``None`` for an act
    named as a whole). Whether the provision is still in force, and what replaced it, is
    the clause catalogue's to say (the outdated-law check looks it up there).
    """

    text: str
    start: int
    end: int
    law: str
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """One promise of the statement, with the sentence it was read from.

    ``id`` is derived from kind, subject and value (never from the position) so a
    reviewed claims file keeps matching the statement after edits elsewhere.
    ``period`` is an ISO 8601 duration (``P7D``; ``period_min`` the lower end of a range);
    ``bound`` is ``upper`` for "bis zu"/"up to"/"maximal"/"within", ``lower`` for "at least",
    ``approx`` for "in der Regel"/"typically". ``event`` (:data:`EVENTS`) is what the period
    counts from or what ends storage ("30 days after account closure", "immediately").
    ``resolved`` says where the data category came from (:data:`RESOLUTIONS`) and
    ``confidence`` what that is worth, so a reviewer reads the weak claims first.
    """

    id: str
    kind: str
    subject: str
    fields: tuple[str, ...] = ()
    period: str | None = None
    bound: Bound = "exact"
    value: str | None = None
    quote: str = ""
    start: int = 0
    end: int = 0
    language: str = "de"
    event: str | None = None
    period_min: str | None = None
    resolved: str = "clause"
    confidence: Confidence = "high"


@dataclass(frozen=True, slots=True)
class ClaimSet:
    """Everything read from one statement: claims, and which sentences were (not) understood.

    ``not_understood`` lists sentences that look privacy-relevant (storage, periods,
    encryption, transfers ...) but gave no claim, so a reviewer knows what to read by hand.
    """

    source: str
    sha256: str
    language: str
    claims: tuple[Claim, ...] = ()
    understood: tuple[Span, ...] = ()
    not_understood: tuple[Span, ...] = ()
    cited_law: tuple[Citation, ...] = ()

    def by_kind(self, kind: str) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if c.kind == kind)


def claim_id(kind: str, subject: str, value: str | None = None) -> str:
    """Stable id: ``kind.subject`` plus the value slug where the value tells claims apart."""
    base = f"{kind}.{subject}"
    if value:
        slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
        if slug:
            base = f"{base}.{slug}"
    return base


def valid_period(period: str) -> bool:
    """True for ``P<n>Y<n>M<n>W<n>DT<n>H`` durations (at least one part) and event periods."""
    if period in EVENT_PERIODS:
        return True
    return iso_days(period) is not None


def period_days(claim: Claim) -> float | None:
    """The claim's period in days (:mod:`auditor.evidence.durations` lengths), ``None`` for events or none.

    Used by reconciliation to compare a promised period with a rotation setting or the
    age of the oldest log entry; event periods have no fixed length.
    """
    if claim.period is None or claim.period in EVENT_PERIODS:
        return None
    return iso_days(claim.period)
