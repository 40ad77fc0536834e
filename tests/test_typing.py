"""The whole package type-checks under ``mypy --strict``.

The wheel maps ``checks/`` and ``reports/`` under ``auditor`` (pyproject's package-dir);
mypy does not follow setuptools' mapping or the editable-install import hook, so the
test lays out the package as it is installed (symbolic links in a temporary directory)
and checks that, with the project's mypy settings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def test_package_passes_mypy_strict(tmp_path: Path) -> None:
    package = tmp_path / "auditor"
    package.mkdir()
    for entry in (PROJECT / "auditor").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "checks").symlink_to(PROJECT / "checks")
    (package / "reports").symlink_to(PROJECT / "reports")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(PROJECT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "cache"), "-p", "auditor"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
