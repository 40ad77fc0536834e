"""Check discovery through entry points, selection, overrides, broken plugins."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from auditor.metadata import MetadataError, load_mapping_text, packaged_metadata
from auditor.models import Need, Outcome, Severity, Status
from auditor.registry import RegistryError, check, checks_in_module, load_checks, select, with_overrides

VENV_BIN = Path(sys.executable).parent


def test_builtin_checks_are_found_through_the_entry_point_group() -> None:
    ids = {c.meta.id for c in load_checks(packaged_metadata())}
    assert {"mta-sts.record", "mta-sts.mode", "tls-rpt.record", "spf.record", "dmarc.policy"} <= ids


def test_every_builtin_check_has_metadata_and_every_metadata_entry_a_check() -> None:
    metadata = packaged_metadata()
    checks = load_checks(metadata)
    ids = {c.meta.id for c in checks}
    assert set(metadata) == ids, "metadata and checks disagree"
    for item in checks:
        assert item.meta.title.get("en") and item.meta.title.get("de"), item.meta.id
        assert item.meta.remediation.get("en") and item.meta.remediation.get("de"), item.meta.id
        assert item.meta.clauses, item.meta.id
        assert item.meta.description, f"{item.meta.id} has no docstring saying when it passes and fails"


def test_every_clause_a_check_names_is_in_the_catalogue() -> None:
    from auditor.clauses import load_catalogue

    catalogue = load_catalogue()
    for item in load_checks(packaged_metadata()):
        assert catalogue.unknown_ids(item.meta.clauses) == [], item.meta.id


def test_select_by_glob_and_skip() -> None:
    checks = load_checks(packaged_metadata())
    chosen = {c.meta.id for c in select(checks, only=["mta-sts.*"], skip=["mta-sts.policy-id"])}
    assert "mta-sts.mode" in chosen and "mta-sts.policy-id" not in chosen and "spf.record" not in chosen


def test_mapping_override_changes_severity_and_clauses() -> None:
    checks = load_checks(packaged_metadata())
    overridden = with_overrides(checks, {"spf.record": {"severity": "high", "clauses": ["GDPR-32"]}})
    spf = next(c for c in overridden if c.meta.id == "spf.record")
    assert spf.meta.severity == Severity.HIGH and spf.meta.clauses == ("GDPR-32",)


def test_malformed_mapping_names_file_and_line() -> None:
    with pytest.raises(MetadataError, match=r"mine.yaml:3: spf.record: severity 'urgent'"):
        load_mapping_text("# comment\ndmarc.policy: {severity: low}\nspf.record: {severity: urgent}\n", "mine.yaml")
    with pytest.raises(MetadataError, match=r"mine.yaml:3: not valid YAML"):
        load_mapping_text("a: {severity: low}\nb: [unclosed\n", "mine.yaml")


def test_inline_declaration_without_severity_is_rejected() -> None:
    module = types.ModuleType("plugin_without_severity")

    @check("x.y", needs=[Need.NETWORK], area="dns")
    def fn(ctx):  # type: ignore[no-untyped-def]
        yield Outcome(Status.PASS, "-", "ok")

    module.fn = fn  # type: ignore[attr-defined]
    with pytest.raises(RegistryError, match="declares no severity"):
        checks_in_module(module, {})


PLUGIN_SETUP = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
[project]
name = "auditor-test-plugin"
version = "0.0.1"
[project.entry-points."auditor.checks"]
acme = "acme_auditor_plugin"
broken = "acme_auditor_plugin_missing"
[tool.setuptools]
py-modules = ["acme_auditor_plugin"]
"""

PLUGIN_MODULE = '''
"""A third-party check family."""
from auditor.models import Outcome, Status
from auditor.registry import check


@check("acme.banner-greeting", needs=[], area="dns", title="ACME example check", severity="low",
       clauses=["GDPR-32"], remediation="Nothing to do.")
def greeting(ctx):
    """Passes for every target: shows that plugin checks run."""
    yield Outcome(Status.PASS, ctx.evidence.target.domain or "-", "plugin check ran")
'''


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    source = tmp_path_factory.mktemp("plugin")
    (source / "pyproject.toml").write_text(PLUGIN_SETUP)
    (source / "acme_auditor_plugin.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    pip = [str(VENV_BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--no-build-isolation", "--no-deps", str(source)], check=True, timeout=300)
    yield source
    subprocess.run([*pip, "uninstall", "-y", "auditor-test-plugin"], check=True, timeout=120)


def test_third_party_plugin_is_listed_and_runs(installed_plugin: Path, tmp_path: Path) -> None:
    auditor = str(VENV_BIN / "auditor")
    listing = subprocess.run([auditor, "checks"], capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert "acme.banner-greeting" in listing.stdout
    # The broken entry point is reported by name, and does not stop anything.
    assert "broken" in listing.stdout + listing.stderr and "could not be loaded" in listing.stdout + listing.stderr
    out = tmp_path / "r.json"
    run = subprocess.run(
        [auditor, "scan", "--no-network", "--host-root", str(tmp_path), "--only", "acme.*", "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert '"check_id": "acme.banner-greeting"' in out.read_text() and '"status": "pass"' in out.read_text()
