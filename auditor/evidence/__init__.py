"""The evidence bundle: everything collectors saw, as plain JSON-serialisable data.

Collectors fill it once per run; checks only read it. Saving it (``--evidence-out``)
and re-evaluating it (``auditor evaluate``) must give identical findings, so checks
take "now" from ``collected_at`` rather than the clock.

Each collector family owns one optional section. A family that was not run leaves its
section ``None``; checks needing it are then ``skipped``. A family that ran but failed
records the failure inside its section (errors as values), so checks report ``error``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter

from auditor.evidence.claims import ClaimSet
from auditor.evidence.dialogs import DialogResult
from auditor.evidence.host import HostEvidence
from auditor.evidence.network import DaneLookup, Discovery, MailDns
from auditor.evidence.tls import TlsScan
from auditor.models import InputFile, Need

#: 2: ``input_errors`` are typed (need, reason), TLS scans record why they stopped, the
#: webmail probe records its error kinds. Version 1 bundles are still read (see below).
EVIDENCE_SCHEMA_VERSION = "2"


@dataclass(frozen=True, slots=True)
class InputError:
    """An input that was asked for but could not be used: checks needing it report ``error``."""

    need: Need
    reason: str

    def __str__(self) -> str:
        return f"{self.need.value}: {self.reason}"


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
    # False when the run chose not to probe endpoints (no selected check reads them).
    endpoints_probed: bool = True
    inputs: tuple[InputFile, ...] = ()
    input_errors: tuple[InputError, ...] = ()
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
    """Parse a saved bundle; raises ``pydantic.ValidationError`` naming the bad field.

    A version 1 bundle kept its input errors as ``"<need>: <reason>"`` strings; they are
    read into :class:`InputError` values, everything else of version 1 reads unchanged.
    """
    if b'"1"' not in (data.encode() if isinstance(data, str) else data):
        return _ADAPTER.validate_json(data)  # not version 1: no migration to look for
    try:
        raw = json.loads(data)
    except RecursionError:
        raise ValueError("nested too deeply to read safely") from None
    if isinstance(raw, dict) and raw.get("schema_version") == "1" and isinstance(raw.get("input_errors"), list):
        raw["input_errors"] = [_v1_input_error(item) for item in raw["input_errors"]]
        data = json.dumps(raw)
    return _ADAPTER.validate_json(data)


def _v1_input_error(item: object) -> object:
    if not isinstance(item, str):
        return item  # not version 1's shape: let validation name it
    need, _, reason = item.partition(": ")
    return {"need": need, "reason": reason}
