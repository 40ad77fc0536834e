"""Killing the process mid-write leaves the previous report and state intact."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

WRITER = textwrap.dedent("""
    import json, sys
    from auditor.fsutil import atomic_write
    from auditor.state import StateStore
    from pathlib import Path
    target, state_dir = Path(sys.argv[1]), Path(sys.argv[2])
    store = StateStore(state_dir)
    generation = 0
    while True:
        generation += 1
        # ~8 MB per report so a kill lands inside a write most of the time
        body = json.dumps({"generation": generation, "findings": ["x" * 1000] * 8000})
        atomic_write(target, body)
        store.save("example.org", {"generation": generation, "padding": "y" * 2_000_000})
""")


def test_sigkill_during_writes_never_leaves_a_torn_file(tmp_path: Path) -> None:
    report, state_dir = tmp_path / "report.json", tmp_path / "state"
    report.write_text(json.dumps({"generation": 0, "findings": []}))
    seen = set()
    states_seen = 0
    for round_number in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(report), str(state_dir)])
        time.sleep(0.4 + 0.13 * round_number)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        document = json.loads(report.read_text())  # would raise on a truncated file
        seen.add(document["generation"])
        state_file = state_dir / "example.org.json"
        if state_file.exists():
            assert "generation" in json.loads(state_file.read_text())
            states_seen += 1
    # Temp files of killed writers are the only leftovers; the targets are whole.
    assert all(p.name.startswith(".") for p in tmp_path.iterdir() if p.name not in ("report.json", "state"))
    assert max(seen) > 0, "the writer never replaced the report: nothing was tested"
    assert states_seen > 0, "the writer never saved its state: nothing was tested"


def test_cli_interrupted_keeps_previous_report(tmp_path: Path) -> None:
    """SIGINT during a scan (here: one waiting on a dead resolver) exits 130 and the old report stays."""
    out = tmp_path / "report.json"
    out.write_text('{"previous": true}')
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "auditor"),
            "scan",
            "example.test",
            "--resolver",
            "127.0.53.253",
            "--timeout",
            "60",
            "-o",
            str(out),
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert json.loads(out.read_text()) == {"previous": True}


STATEMENT = Path(__file__).resolve().parents[1] / "lab" / "statement" / "datenschutz.md"


@pytest.mark.parametrize(("umask", "expected"), [(0o077, 0o600), (0o027, 0o640), (0o022, 0o644)])
def test_reports_and_bundles_follow_the_umask(tmp_path: Path, umask: int, expected: int) -> None:
    """Reports and bundles hold personal data: ``umask 077`` must keep them private."""
    outputs = [tmp_path / f"r.{ext}" for ext in ("json", "html", "md", "xml", "sarif")]
    bundle, claims = tmp_path / "bundle.json", tmp_path / "claims.yaml"
    auditor = str(Path(sys.executable).parent / "auditor")
    scan = [auditor, "scan", "--no-network", "--statement", str(STATEMENT), "--evidence-out", str(bundle), "-q"]
    for runs in (
        [*scan, *(a for o in outputs for a in ("-o", str(o)))],
        [auditor, "claims", str(STATEMENT), "-o", str(claims)],
    ):
        done = subprocess.run(runs, capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.umask(umask))
        assert done.returncode in (0, 1, 4), done.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [*outputs, bundle, claims]}
    assert modes == dict.fromkeys(modes, expected), {k: oct(v) for k, v in modes.items()}
