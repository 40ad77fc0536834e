"""Fleet work on Celery workers with Redis as broker and result store.

``auditor worker --broker URL`` runs a worker; ``auditor fleet ... --broker URL`` sends it
two kinds of task, both plain functions of :mod:`auditor.fleet.work`:

- ``auditor.fleet.plan``: one domain's network plan (DNS answers and DANE lookups shared
  through Redis for the run);
- ``auditor.fleet.probe``: one probe unit (services of one host at one address), every
  connection through the Redis per-IP limiter, so politeness holds across all workers.

Tasks are idempotent (they only read the network; their result is stored under a task
id fixed by the dispatcher, so a task that runs twice stores the same thing twice) and
acknowledged late: a worker killed mid-task leaves its message unacknowledged, and the
broker hands it to another worker once ``--redeliver-after`` seconds have passed (or at
once when only a pool process died). The reports are written by the dispatcher only, once
per domain.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

import redis
from celery import Celery

from auditor.collectors.endpoints import SETTINGS, UNIT, UNIT_RESULTS, EndpointEvidence, ProbeSettings, ProbeUnit
from auditor.evidence import Evidence, evidence_from_json, evidence_to_json
from auditor.fleet.backend import DEFAULT_REDELIVER_S
from auditor.fleet.redis_shared import RUN_TTL_S, RedisLimiter, redis_lookups
from auditor.fleet.work import PLAN_REQUEST, PlanRequest, plan_domain, probe

PLAN_TASK = "auditor.fleet.plan"
PROBE_TASK = "auditor.fleet.probe"
_POLL_S = 0.2

T = TypeVar("T")


@cache
def _client(url: str) -> redis.Redis:
    """One connection pool per worker process (created after the pool forks)."""
    return redis.Redis.from_url(url)


@cache
def _limiter(url: str, per_ip_concurrency: int, per_ip_pace: float) -> RedisLimiter:
    return RedisLimiter(_client(url), per_ip_concurrency, per_ip_pace)


def make_app(broker: str, *, redeliver_after: float = DEFAULT_REDELIVER_S) -> Celery:
    """The Celery app of dispatcher and workers: JSON only, late acks, one task at a time."""
    app = Celery("auditor", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # kombu sweeps for unacknowledged tasks only every interval x throttle seconds (10 x 10
        # by default): without these, a task of a killed worker waits ~100 s, not --redeliver-after.
        broker_transport_options={
            "visibility_timeout": redeliver_after,
            "unacked_restore_interval": max(1, min(10, int(redeliver_after // 2))),
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": redeliver_after},
        result_expires=int(RUN_TTL_S),
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        resultrepr_maxsize=200,  # results are whole evidence sections: log their start only
    )

    def plan_task(request_json: str, run_id: str) -> str:
        request = PLAN_REQUEST.validate_json(request_json)
        return evidence_to_json(plan_domain(request, redis_lookups(_client(broker), run_id))).decode()

    def probe_task(unit_json: str, settings_json: str) -> str:
        unit = UNIT.validate_json(unit_json)
        settings = SETTINGS.validate_json(settings_json)
        results = probe(unit, settings, _limiter(broker, settings.per_ip_concurrency, settings.per_ip_pace))
        return UNIT_RESULTS.dump_json(results).decode()

    app.task(name=PLAN_TASK)(plan_task)
    app.task(name=PROBE_TASK)(probe_task)
    return app


def run_worker(broker: str, *, concurrency: int, redeliver_after: float, loglevel: str = "INFO") -> None:
    """Run a worker in the foreground until it is stopped (Celery's own signal handling)."""
    app = make_app(broker, redeliver_after=redeliver_after)
    name = f"auditor-{os.getpid()}@{socket.gethostname()}"
    options = ["--without-gossip", "--without-mingle", "--pool=prefork"]
    app.worker_main(
        argv=["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", f"--hostname={name}", *options]
    )


class CeleryBackend:
    """Sends plans and probe units to workers and yields their results as they complete."""

    name = "celery"

    def __init__(self, broker: str, *, run_id: str | None = None) -> None:
        self.app = make_app(broker)
        self.run_id = run_id or uuid.uuid4().hex

    def workers(self) -> list[str]:
        """Names of the workers that answer a ping now (none: tasks wait in the queue)."""
        replies = self.app.control.ping(timeout=2.0) or []
        return sorted(name for reply in replies for name in reply)

    def plan(self, requests: Sequence[PlanRequest]) -> Iterator[tuple[int, Evidence | str]]:
        ids = {
            self.app.send_task(
                PLAN_TASK,
                args=[PLAN_REQUEST.dump_json(request).decode(), self.run_id],
                task_id=f"auditor-{self.run_id}-plan-{index}",
            ).id: index
            for index, request in enumerate(requests)
        }
        yield from self._completed(ids, evidence_from_json, lambda reason: reason)

    def probe(
        self, units: Sequence[ProbeUnit], settings: ProbeSettings
    ) -> Iterator[tuple[int, tuple[EndpointEvidence, ...]]]:
        settings_json = SETTINGS.dump_json(settings).decode()
        ids = {
            self.app.send_task(
                PROBE_TASK,
                args=[UNIT.dump_json(unit).decode(), settings_json],
                task_id=f"auditor-{self.run_id}-probe-{unit.unit_id}",
            ).id: index
            for index, unit in enumerate(units)
        }
        # A unit whose task failed has no results: assembly reports its services as not probed.
        yield from self._completed(ids, UNIT_RESULTS.validate_json, lambda _reason: ())

    def _completed(
        self, ids: dict[str, int], decode: Callable[[str], T], failed: Callable[[str], Any]
    ) -> Iterator[tuple[int, Any]]:
        """Results in order of completion, read in batches (one MGET per poll, not one GET per task)."""
        pending = set(ids)
        while pending:
            for task_id, meta in self.app.backend.get_many(set(pending), interval=_POLL_S, no_ack=True):
                if task_id not in pending:
                    continue
                pending.discard(task_id)
                if meta.get("status") == "SUCCESS":
                    yield ids[task_id], decode(meta["result"])
                else:
                    yield ids[task_id], failed(f"task {task_id} failed: {str(meta.get('result'))[:300]}")
                self.app.backend.forget(task_id)
            if pending:
                time.sleep(_POLL_S)

    def close(self) -> None:
        self.app.close()
