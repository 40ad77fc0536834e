"""The Celery path end to end without the lab: a real worker on the local Redis, domains whose
DNS does not answer. Every domain still gets its report, written once by the dispatcher."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fleet.conftest import scratch_redis

BROKER = "redis://127.0.0.1:6379/14"


def test_dispatcher_and_worker(tmp_path: Path) -> None:
    with scratch_redis(BROKER):
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "auditor", "worker", "--broker", BROKER, "--concurrency", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            listing = tmp_path / "domains.txt"
            listing.write_text("a.example\nb.example\n", encoding="utf-8")
            out = tmp_path / "out"
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "auditor",
                    "fleet",
                    str(listing),
                    "--out-dir",
                    str(out),
                    "--broker",
                    BROKER,
                    "--resolver",
                    "127.0.0.1:9",
                    "--timeout",
                    "5",
                ],
                capture_output=True,
                text=True,
                timeout=240,
                check=False,
            )
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
            log.close()
        # The domains could not be audited (no DNS): exit 3, each with a report saying why.
        assert run.returncode == 3, run.stdout + run.stderr + (tmp_path / "worker.log").read_text()
        summary = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
        assert summary["backend"] == "celery"
        assert [d["domain"] for d in summary["domains"]] == ["a.example", "b.example"]
        for domain in ("a.example", "b.example"):
            report = json.loads((out / f"{domain}.json").read_text(encoding="utf-8"))
            assert report["target"] == domain and report["summary"]["verdict"] == "incomplete"


@pytest.mark.parametrize(("redeliver_after", "sweep"), [(6, 3), (20, 10), (900, 10)])
def test_abandoned_tasks_are_swept_about_when_promised(redeliver_after: float, sweep: int) -> None:
    """kombu looks for unacknowledged tasks every interval x throttle seconds (100 s by default):
    the sweep must follow --redeliver-after, or a killed worker's task waits far longer."""
    from auditor.fleet.celery_backend import make_app

    options = make_app("redis://127.0.0.1:6379/11", redeliver_after=redeliver_after).conf.broker_transport_options
    assert options["visibility_timeout"] == redeliver_after
    assert options["unacked_restore_interval"] == sweep and options["unacked_restore_throttle"] == 1
