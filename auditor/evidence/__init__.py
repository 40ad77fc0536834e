"""The evidence bundle: everything collectors saw, as plain JSON-serialisable data.

Collectors fill it once per run; checks only read it. Saving it (``--evidence-out``)
and re-evaluating it (``auditor evaluate``) must give identical findings, so checks
take "now" from ``collected_at`` rather than the clock.

Each collector family owns one optional section. A family that was not run leaves its
section ``None``; checks needing it are then ``skipped``. A family that ran but failed
records the failure inside its section (errors as values), so checks report ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter

from auditor.evidence.claims import ClaimSet
from auditor.evidence.dialogs import DialogResult
from auditor.evidence.host import HostEvidence
from auditor.evidence.network import DaneLookup, Discovery, MailDns
from auditor.evidence.tls import TlsScan
from auditor.models import InputFile

EVIDENCE_SCHEMA_VERSION = "1"


@dataclass(frozen=True, slots=True)
class Target:
    """What the user asked to audit and how (kept so a bundle documents its own run)."""

    domain: str | None
    services: tuple[str, ...] = ()
    resolver: str | None = None
    ca_file: str | None = None
    host_root: str | None = None
    statement: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    schema_version: str
    collected_at: str
    target: Target
    network: bool
    inputs: tuple[InputFile, ...] = ()
    # Inputs asked for but not usable, as "<need>: <reason>" (e.g. "statement: ...",
    # "host: the host collector failed: ..."): checks needing them report ``error``.
    input_errors: tuple[str, ...] = ()
    discovery: Discovery | None = None
    mail_dns: MailDns | None = None
    dane: tuple[DaneLookup, ...] = ()
    # Sections owned by other collector families are added below, one line each.
    dialogs: tuple[DialogResult, ...] = ()
    tls: tuple[TlsScan, ...] = ()
    claims: ClaimSet | None = None
    host: HostEvidence | None = None

    @property
    def now(self) -> datetime:
        """The collection time: checks compare dates against this, never the clock."""
        return datetime.fromisoformat(self.collected_at)


_ADAPTER: TypeAdapter[Evidence] = TypeAdapter(Evidence)


def evidence_to_json(evidence: Evidence) -> bytes:
    return _ADAPTER.dump_json(evidence, indent=1)


def evidence_from_json(data: bytes | str) -> Evidence:
    """Parse a saved bundle; raises ``pydantic.ValidationError`` naming the bad field."""
    return _ADAPTER.validate_json(data)
