"""Where fleet work runs: threads of this process (default) or Celery workers (``--broker``).

A backend plans domains and probes units, yielding results as they complete so the
runner can show progress. Both backends run the same functions of :mod:`auditor.fleet.work`
and share, run-wide, the DNS answers, the DANE lookups and the per-IP politeness.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Protocol

from auditor.collectors.endpoints import EndpointEvidence, ProbeSettings, ProbeUnit
from auditor.collectors.limiter import DEFAULT_PER_IP_CONCURRENCY, DEFAULT_PER_IP_PACE_S, LocalLimiter
from auditor.collectors.shared import SharedLookups
from auditor.evidence import Evidence
from auditor.fleet.work import PlanRequest, plan_domain, probe

#: Domains planned at once; each plan is a few dozen DNS lookups and one HTTPS fetch.
DEFAULT_PLAN_WORKERS = 16
#: Units probed at once; their connections also wait for the per-IP slots.
DEFAULT_PROBE_WORKERS = 16
#: Celery: seconds after which a task taken by a worker that vanished is delivered again.
#: Longer than the longest task (a probe unit under its --timeout), or tasks still running
#: are handed out a second time (harmless, since tasks are idempotent, but wasted work).
DEFAULT_REDELIVER_S = 900.0


class Backend(Protocol):
    name: str

    def plan(self, requests: Sequence[PlanRequest]) -> Iterator[tuple[int, Evidence | str]]:
        """(index into ``requests``, network evidence or why the plan failed), in order of completion."""
        ...

    def probe(
        self, units: Sequence[ProbeUnit], settings: ProbeSettings
    ) -> Iterator[tuple[int, tuple[EndpointEvidence, ...]]]:
        """(index into ``units``, results of its keys), in order of completion."""
        ...

    def close(self) -> None: ...


class LocalBackend:
    """Thread pools in this process; one memo and one limiter for the whole run."""

    name = "local"

    def __init__(
        self,
        *,
        per_ip_concurrency: int = DEFAULT_PER_IP_CONCURRENCY,
        per_ip_pace: float = DEFAULT_PER_IP_PACE_S,
        plan_workers: int = DEFAULT_PLAN_WORKERS,
        probe_workers: int = DEFAULT_PROBE_WORKERS,
    ) -> None:
        self.shared = SharedLookups.in_memory()
        self.limiter = LocalLimiter(per_ip_concurrency, per_ip_pace)
        self._plan_workers = max(plan_workers, 1)
        self._probe_workers = max(probe_workers, 1)

    def plan(self, requests: Sequence[PlanRequest]) -> Iterator[tuple[int, Evidence | str]]:
        if not requests:
            return
        with ThreadPoolExecutor(max_workers=min(self._plan_workers, len(requests)), thread_name_prefix="plan") as pool:
            futures = {pool.submit(plan_domain, request, self.shared): i for i, request in enumerate(requests)}
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result()
                except Exception as exc:  # errors as values: one domain's bug never sinks the fleet
                    yield futures[future], f"planning failed: {type(exc).__name__}: {str(exc)[:300]}"

    def probe(
        self, units: Sequence[ProbeUnit], settings: ProbeSettings
    ) -> Iterator[tuple[int, tuple[EndpointEvidence, ...]]]:
        if not units:
            return
        with ThreadPoolExecutor(max_workers=min(self._probe_workers, len(units)), thread_name_prefix="probe") as pool:
            futures = {pool.submit(probe, unit, settings, self.limiter): i for i, unit in enumerate(units)}
            for future in as_completed(futures):
                yield futures[future], future.result()

    def close(self) -> None:
        return None
