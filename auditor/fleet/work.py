"""The two kinds of fleet work, as plain functions of plain values: plan a domain, probe a unit.

Both run wherever the backend puts them (threads of this process, or Celery workers on
other machines), so their inputs and outputs are frozen values that round-trip through
JSON. The local inputs of a domain (statement, claims file, host root) are read by the
process that runs the fleet, where those files are; workers only talk to the network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from pydantic import TypeAdapter

from auditor.collect import ScanOptions, plan_network
from auditor.collectors.endpoints import EndpointEvidence, ProbeSettings, ProbeUnit, probe_unit
from auditor.collectors.limiter import IpLimiter
from auditor.collectors.shared import SharedLookups
from auditor.deadline import Deadline
from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, Target
from auditor.evidence.network import PreviousPolicy


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """The network half of one domain's audit: what a worker needs to plan it."""

    domain: str
    services: tuple[str, ...] = ()
    resolver: str | None = None
    ca_file: str | None = None
    trust_anchor: str | None = None
    timeout: float = 300.0
    previous: PreviousPolicy | None = None
    statement_text: str | None = None  # the webmail host a statement names is probed too


PLAN_REQUEST: TypeAdapter[PlanRequest] = TypeAdapter(PlanRequest)


def plan_request(options: ScanOptions, previous: PreviousPolicy | None, statement_text: str | None) -> PlanRequest:
    assert options.domain is not None
    return PlanRequest(
        domain=options.domain,
        services=options.services,
        resolver=options.resolver,
        ca_file=options.ca_file,
        trust_anchor=str(options.trust_anchor) if options.trust_anchor else None,
        timeout=options.timeout,
        previous=previous,
        statement_text=statement_text,
    )


def plan_domain(request: PlanRequest, shared: SharedLookups | None) -> Evidence:
    """Discovery, mail DNS records and DANE of one domain, under its own time budget.

    Returns evidence holding only the network sections; :func:`merge_network` puts them
    beside the domain's local inputs.
    """
    options = ScanOptions(
        domain=request.domain,
        services=request.services,
        resolver=request.resolver,
        ca_file=request.ca_file,
        timeout=request.timeout,
        trust_anchor=Path(request.trust_anchor) if request.trust_anchor else None,
    )
    bare = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        target=Target(domain=request.domain, services=request.services, resolver=request.resolver),
        network=True,
    )
    deadline = Deadline.after(request.timeout)
    return plan_network(
        bare,
        options,
        deadline,
        lambda _name: None,
        previous=request.previous,
        shared=shared,
        statement_text=request.statement_text,
    )


def merge_network(local: Evidence, network: Evidence) -> Evidence:
    """The domain's evidence: its local inputs plus the network sections a worker planned."""
    return replace(
        local,
        discovery=network.discovery,
        mail_dns=network.mail_dns,
        dane=network.dane,
        input_errors=(*local.input_errors, *network.input_errors),
    )


def probe(unit: ProbeUnit, settings: ProbeSettings, limiter: IpLimiter) -> tuple[EndpointEvidence, ...]:
    """Probe one unit under its own time budget; never raises."""
    return probe_unit(unit, settings, limiter, Deadline.after(settings.timeout))
