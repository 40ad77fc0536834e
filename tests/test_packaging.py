"""The built wheel: one top-level import name, data files included, AGPL licence declared."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_has_exactly_one_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [wheel] = list(tmp_path.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"auditor"}
    for needed in (
        "auditor/checks/mail_dns.py",
        "auditor/reports/templates/report.html.j2",
        "auditor/data/checks/mail_dns.yaml",
        "auditor/data/checks/starttls.yaml",
        "auditor/data/clauses.yaml",
        "auditor/data/schema/report-1.json",
        "auditor/py.typed",
    ):
        assert needed in names, needed
    assert "License-Expression: AGPL-3.0-or-later" in metadata
    assert "[auditor.checks]" in entry_points and "mail_dns = auditor.checks.mail_dns" in entry_points
