"""The per-endpoint probe phase: each service at each address probed once, then assembled.

Collection has two halves. The per-domain half (discovery, MTA-STS/TLS-RPT/SPF/DMARC,
DANE) only asks DNS and fetches one policy; it names the services to probe. The
per-endpoint half talks to those services: one protocol dialog and one TLS scan per
:class:`ServiceKey` (host name, IP address, port, protocol, TLS mode). The host name is
part of the key because it is the SNI and the name the certificate is checked against.

A scan probes its own keys; a fleet gathers the keys of all its domains, probes each
key once (here, or on Celery workers) and hands every domain the results of its keys.
:func:`assemble` turns results into the evidence sections a scan has always had, in the
same order, so a domain audited in a fleet and on its own gets the same findings.

Keys are probed in :class:`ProbeUnit` s, all services of one host name at one address:
dialogs first, then TLS scans, as one scan always did (a server that throttles after N
connections then still answers the cheap dialogs). Politeness towards the address is the
limiter's job, shared by all units of the run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from pydantic import TypeAdapter

from auditor.collectors.dialogs import collect_dialogs, unaddressed, without_dialog
from auditor.collectors.limiter import DEFAULT_PER_IP_CONCURRENCY, DEFAULT_PER_IP_PACE_S, IpLimiter
from auditor.collectors.tls.collector import collect_tls, targets_of, unreachable
from auditor.collectors.tls.scan import ScanTarget
from auditor.deadline import Deadline
from auditor.evidence import Evidence
from auditor.evidence.dialogs import DialogResult
from auditor.evidence.network import Endpoint
from auditor.evidence.tls import TlsScan

#: How many units one process probes at once (each unit's connections also wait for the IP's slots).
DEFAULT_UNIT_WORKERS = 8
_PROBE_SOURCE = "probe"  # placeholder: the domain's own endpoint says whether it is mx, srv or user


@dataclass(frozen=True, slots=True, order=True)
class ServiceKey:
    """One service at one address, as probed: what every domain pointing at it shares."""

    host: str
    ip: str
    port: int
    proto: str
    tls: str

    @property
    def text(self) -> str:
        """A stable printable key (cache and task ids): ``host|ip|port|proto|tls``."""
        return f"{self.host}|{self.ip}|{self.port}|{self.proto}|{self.tls}"

    @property
    def endpoint_label(self) -> str:
        """How findings name the endpoint: ``host[ip]:port``."""
        return f"{self.host}[{self.ip}]:{self.port}"


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    """What every probe of a run shares; plain values, so a Celery task carries them."""

    ca_file: str | None = None
    timeout: float = 300.0
    per_ip_budget: int | None = None
    per_ip_pace: float = DEFAULT_PER_IP_PACE_S
    per_ip_concurrency: int = DEFAULT_PER_IP_CONCURRENCY


@dataclass(frozen=True, slots=True)
class EndpointEvidence:
    """What one service at one address said: its dialog and (for TLS services) its scan."""

    key: ServiceKey
    dialog: DialogResult
    tls: TlsScan | None = None


@dataclass(frozen=True, slots=True)
class ProbeUnit:
    """Services of one host name at one address, probed together (dialogs, then TLS)."""

    host: str
    ip: str
    keys: tuple[ServiceKey, ...]

    @property
    def unit_id(self) -> str:
        """Stable id (idempotent task ids): digest of the sorted keys."""
        joined = "\n".join(sorted(k.text for k in self.keys))
        return hashlib.sha256(joined.encode()).hexdigest()[:32]


UNIT_RESULTS: TypeAdapter[tuple[EndpointEvidence, ...]] = TypeAdapter(tuple[EndpointEvidence, ...])
UNIT: TypeAdapter[ProbeUnit] = TypeAdapter(ProbeUnit)
SETTINGS: TypeAdapter[ProbeSettings] = TypeAdapter(ProbeSettings)


def key_of(endpoint: Endpoint, ip: str) -> ServiceKey:
    return ServiceKey(endpoint.host.lower(), ip, endpoint.port, endpoint.proto, endpoint.tls)


def service_keys(evidence: Evidence) -> list[ServiceKey]:
    """Every service at every address a domain's discovery found, in discovery order."""
    if evidence.discovery is None:
        return []
    keys = [key_of(ep, ip) for ep in evidence.discovery.endpoints for ip in ep.addresses]
    return list(dict.fromkeys(keys))


def units_of(keys: Iterable[ServiceKey]) -> list[ProbeUnit]:
    """Group keys by (host, address); a port that comes twice (two protocols) gets a unit of its own."""
    groups: list[tuple[tuple[str, str], list[ServiceKey]]] = []
    for key in dict.fromkeys(keys):
        for (host, ip), members in groups:
            if (host, ip) == (key.host, key.ip) and all(m.port != key.port for m in members):
                members.append(key)
                break
        else:
            groups.append(((key.host, key.ip), [key]))
    return [ProbeUnit(host, ip, tuple(members)) for (host, ip), members in groups]


def _endpoint(key: ServiceKey) -> Endpoint:
    return Endpoint(key.host, key.port, key.proto, key.tls, _PROBE_SOURCE, (key.ip,))


def _failed_scan(key: ServiceKey, reason: str) -> TlsScan:
    return unreachable(ScanTarget(key.host, key.ip, key.port, key.proto, key.tls), reason)


def probe_unit(
    unit: ProbeUnit, settings: ProbeSettings, limiter: IpLimiter, deadline: Deadline
) -> tuple[EndpointEvidence, ...]:
    """Dialog and TLS scan of every key of ``unit``; never raises (errors become values)."""
    endpoints = [_endpoint(k) for k in unit.keys]
    try:
        dialogs = collect_dialogs(endpoints, deadline=deadline.at, limiter=limiter)
    except Exception as exc:  # errors as values: the rest of the run goes on
        reason = f"the STARTTLS dialogue collector failed: {type(exc).__name__}: {str(exc)[:300]}"
        dialogs = tuple(without_dialog(_endpoint(k), k.ip, "error", reason) for k in unit.keys)
    try:
        scans = collect_tls(
            endpoints,
            ca_file=settings.ca_file,
            deadline=deadline.at,
            per_ip_budget=settings.per_ip_budget,
            per_ip_pace=settings.per_ip_pace,
            per_ip_concurrency=settings.per_ip_concurrency,
            limiter=limiter,
        )
    except Exception as exc:  # errors as values
        reason = f"the TLS collector failed: {type(exc).__name__}: {str(exc)[:300]}"
        scans = tuple(_failed_scan(t_key, reason) for t_key in unit.keys if t_key.tls in ("starttls", "implicit"))
    dialog_of = {(d.port, d.proto): d for d in dialogs}
    scan_of = {(s.port, s.proto): s for s in scans}
    return tuple(
        EndpointEvidence(
            key, dialog_of.get((key.port, key.proto)) or _not_probed(key), scan_of.get((key.port, key.proto))
        )
        for key in unit.keys
    )


def _not_probed(key: ServiceKey) -> DialogResult:
    return without_dialog(_endpoint(key), key.ip, "error", "this service was not probed (its probe did not finish)")


def probe_locally(
    units: Sequence[ProbeUnit],
    settings: ProbeSettings,
    limiter: IpLimiter,
    deadline: Deadline,
    *,
    workers: int = DEFAULT_UNIT_WORKERS,
) -> dict[ServiceKey, EndpointEvidence]:
    """Probe units concurrently in this process, all under ``deadline`` and one limiter."""
    if not units:
        return {}
    with ThreadPoolExecutor(max_workers=min(workers, len(units)), thread_name_prefix="unit") as pool:
        done = pool.map(lambda unit: probe_unit(unit, settings, limiter, deadline), units)
        return {item.key: item for batch in done for item in batch}


def assemble(evidence: Evidence, results: Mapping[ServiceKey, EndpointEvidence]) -> Evidence:
    """The evidence's dialog and TLS sections from shared results, in a scan's order.

    Every discovered endpoint gets a dialog result (an unresolvable one an error naming
    why), so no service silently drops out; a result that is missing is an error too.
    """
    if evidence.discovery is None:
        return evidence
    endpoints = evidence.discovery.endpoints
    dialogs: list[DialogResult] = []
    for endpoint in endpoints:
        if not endpoint.addresses:
            dialogs.append(unaddressed(endpoint))
            continue
        for ip in endpoint.addresses:
            key = key_of(endpoint, ip)
            found = results.get(key)
            dialogs.append(replace(found.dialog if found else _not_probed(key), source=endpoint.source))
    scans: list[TlsScan] = []
    for target in targets_of([e for e in endpoints if e.addresses]):
        key = ServiceKey(target.host.lower(), target.ip, target.port, target.proto, target.tls_mode)
        found = results.get(key)
        if found is not None and found.tls is not None:
            scans.append(found.tls)
        else:
            scans.append(_failed_scan(key, "this service was not scanned (its probe did not finish)"))
    return replace(evidence, dialogs=tuple(dialogs), tls=tuple(scans))
