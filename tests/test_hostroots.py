"""Acceptance of issue 14 on whole host roots assembled from real configurations (tests/hostroots).

Per root: every expected finding is found, no ``fail`` nobody expected (the wild-config classes
of issue 14 gave false fails: stdout taken for a file kept forever, CRYPT taken for DES,
template placeholders graded), and a tree of unrendered templates gives at most one finding
per file. The corpus is read in place (skipped with the reason only where it is absent); the
Debian packages are unpacked by scripts/distro-defaults.sh, and a failure there fails loudly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostroots import assemble

MANIFESTS = assemble.manifests()


def test_there_are_roots_for_every_stack() -> None:
    assert len(MANIFESTS) >= 7
    assert sum(m.template for m in MANIFESTS) >= 2


@pytest.mark.parametrize("manifest", MANIFESTS, ids=[m.name for m in MANIFESTS])
def test_root(manifest: assemble.Manifest, tmp_path: Path) -> None:
    if "corpus" in manifest.sources and not assemble.CORPUS.is_dir():
        pytest.skip(f"shared corpus of real configs not present at {assemble.CORPUS.resolve()}")
    root = assemble.assemble(manifest, tmp_path / manifest.name)
    findings = assemble.audit(root, assemble.claims(manifest))
    score = assemble.score(manifest, findings)
    assert not score.missed, [str(e) for e in score.missed]
    assert not score.unexpected_fails, [(f.check_id, f.subject, f.detail[:200]) for f in score.unexpected_fails]
    if manifest.template:
        crowded = {path: n for path, n in assemble.findings_per_file(root, findings).items() if n > 1}
        assert not crowded
