"""Shared fixtures: the project's own Debian-like host root and the shared corpus of real configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.collectors.host.root import HostRoot

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / ".." / "shared" / "corpus"
FIXTURE_ROOT = REPO / "tests" / "fixtures" / "hostroot"


@pytest.fixture
def hostroot() -> HostRoot:
    return HostRoot(FIXTURE_ROOT)


@pytest.fixture
def corpus() -> HostRoot:
    """The corpus directory as a host root; corpus paths are ``/<project>/<original path>``."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus of real configs not present at {CORPUS.resolve()}")
    return HostRoot(CORPUS)


def write_files(root: Path, files: dict[str, str]) -> HostRoot:
    """Write ``{root-relative path: text}`` under ``root`` and return it as a host root."""
    for rel, text in files.items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return HostRoot(root)
