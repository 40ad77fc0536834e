"""The whole package type-checks under ``mypy --strict``, the way the README's development section says.

``scripts/typecheck.sh`` lays the package out as installed (``checks/`` and ``reports/`` under
``auditor``, which mypy cannot follow through setuptools' package-dir) and runs mypy on it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def test_package_passes_mypy_strict() -> None:
    done = subprocess.run(
        ["bash", str(PROJECT / "scripts" / "typecheck.sh")],
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
