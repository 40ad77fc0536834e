"""The fleet's list of domains: a text file (one domain a line) or a TOML file with per-domain inputs.

Text::

    # hoster customers
    example.org
    example.net

TOML (paths relative to the file; every key but ``name`` optional)::

    [[domain]]
    name = "example.org"
    statement = "statements/example.org.html"   # file or https URL
    claims = "claims/example.org.yaml"           # reviewed claims: authoritative
    host_root = "/srv/snapshots/mx1"
    service = ["webmail.example.org:443/https"]
    db = "postgresql://auditor@db/mail"

Read through :mod:`auditor.safeload` (size cap, strict UTF-8); every error names file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.collectors.discovery import ServiceSpecError, is_hostname, parse_service
from auditor.safeload import InputFileError, load_toml, read_text, where

MAX_DOMAINS_BYTES = 16 * 1024 * 1024  # a hundred thousand domains with their inputs
_KEYS = {"name", "statement", "claims", "host_root", "service", "db"}


@dataclass(frozen=True, slots=True)
class DomainJob:
    """One domain of the fleet and the inputs that are its own."""

    domain: str
    statement: str | None = None
    claims: Path | None = None
    host_root: Path | None = None
    services: tuple[str, ...] = ()
    db: str | None = None


def load_domains(path: Path) -> list[DomainJob]:
    """Parse the domains file (TOML by the ``.toml`` extension, else text); raises :class:`InputFileError`."""
    jobs = _from_toml(path) if path.suffix.lower() == ".toml" else _from_text(path)
    if not jobs:
        raise InputFileError(f"{path}: no domains in the file")
    return jobs


def _domain(text: str, path: Path, line: int | None) -> str:
    name = text.strip().rstrip(".").lower()
    if not is_hostname(name) or "." not in name:
        raise InputFileError(f"{where(path, line)}: {text.strip()[:100]!r} is not a domain name")
    return name


def _from_text(path: Path) -> list[DomainJob]:
    seen: dict[str, int] = {}
    for number, raw in enumerate(read_text(path, max_bytes=MAX_DOMAINS_BYTES, kind="domains file").splitlines(), 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        domain = _domain(text, path, number)
        if domain in seen:
            raise InputFileError(f"{where(path, number)}: {domain} is listed twice (first on line {seen[domain]})")
        seen[domain] = number
    return [DomainJob(domain) for domain in seen]


def _line_of(text: str, name: str) -> int | None:
    found = re.search(rf"^\s*name\s*=\s*[\"']{re.escape(name)}\.?[\"']", text, re.MULTILINE | re.IGNORECASE)
    return text.count("\n", 0, found.start()) + 1 if found else None


def _from_toml(path: Path) -> list[DomainJob]:
    data, text = load_toml(path, kind="domains file", max_bytes=MAX_DOMAINS_BYTES)
    stray = sorted(set(data) - {"domain"})
    if stray:
        raise InputFileError(f"{path}: unknown key {stray[0]!r} (the file holds [[domain]] tables)")
    entries = data.get("domain", [])
    if not isinstance(entries, list):
        raise InputFileError(f"{path}: 'domain' must be an array of tables ([[domain]])")
    base = path.resolve().parent
    jobs: dict[str, DomainJob] = {}
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InputFileError(f'{path}: [[domain]] number {index} needs name = "..."')
        line = _line_of(text, entry["name"])
        job = _job(entry, base, path, line)
        if job.domain in jobs:
            raise InputFileError(f"{where(path, line)}: {job.domain} is listed twice")
        jobs[job.domain] = job
    return list(jobs.values())


def _job(entry: dict[str, Any], base: Path, path: Path, line: int | None) -> DomainJob:
    here = where(path, line)
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise InputFileError(f"{here}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    for key in ("statement", "claims", "host_root", "db"):
        if key in entry and not isinstance(entry[key], str):
            raise InputFileError(f"{here}: {key} must be a string")
    services = entry.get("service", [])
    services = [services] if isinstance(services, str) else services
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise InputFileError(f"{here}: service must be a string or a list of strings")
    try:
        for spec in services:
            parse_service(spec)
    except ServiceSpecError as exc:
        raise InputFileError(f"{here}: {exc}") from None
    statement = entry.get("statement")
    if statement is not None and not statement.startswith(("https://", "http://")):
        statement = str((base / statement).resolve())
    return DomainJob(
        domain=_domain(entry["name"], path, line),
        statement=statement,
        claims=(base / entry["claims"]).resolve() if "claims" in entry else None,
        host_root=(base / entry["host_root"]).resolve() if "host_root" in entry else None,
        services=tuple(services),
        db=entry.get("db"),
    )
