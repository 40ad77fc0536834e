"""Fleet benchmark: domains per minute, connections per shared endpoint, peak memory, and the
same-run ratio against a loop of ``auditor scan`` (issue 16).

Runs against the lab's hoster (tests/lab/fleet/customers.sh: customer domains pointing at
the lab's mail hosts). Start the lab and hold its lock for the whole run:

    flock -o /work/lab.lock bash -c 'bash tests/lab/up.sh && .venv/bin/python bench/bench_fleet.py'

Options: ``--sizes 10,100,200,1000`` fleet sizes; ``--loop 200`` domains audited one by one
with ``auditor scan`` (the peer, in the same run; their findings are compared with the
fleet's); ``--workers 1,2`` Celery worker counts (each ``--concurrency 2``, on the Redis at
``--broker``; 0 skips Celery); ``--out bench/fleet.md`` the table written.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from auditor.fleet.celery_backend import CeleryBackend

ROOT = Path(__file__).resolve().parent.parent
AUDITOR = [sys.executable, "-m", "auditor"]
SHARED_MX = "mx.clean.lab.test[127.0.25.1]:25"


@dataclass
class Run:
    label: str
    domains: int
    seconds: float
    peak_kb: int
    mx_connections: int
    mx_domains: int
    worker_peak_kb: int = 0

    @property
    def per_minute(self) -> float:
        return self.domains / self.seconds * 60


def lab_args(lab: dict[str, object]) -> list[str]:
    return [
        "--resolver",
        str(lab["resolver"]),
        "--ca-file",
        str(lab["ca_file"]),
        "--trust-anchor",
        str(lab["trust_anchor"]),
    ]


def timed(argv: list[str]) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Wall time and peak resident memory (KiB, GNU time) of one command."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        start = time.monotonic()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *argv], capture_output=True, text=True, check=False
        )
        seconds = time.monotonic() - start
        peak = int(stats.read().strip().splitlines()[-1] or 0)
    if done.returncode not in (0, 1, 4):
        raise SystemExit(f"{' '.join(argv[:4])} … failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, peak, done


def fleet(label: str, domains: list[str], lab: dict[str, object], work: Path, *extra: str) -> tuple[Run, Path]:
    out = work / label
    listing = work / f"{label}.txt"
    listing.write_text("\n".join(domains) + "\n", encoding="utf-8")
    seconds, peak, _ = timed(
        [*AUDITOR, "fleet", str(listing), "--out-dir", str(out), "--fresh", *lab_args(lab), "-q", *extra]
    )
    summary = json.loads((out / "fleet.json").read_text(encoding="utf-8"))
    mx = next((e for e in summary["endpoints"] if e["endpoint"] == SHARED_MX), {"connections": 0, "domains": 0})
    return Run(label, len(domains), seconds, peak, int(mx["connections"]), int(mx["domains"])), out


def start_workers(count: int, broker: str, logs: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for index in range(count):
        log = (logs / f"worker{index}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [*AUDITOR, "worker", "--broker", broker, "--concurrency", "2", "--loglevel", "WARNING"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    # Workers need a few seconds to import and connect: wait until each answers a ping.

    backend = CeleryBackend(broker)
    deadline = time.monotonic() + 60
    while len(backend.workers()) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    backend.close()
    return workers


def group_peak_kb(proc: subprocess.Popen[bytes]) -> int:
    """Peak resident memory summed over a worker's processes (main process and pool children)."""
    total = 0
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            if os.getpgid(int(pid_dir.name)) != proc.pid:
                continue
            for line in (pid_dir / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError, ValueError):
            continue
    return total


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for proc in workers:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in workers:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def findings(path: Path) -> set[tuple[str, str, str, str]]:
    report = json.loads(path.read_text(encoding="utf-8"))
    return {(f["id"], f["status"], f["severity"], f["detail"]) for f in report["findings"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10,100,200,1000")
    parser.add_argument("--loop", type=int, default=200)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "fleet.md")
    args = parser.parse_args()
    lab = json.loads((ROOT / "tests" / "lab" / "run" / "lab.json").read_text(encoding="utf-8"))
    customers = sorted(lab["fleet"]["domains"])
    sizes = sorted({int(s) for s in args.sizes.split(",") if s} | {args.loop})
    worker_counts = [int(w) for w in args.workers.split(",") if w and int(w) > 0]
    runs: list[Run] = []
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        work = Path(tmp)
        for size in sizes:
            run, out = fleet(f"local-{size}", customers[:size], lab, work)
            runs.append(run)
            print(
                f"local {size}: {run.seconds:.1f} s, {run.per_minute:.0f}/min, peak {run.peak_kb // 1024} MiB",
                flush=True,
            )
        client = redis.Redis.from_url(args.broker)
        for count in worker_counts:
            client.flushdb()
            workers = start_workers(count, args.broker, work)
            try:
                for size in sizes:
                    run, _ = fleet(f"celery{count}-{size}", customers[:size], lab, work, "--broker", args.broker)
                    run.worker_peak_kb = sum(group_peak_kb(w) for w in workers)
                    runs.append(run)
                    print(f"celery x{count} {size}: {run.seconds:.1f} s, {run.per_minute:.0f}/min", flush=True)
            finally:
                stop_workers(workers)
        client.flushdb()
        # The peer in the same run: a loop of `auditor scan`, one process per domain.
        loop_domains = customers[: args.loop]
        scans = work / "scans"
        scans.mkdir()
        start = time.monotonic()
        for domain in loop_domains:
            subprocess.run(
                [*AUDITOR, "scan", domain, *lab_args(lab), "-q", "-o", str(scans / f"{domain}.json")],
                capture_output=True,
                check=False,
            )
        loop_seconds = time.monotonic() - start
        print(f"loop of {len(loop_domains)} scans: {loop_seconds:.1f} s", flush=True)
        # The same domains both ways: the loop against the local fleet of exactly those domains.
        compare = next(r for r in runs if r.label == f"local-{len(loop_domains)}")
        fleet_dir = work / compare.label
        equal = sum(findings(scans / f"{d}.json") == findings(fleet_dir / f"{d}.json") for d in loop_domains)
        ratio = loop_seconds / compare.seconds
        one_scan_mx = _one_scan_mx(loop_domains[0], lab, work)

    lines.append("# Fleet benchmark (bench/bench_fleet.py)\n")
    lines.append(f"Lab hoster, {time.strftime('%Y-%m-%d')}, 2-core machine; one run, every figure from it.\n")
    lines.append(
        "| run | domains | seconds | domains/min | dispatcher MiB | workers MiB | MX connections | domains on MX |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        lines.append(
            f"| {r.label} | {r.domains} | {r.seconds:.1f} | {r.per_minute:.0f} | {r.peak_kb / 1024:.0f} | "
            f"{r.worker_peak_kb / 1024:.0f} | {r.mx_connections} | {r.mx_domains} |"
        )
    lines.append("")
    lines.append(
        f"- Loop of `auditor scan` over {len(loop_domains)} domains: {loop_seconds:.1f} s "
        f"({len(loop_domains) / loop_seconds * 60:.0f} domains/min); the local fleet of {compare.domains} took "
        f"{compare.seconds:.1f} s: **{ratio:.1f}x faster** (same run)."
    )
    lines.append(f"- Findings equal to the single scans: {equal}/{len(loop_domains)} domains.")
    lines.append(
        f"- Connections to the shared MX `{SHARED_MX}`: {one_scan_mx} for one scan of one domain; in a fleet one "
        "endpoint's worth for all the domains pointing at it (column 'MX connections'), where the loop opens "
        f"{one_scan_mx} x {len(loop_domains)} = {one_scan_mx * len(loop_domains)}."
    )
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)


def _one_scan_mx(domain: str, lab: dict[str, object], work: Path) -> int:
    evidence = work / "one-evidence.json"
    subprocess.run(
        [*AUDITOR, "scan", domain, *lab_args(lab), "-q", "--evidence-out", str(evidence)],
        capture_output=True,
        check=False,
    )
    bundle = json.loads(evidence.read_text(encoding="utf-8"))
    tls = sum(s["connections"] for s in bundle["tls"] if f"{s['host']}[{s['ip']}]:{s['port']}" == SHARED_MX)
    return int(tls) + 1  # and the dialog


if __name__ == "__main__":
    main()
