"""Whole host roots assembled from real configuration files, and their expected findings as data.

Each ``roots/<name>.yaml`` describes one stack (Docker-style stdout logging, Ansible-style
split configs, a hosting panel, distribution defaults, unrendered templates ...): which
files to place where, taken from ``../shared/corpus`` (read in place, never copied into
the repository), from Debian packages unpacked by ``scripts/distro-defaults.sh`` into a
cache outside git, or written inline where neither has the syntax; aged log files and a
SQLite user database generated at assembly; and the findings the audit must produce.

Used by ``tests/test_hostroots.py`` (acceptance) and ``bench/bench_hostroots.py`` (summary).
"""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import subprocess
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from auditor.claims.claimsfile import read_claims_yaml
from auditor.collectors.host.collect import collect_host
from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, Target
from auditor.evidence.claims import ClaimSet
from auditor.metadata import packaged_metadata
from auditor.models import Finding
from auditor.registry import load_checks
from auditor.runner import evaluate

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = REPO / ".." / "shared" / "corpus"
ROOTS = HERE / "roots"
CLAIMS = HERE / "claims.yaml"
DISTRO_SCRIPT = REPO / "scripts" / "distro-defaults.sh"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class SourceMissing(Exception):
    """A root needs a file that is not on this machine (``kind`` is ``corpus`` or ``distro``)."""

    def __init__(self, kind: str, path: Path) -> None:
        super().__init__(f"{kind} file not present: {path}")
        self.kind = kind


@dataclass(frozen=True)
class Expected:
    """A finding the root must produce: check id, status, and text its subject or detail contains."""

    check: str
    status: str
    contains: str = ""
    why: str = ""

    def matches(self, f: Finding) -> bool:
        text = f"{f.subject}\n{f.detail}"
        return f.check_id == self.check and f.status.value == self.status and self.contains in text

    def __str__(self) -> str:
        return f"{self.check} {self.status}" + (f" ~ {self.contains!r}" if self.contains else "")


@dataclass(frozen=True)
class Manifest:
    name: str
    stack: str
    files: tuple[dict[str, Any], ...]
    logs: tuple[dict[str, Any], ...] = ()
    sqlite: tuple[dict[str, Any], ...] = ()
    expected: tuple[Expected, ...] = ()
    template: bool = False
    sources: tuple[str, ...] = field(default=())
    #: Fields this root's statement does not declare (removed from every claim of the shared claims file).
    undeclare: tuple[str, ...] = ()


def manifests() -> list[Manifest]:
    return [load(p) for p in sorted(ROOTS.glob("*.yaml"))]


def load(path: Path) -> Manifest:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    expected = tuple(Expected(**e) for e in data.get("expected") or ())
    return Manifest(
        name=path.stem,
        stack=data["stack"],
        files=tuple(data.get("files") or ()),
        logs=tuple(data.get("logs") or ()),
        sqlite=tuple(data.get("sqlite") or ()),
        expected=expected,
        template=bool(data.get("template", False)),
        undeclare=tuple(data.get("undeclare") or ()),
        sources=tuple(sorted({k for f in data.get("files") or () for k in ("corpus", "distro") if k in f})),
    )


def distro_cache() -> Path:
    """The unpacked Debian packages; runs the set-up script (package registry) when they are missing."""
    cache = Path(os.environ.get("AUDITOR_DISTRO_CACHE", "/var/cache/auditor-distro"))
    if not (cache / "postfix" / ".unpacked").is_file():
        subprocess.run(["bash", str(DISTRO_SCRIPT)], check=True, capture_output=True, timeout=600)
    return cache


def _source(entry: dict[str, Any]) -> Path | None:
    if "corpus" in entry:
        path = CORPUS / entry["corpus"]
        if not path.exists():
            raise SourceMissing("corpus", path.resolve())
        return path
    if "distro" in entry:
        path = distro_cache() / entry["distro"] / entry["path"].lstrip("/")
        if not path.exists():
            raise SourceMissing("distro", path)
        return path
    return None


def _place(root: Path, entry: dict[str, Any]) -> None:
    dest = root / entry["to"].lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = _source(entry)
    if src is not None and src.is_dir():
        shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True)
    elif src is not None:
        shutil.copyfile(src, dest)
    if "text" in entry:
        dest.write_text(entry["text"], encoding="utf-8")
    if "render" in entry:  # what the project's installer substitutes (make install's sed), as {placeholder: value}
        text = dest.read_text(encoding="utf-8")
        for placeholder, value in entry["render"].items():
            text = text.replace(placeholder, value)
        dest.write_text(text, encoding="utf-8")
    if "append" in entry:  # what the stack's set-up script adds (postconf -e, sed ...)
        with dest.open("a", encoding="utf-8") as handle:
            handle.write(entry["append"])


def _log(root: Path, spec: dict[str, Any]) -> None:
    """A family's files as rotation leaves them: ``path``, ``path.1``, ``path.2.gz`` ... with the given ages."""
    line = spec.get("line", "mx1 postfix/smtpd[812]: 4F2A1: client=unknown[192.0.2.7], sasl_username=a@example.org")
    for i, age in enumerate(spec["ages"]):
        name = spec["path"] if i == 0 else f"{spec['path']}.{i}" + (".gz" if i > 1 else "")
        when = NOW - timedelta(days=age)
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = (when.strftime("%b %e %H:%M:%S") + f" {line}\n").encode()
        path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
        stamp = (when + timedelta(hours=1)).timestamp()
        os.utime(path, (stamp, stamp))


def _sqlite(root: Path, spec: dict[str, Any]) -> None:
    """A SQLite database: the application's own schema (``schema``: a corpus or package SQL file) or
    all-TEXT tables made from the rows; then the rows."""
    path = root / spec["path"].lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        if "schema" in spec:
            schema = _source(spec["schema"])
            assert schema is not None
            conn.executescript(schema.read_text(encoding="utf-8"))
        for table, rows in spec["tables"].items():
            columns = list(rows[0])
            if "schema" not in spec:
                conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} TEXT' for c in columns)})")
            marks = ", ".join("?" for _ in columns)
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                [list(r.values()) for r in rows],
            )


def assemble(manifest: Manifest, dest: Path) -> Path:
    """Build the root in ``dest``; raises :class:`SourceMissing` when a corpus or package file is absent."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in manifest.files:
        _place(dest, entry)
    for spec in manifest.logs:
        _log(dest, spec)
    for spec in manifest.sqlite:
        _sqlite(dest, spec)
    return dest


def claims(manifest: Manifest | None = None) -> ClaimSet:
    """The shared claims, less the fields the manifest's statement does not declare."""
    shared = read_claims_yaml(CLAIMS)
    if manifest is None or not manifest.undeclare:
        return shared
    kept = tuple(replace(c, fields=tuple(f for f in c.fields if f not in manifest.undeclare)) for c in shared.claims)
    return replace(shared, claims=kept)


def audit(root: Path, claim_set: ClaimSet | None = None, lang: str = "en") -> list[Finding]:
    """Every host check over the root, as ``auditor scan --no-network --host-root ROOT --claims ...`` runs them."""
    host = collect_host(root, collected_at=NOW)
    evidence = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at=NOW.isoformat(),
        target=Target(domain=None, host_root=str(root)),
        network=False,
        host=host,
        claims=claim_set if claim_set is not None else claims(),
    )
    checks = [c for c in load_checks(packaged_metadata()) if c.meta.area == "host"]
    return evaluate(checks, evidence, lang=lang)


@dataclass(frozen=True)
class Score:
    """Per root: findings by status, expected findings found and missed, fails nobody expected."""

    name: str
    by_status: dict[str, int]
    found: tuple[Expected, ...]
    missed: tuple[Expected, ...]
    unexpected_fails: tuple[Finding, ...]
    findings: tuple[Finding, ...]


def score(manifest: Manifest, findings: list[Finding]) -> Score:
    found = tuple(e for e in manifest.expected if any(e.matches(f) for f in findings))
    missed = tuple(e for e in manifest.expected if e not in found)
    wanted_fails = [e for e in manifest.expected if e.status == "fail"]
    unexpected = tuple(f for f in findings if f.status.value == "fail" and not any(e.matches(f) for e in wanted_fails))
    counts = Counter(f.status.value for f in findings)
    return Score(manifest.name, dict(sorted(counts.items())), found, missed, unexpected, tuple(findings))


def findings_per_file(root: Path, findings: list[Finding]) -> dict[str, int]:
    """How many findings name each configuration file of the root (in the subject or the detail)."""
    counts: dict[str, int] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "/var/" not in f"/{p.relative_to(root)}"):
        rel = "/" + str(path.relative_to(root))
        counts[rel] = sum(1 for f in findings if rel in f.subject or f"{rel}:" in f.detail or f"{rel} " in f.detail)
    return counts
