"""Run a fleet: plan every domain, probe every shared endpoint once, write a report per domain.

Stages (each with its progress bar):

1. local inputs of each domain (statement or claims, host root), read here;
2. the network plan of each domain (discovery, MTA-STS/TLS-RPT/SPF/DMARC, DANE), on the
   backend, with DNS answers and DANE lookups shared run-wide;
3. the probe units of all domains together, each service key once, on the backend, under
   one per-IP politeness;
4. per domain: its evidence assembled from the shared pieces, evaluated, and its report
   written to ``DIR/<domain>.json`` exactly as ``auditor scan -o`` writes it.

Resumable: a domain whose report is already in ``DIR`` is not redone (``resume=False``
redoes all). Reports are written atomically, so an interrupted run leaves whole files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from auditor.collect import ScanOptions, collect_inputs, finish, previous_policy, probe_settings, remember_policy
from auditor.collectors.endpoints import (
    EndpointEvidence,
    ProbeSettings,
    ServiceKey,
    assemble,
    service_keys,
    units_of,
)
from auditor.deadline import Deadline
from auditor.evidence import Evidence
from auditor.fleet.backend import Backend
from auditor.fleet.summary import DomainSummary, domain_summary, not_run
from auditor.fleet.work import PlanRequest, merge_network, plan_request
from auditor.fsutil import atomic_write
from auditor.gating import GatingFileError, load_report_file
from auditor.models import Report
from auditor.reports.json_report import render_json
from auditor.state import StateStore

LOCAL_INPUT_WORKERS = 4  # statements and host roots are read here, CPU- and disk-bound


class Progress(Protocol):
    def stage(self, name: str, total: int) -> None: ...

    def advance(self, name: str) -> None: ...


class NoProgress:
    def stage(self, name: str, total: int) -> None:
        return None

    def advance(self, name: str) -> None:
        return None


@dataclass(frozen=True)
class FleetRequest:
    """The domains (each its own collection options, built and validated like a scan's) and where to write.

    Options that are not per domain (resolver, CA file, time budget, politeness, state
    directory) come from the command line and are the same in every entry.
    """

    domains: Sequence[ScanOptions]
    out_dir: Path
    resume: bool = True
    previous_endpoints: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # resumed domains


@dataclass
class FleetOutcome:
    domains: list[DomainSummary] = field(default_factory=list)
    reports: dict[str, Report] = field(default_factory=dict)
    protocols: dict[str, str] = field(default_factory=dict)  # endpoint label -> protocol
    connections: dict[str, int] = field(default_factory=dict)  # endpoint label -> connections this run
    units: int = 0
    keys: int = 0
    not_audited: list[str] = field(default_factory=list)  # the domain does not exist or DNS is unusable


def report_path(out_dir: Path, domain: str) -> Path:
    return out_dir / f"{domain}.json"


def run_fleet(
    request: FleetRequest,
    backend: Backend,
    make_report: Callable[[Evidence], Report],
    progress: Progress | None = None,
) -> FleetOutcome:
    shown = progress or NoProgress()
    outcome = FleetOutcome()
    request.out_dir.mkdir(parents=True, exist_ok=True)
    todo = _resume(request, outcome)
    first = request.domains[0]
    store = StateStore(first.state_dir) if first.state_dir else None

    shown.stage("local inputs", len(todo))

    def inputs(item: tuple[str, ScanOptions]) -> tuple[Evidence, str | None]:
        try:
            return collect_inputs(item[1], Deadline.after(item[1].timeout), lambda _name: None)
        finally:
            shown.advance("local inputs")

    with ThreadPoolExecutor(max_workers=LOCAL_INPUT_WORKERS, thread_name_prefix="inputs") as pool:
        read = dict(zip((name for name, _ in todo), pool.map(inputs, todo), strict=True))

    requests = [
        plan_request(opts, previous_policy(store, name) if store else None, read[name][1])
        for name, opts in todo
        if read[name][0].network
    ]
    planned, failures = _plan(backend, requests, shown)

    keys: dict[str, list[ServiceKey]] = {d: service_keys(e) for d, e in planned.items()} if first.probe_endpoints else {}
    results = _probe(backend, keys, probe_settings(first), shown, outcome)

    shown.stage("reports", len(todo))
    for name, _opts in todo:
        evidence = read[name][0]
        if name in planned:
            evidence = assemble(merge_network(evidence, planned[name]), results)
            if not first.probe_endpoints:
                evidence = replace(evidence, endpoints_probed=False)
            if store is not None:
                remember_policy(store, evidence)
        elif evidence.network:
            outcome.domains.append(not_run(name, failures.get(name, "its network plan did not finish")))
            shown.advance("reports")
            continue
        found = evidence.discovery
        if found is not None and found.fatal and found.mx.status not in ("ok", "nodata"):
            outcome.not_audited.append(name)
        report = make_report(finish(evidence))
        path = report_path(request.out_dir, name)
        atomic_write(path, render_json(report))
        labels = [k.endpoint_label for k in keys.get(name, [])]
        outcome.domains.append(domain_summary(name, report, path.name, labels))
        outcome.reports[name] = report
        shown.advance("reports")
    order = {opts.domain: i for i, opts in enumerate(request.domains)}
    outcome.domains.sort(key=lambda d: order.get(d.domain, len(order)))
    return outcome


def _resume(request: FleetRequest, outcome: FleetOutcome) -> list[tuple[str, ScanOptions]]:
    """Domains still to do, by name; reports already written are loaded into ``outcome``."""
    todo: list[tuple[str, ScanOptions]] = []
    for opts in request.domains:
        if opts.domain is None:
            raise ValueError("every domain of a fleet has a name")
        path = report_path(request.out_dir, opts.domain)
        if not request.resume or not path.exists():
            todo.append((opts.domain, opts))
            continue
        try:
            report = load_report_file(path)
        except GatingFileError:
            todo.append((opts.domain, opts))  # a damaged report is redone, never trusted
            continue
        endpoints = request.previous_endpoints.get(opts.domain, ())
        outcome.domains.append(domain_summary(opts.domain, report, path.name, endpoints, resumed=True))
        outcome.reports[opts.domain] = report
    return todo


def _plan(backend: Backend, requests: list[PlanRequest], shown: Progress) -> tuple[dict[str, Evidence], dict[str, str]]:
    shown.stage("DNS and discovery", len(requests))
    planned: dict[str, Evidence] = {}
    failures: dict[str, str] = {}
    for index, network in backend.plan(requests):
        if isinstance(network, str):
            failures[requests[index].domain] = network
        else:
            planned[requests[index].domain] = network
        shown.advance("DNS and discovery")
    return planned, failures


def _probe(
    backend: Backend,
    keys: Mapping[str, list[ServiceKey]],
    settings: ProbeSettings,
    shown: Progress,
    outcome: FleetOutcome,
) -> dict[ServiceKey, EndpointEvidence]:
    """Every key of every domain, probed once."""
    everything = [key for domain_keys in keys.values() for key in domain_keys]
    units = units_of(everything)
    outcome.units, outcome.keys = len(units), len(set(everything))
    shown.stage("endpoints", len(units))
    results: dict[ServiceKey, EndpointEvidence] = {}
    for _index, batch in backend.probe(units, settings):
        for item in batch:
            results[item.key] = item
            label = item.key.endpoint_label
            outcome.protocols[label] = item.key.proto
            outcome.connections[label] = _connections(item)
        shown.advance("endpoints")
    return results


def _connections(item: EndpointEvidence) -> int:
    dialog = 1 if item.dialog.outcome not in ("skipped",) else 0
    return dialog + (item.tls.connections if item.tls is not None else 0)
