"""Fleet audits against the lab's hoster: customer domains pointing at the lab's mail hosts.

Acceptance of issue 16 on real servers: every domain's report has the findings a single
``auditor scan`` gives; the shared MX is probed about once for all domains; the Celery
path (a real worker on the local Redis) gives the same findings; a worker killed mid-run
and replaced completes the run with one report per domain.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import LabInfo
from tests.fleet.conftest import scratch_redis

AUDITOR = [sys.executable, "-m", "auditor"]
BROKER = "redis://127.0.0.1:6379/11"  # a database of its own: the tests flush it
SHARED_MX = "mx.clean.lab.test[127.0.25.1]:25"
# One customer of every defect kind (see tests/lab/fleet/customers.sh).
SAMPLE = [f"c{n:03d}.fleet.lab.test" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 30, 40)]

Findings = set[tuple[str, str, str, str]]


def _lab_args(lab: LabInfo) -> list[str]:
    return ["--resolver", lab.resolver, "--ca-file", str(lab.ca_file), "--trust-anchor", str(lab.trust_anchor)]


def _findings(path: Path) -> Findings:
    report = json.loads(path.read_text(encoding="utf-8"))
    return {(f["id"], f["status"], f["severity"], f["detail"]) for f in report["findings"]}


def _fleet(
    lab: LabInfo, domains: list[str], out: Path, *extra: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    listing = out.parent / f"{out.name}.txt"
    listing.write_text("\n".join(domains) + "\n", encoding="utf-8")
    run = subprocess.run(
        [*AUDITOR, "fleet", str(listing), "--out-dir", str(out), *_lab_args(lab), "-q", *extra],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode in (0, 1, 4), run.stderr + run.stdout
    return run


def _customers(lab: LabInfo, count: int) -> list[str]:
    names = sorted(lab.data["fleet"]["domains"])
    assert len(names) >= count, f"the lab publishes {len(names)} customers, {count} wanted"
    return names[:count]


def test_each_report_equals_a_single_scan_and_history_compares_runs(lab: LabInfo, tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    _fleet(lab, SAMPLE, out)

    def single_scan(domain: str) -> Path:
        single = tmp_path / f"{domain}.json"
        subprocess.run(
            [*AUDITOR, "scan", domain, *_lab_args(lab), "-q", "-o", str(single)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return single

    # Three scans at a time: each waits mostly on the network (suite time, not a claim of speed).
    with ThreadPoolExecutor(max_workers=3) as pool:
        singles = dict(zip(SAMPLE, pool.map(single_scan, SAMPLE), strict=True))
    for domain in SAMPLE:
        assert _findings(out / f"{domain}.json") == _findings(singles[domain]), domain
    summary = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    assert [d["domain"] for d in summary["domains"]] == SAMPLE
    kinds = lab.data["fleet"]["domains"]
    verdicts = {d["domain"]: d for d in summary["domains"]}
    plus_all = next(d for d in SAMPLE if kinds[d] == "spf-plusall")
    assert any(f["check_id"] == "spf.record" for f in verdicts[plus_all]["worst"])
    html = (out / "fleet.html").read_text(encoding="utf-8")
    assert SHARED_MX in html and "<script" not in html

    # A second run compares with the first through the history database.
    again = _fleet(lab, SAMPLE, out, "--fresh", "--since", "last")
    second = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    assert second["previous_run"] == summary["run_id"]
    assert "worse" not in again.stdout


def test_two_hundred_domains_share_one_probe_of_the_mx(lab: LabInfo, tmp_path: Path) -> None:
    domains = _customers(lab, 200)
    single = tmp_path / "single.json"
    evidence = tmp_path / "single-evidence.json"
    subprocess.run(
        [*AUDITOR, "scan", domains[0], *_lab_args(lab), "-q", "-o", str(single), "--evidence-out", str(evidence)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    one_scan = (
        sum(
            s["connections"]
            for s in json.loads(evidence.read_text())["tls"]
            if f"{s['host']}[{s['ip']}]:{s['port']}" == SHARED_MX
        )
        + 1
    )  # the dialog
    out = tmp_path / "fleet"
    _fleet(lab, domains, out)
    assert len(list(out.glob("c*.fleet.lab.test.json"))) == 200
    summary = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    [mx] = [e for e in summary["endpoints"] if e["endpoint"] == SHARED_MX]
    assert mx["domains"] >= 150
    assert mx["connections"] <= one_scan * 1.5, (mx, one_scan)


@pytest.fixture()
def broker() -> Iterator[str]:
    with scratch_redis(BROKER):
        yield BROKER


class Worker:
    """``auditor worker`` in a process group of its own, so it can be killed whole."""

    def __init__(self, broker: str, log: Path) -> None:
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [*AUDITOR, "worker", "--broker", broker, "--concurrency", "2", "--redeliver-after", "20"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def _done_tasks(worker_log: Path) -> int:
    """Tasks the worker finished so far, from its log: the results themselves do not stay in
    Redis long enough to count (the dispatcher collects and forgets each one at once)."""
    return worker_log.read_text(encoding="utf-8", errors="replace").count("] succeeded in ")


def test_celery_workers_give_the_same_findings_and_survive_a_kill(lab: LabInfo, tmp_path: Path, broker: str) -> None:
    domains = _customers(lab, 40)
    local = tmp_path / "local"
    _fleet(lab, domains, local)

    first = Worker(broker, tmp_path / "worker1.log")
    listing = tmp_path / "celery.txt"
    listing.write_text("\n".join(domains) + "\n", encoding="utf-8")
    out = tmp_path / "celery"
    dispatcher = subprocess.Popen(
        [*AUDITOR, "fleet", str(listing), "--out-dir", str(out), "--broker", broker, *_lab_args(lab), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    second: Worker | None = None
    log = tmp_path / "worker1.log"
    try:
        deadline = time.monotonic() + 120
        while _done_tasks(log) < 5 and time.monotonic() < deadline and dispatcher.poll() is None:
            time.sleep(0.05)
        assert _done_tasks(log) >= 5 and dispatcher.poll() is None, log.read_text()
        first.kill()  # mid-run: tasks it had taken are unacknowledged
        second = Worker(broker, tmp_path / "worker2.log")
        stdout, stderr = dispatcher.communicate(timeout=300)
    finally:
        first.kill()
        if second is not None:
            second.stop()
        if dispatcher.poll() is None:
            dispatcher.kill()
    assert dispatcher.returncode in (0, 1, 4), stderr + stdout
    reports = sorted(p.name for p in out.glob("c*.fleet.lab.test.json"))
    assert reports == sorted(f"{d}.json" for d in domains)
    summary = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    assert summary["backend"] == "celery"
    assert sorted(d["domain"] for d in summary["domains"]) == sorted(domains)  # each once
    for domain in domains:
        assert _findings(out / f"{domain}.json") == _findings(local / f"{domain}.json"), domain
