#!/usr/bin/env python3
"""Benchmark: log evidence on a host root with 10,000 rotated log files totalling several GB (not a test).

How the host root is made (fast, little real disk): every file starts with a REAL head —
timestamped log lines in the family's format, about 8 KiB, compressed as a complete
gzip/xz/bz2 member where the name says so — and is then extended with ``truncate`` to
its target size (200 KiB to 1.5 MiB, plus a few files of 0.5–1 GiB), so the tail is
sparse. The collector cannot tell: it only ever reads a file's head, which is the point
being measured (reading every byte of several GB would take minutes).

Layout: mail.log with 2,000 numbered rotations (``.1``, ``.2.gz`` …), 50 nginx vhosts ×
60 dateext rotations, 4 Roundcube logs × 500, nextcloud.log × 1,000, auth.log × 1,000
(bz2/xz mixed), 1,000 archived journald files: 10,000 files.

Run:  .venv/bin/python bench/bench_hostlogs.py [--files 10000] [--repeat 3] [--keep] [--drop-caches]
``--drop-caches`` (root only) empties the page cache before the first run for a cold figure.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import lzma
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.collectors.host.logs.disk import collect_logs  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HEAD_BYTES = 8 * 1024
_COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "": lambda b: b,
    ".gz": lambda b: gzip.compress(b, 1),
    ".xz": lambda b: lzma.compress(b, preset=0),
    ".bz2": lambda b: bz2.compress(b, 1),
}


def _syslog(t: datetime, i: int) -> str:
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S} mx postfix/smtpd[{i}]: connect from unknown[192.0.2.{i % 250}]"


def _clf(t: datetime, i: int) -> str:
    return (
        f'198.51.100.{i % 250} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] "GET /mail/?_task=mail HTTP/1.1" 200 {i} "-" '
        '"Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0"'
    )


def _roundcube(t: datetime, i: int) -> str:
    return f"[{t:%d-%b-%Y %H:%M:%S} +0000]: <s{i}> Successful login for u{i}@example.org from 203.0.113.{i % 250}"


def _nextcloud(t: datetime, i: int) -> str:
    return f'{{"reqId":"r{i}","level":1,"time":"{t.isoformat()}","remoteAddr":"192.0.2.9","user":"u{i}","message":"x"}}'


def _iso(t: datetime, i: int) -> str:
    return f"{t.isoformat()} mx sshd[{i}]: Accepted publickey for u{i} from 192.0.2.{i % 250} port 22"


def _write(path: Path, fmt: Callable[[datetime, int], str], start: datetime, size: int, rng: random.Random) -> int:
    """Write a real head of ``fmt`` lines from ``start`` (compressed by suffix), extend sparsely to ``size``."""
    lines, t, i = [], start, 0
    while sum(len(x) for x in lines) < HEAD_BYTES:
        lines.append(fmt(t, i) + "\n")
        t += timedelta(seconds=rng.randint(1, 30))
        i += 1
    ext = next((e for e in (".gz", ".xz", ".bz2") if path.name.endswith(e)), "")
    data = _COMPRESS[ext]("".join(lines).encode())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if size > len(data):
        os.truncate(path, size)
    os.utime(path, (start.timestamp() + 86400, start.timestamp() + 86400))
    return max(size, len(data))


def build(root: Path, total_files: int, seed: int = 7) -> tuple[int, int, dict[str, str]]:
    """Create the host root; returns (files, apparent bytes, the oldest entry each family must report)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible file sizes, not a secret)
    scale = total_files / 10_000
    files = apparent = 0

    def size() -> int:
        return rng.randint(200 * 1024, 1536 * 1024)

    def add(path: Path, fmt: Callable[[datetime, int], str], start: datetime, sz: int | None = None) -> None:
        nonlocal files, apparent
        apparent += _write(path, fmt, start, sz if sz is not None else size(), rng)
        files += 1

    log = root / "var/log"
    n_mail = int(2000 * scale)
    for idx in range(n_mail):
        name = "mail.log" + (f".{idx}" if idx else "") + (".gz" if idx >= 2 else "")
        add(log / name, _syslog, NOW - timedelta(days=idx + 1), 1 << 30 if idx == 0 else None)
    for v in range(50):
        n = int(60 * scale)
        for d in range(n):
            day = NOW - timedelta(days=d + 1)
            name = f"site{v}.access.log" + (f"-{day:%Y%m%d}.gz" if d else "")
            add(log / "nginx" / name, _clf, day, (512 << 20) if (v, d) == (0, 0) else None)
    for stream in ("userlogins.log", "errors.log", "sql.log", "imap.log"):
        for d in range(int(500 * scale)):
            day = NOW - timedelta(days=d + 1)
            add(log / "roundcubemail" / (stream + (f"-{day:%Y%m%d}.xz" if d else "")), _roundcube, day)
    for idx in range(int(1000 * scale)):
        add(
            root / "var/www/nextcloud/data" / ("nextcloud.log" + (f".{idx}" if idx else "")),
            _nextcloud,
            NOW - timedelta(days=idx + 1),
        )
    for idx in range(int(1000 * scale)):
        suffix = "" if idx < 2 else (".bz2" if idx % 2 else ".xz")
        add(log / ("auth.log" + (f".{idx}" if idx else "") + suffix), _iso, NOW - timedelta(days=idx + 1))
    jdir = log / "journal" / "0123456789abcdef0123456789abcdef"
    jdir.mkdir(parents=True, exist_ok=True)
    n_journal = total_files - files
    for idx in range(n_journal):
        head = NOW - timedelta(days=idx + 1)
        rt = int((head - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)
        path = jdir / f"system@{'b' * 32}-{idx:016x}-{rt:016x}.journal"
        path.write_bytes(b"LPKSHHRH" + b"\0" * 248)
        os.truncate(path, 8 << 20)
        os.utime(path, (head.timestamp() + 86400,) * 2)
        files += 1
        apparent += 8 << 20
    expected = {
        "mail": NOW - timedelta(days=n_mail),
        "web-access": NOW - timedelta(days=int(60 * scale)),
        "webmail": NOW - timedelta(days=int(500 * scale)),
        "cloud": NOW - timedelta(days=int(1000 * scale)),
        "auth": NOW - timedelta(days=int(1000 * scale)),
        "journal": NOW - timedelta(days=n_journal),
    }
    return files, apparent, {k: v.isoformat() for k, v in expected.items()}


def _rchar() -> int:
    """Bytes this process has read through read()/pread() so far (Linux /proc/self/io)."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the generated host root")
    ap.add_argument("--drop-caches", action="store_true", help="drop the page cache before the first run (root)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="auditor-bench-hostlogs-"))
    try:
        t0 = time.perf_counter()
        n_files, apparent, expected = build(root, args.files)
        print(f"built {n_files} files, {apparent / 1e9:.2f} GB apparent, in {time.perf_counter() - t0:.1f} s: {root}")
        if args.drop_caches:
            os.sync()
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        times = []
        for run in range(args.repeat):
            before = _rchar()
            start = time.perf_counter()
            result = collect_logs(root, budget_s=60)
            wall = time.perf_counter() - start
            read = _rchar() - before
            times.append(wall)
            listed = sum(len(f.files) for f in result)
            print(f"run {run + 1}: {wall:.2f} s wall, {listed} files listed, {read / 1e6:.1f} MB read")
        for fam in result:
            print(
                f"  {fam.family:12} files={len(fam.files):5} oldest={fam.oldest_entry} via {fam.oldest_method} "
                f"fields={','.join(fam.fields) or '-'} errors={len(fam.errors)}"
            )
        found = {f.family: f.oldest_entry for f in result}
        ok = listed == n_files and found == expected and not any(f.errors for f in result)
        if found != expected:
            print(f"  WRONG oldest entries: expected {expected}")
        verdict = "PASS" if ok and max(times) < 5.0 else "FAIL"
        print(
            f"RESULT {verdict}: log evidence for {n_files:,} rotated log files ({apparent / 1e9:.1f} GB, sparse tails) "
            f"in {min(times):.2f}-{max(times):.2f} s wall ({args.repeat} runs, target < 5 s), "
            f"{read / 1e6:.1f} MB read per run"
        )
        return 0 if verdict == "PASS" else 1
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
