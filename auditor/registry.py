"""Check declaration and discovery through the ``auditor.checks`` entry-point group.

A check is a pure function ``(CheckContext) -> Iterable[Outcome]`` decorated with
:func:`check`. Built-in check modules are registered as entry points exactly like a
third-party plugin's, so adding a check never touches the engine. Metadata a DPO may
want to read or change (title, severity, clauses, remediation) comes from the packaged
``data/checks.yaml`` (built-ins) or the decorator arguments (plugins), and can be
overridden by a user mapping file.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import logging
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.clauses import Catalogue, packaged_catalogue
from auditor.evidence import Evidence
from auditor.models import Finding, Need, Outcome, Severity
from auditor.profiles import Profile, load_profile

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "auditor.checks"


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may look at: the evidence and the grading profile. No I/O.

    The profile and the clause catalogue arrive loaded (the CLI validated ``--profile`` and
    ``--clauses``); a check never reads a file.
    """

    evidence: Evidence
    profile: Profile = field(default_factory=load_profile)
    catalogue: Catalogue = field(default_factory=packaged_catalogue)
    options: dict[str, Any] = field(default_factory=dict)
    # Only for checks declared with ``uses_findings=True``: the findings of all other
    # checks of this run (e.g. a statement's "encryption enforced" vs. TLS findings).
    findings: tuple[Finding, ...] = ()


CheckFunction = Callable[[CheckContext], Iterable[Outcome]]


@dataclass(frozen=True, slots=True)
class CheckMeta:
    id: str
    title: dict[str, str]
    needs: frozenset[Need]
    severity: Severity
    clauses: tuple[str, ...]
    remediation: dict[str, str]
    area: str
    description: str = ""
    source: str = ""
    uses_findings: bool = False

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.id

    def remediation_in(self, lang: str) -> str:
        return self.remediation.get(lang) or self.remediation.get("en") or ""


@dataclass(frozen=True, slots=True)
class Check:
    meta: CheckMeta
    func: CheckFunction


@dataclass(frozen=True, slots=True)
class _Declaration:
    id: str
    needs: frozenset[Need]
    area: str
    title: str | None
    severity: Severity | None
    clauses: tuple[str, ...] | None
    remediation: str | None
    uses_findings: bool


_ATTR = "__auditor_check__"


def check(
    check_id: str,
    *,
    needs: Iterable[Need | str],
    area: str,
    title: str | None = None,
    severity: Severity | str | None = None,
    clauses: Sequence[str] | None = None,
    remediation: str | None = None,
    uses_findings: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Declare a check. Built-ins leave title/severity/clauses/remediation to the YAML."""

    declaration = _Declaration(
        id=check_id,
        needs=frozenset(Need(n) for n in needs),
        area=area,
        title=title,
        severity=Severity(severity) if severity is not None else None,
        clauses=tuple(clauses) if clauses is not None else None,
        remediation=remediation,
        uses_findings=uses_findings,
    )

    def mark(func: CheckFunction) -> CheckFunction:
        setattr(func, _ATTR, declaration)
        return func

    return mark


class RegistryError(Exception):
    """A check module is unusable; the message names the plugin."""


def checks_in_module(module: types.ModuleType, metadata: dict[str, dict[str, Any]]) -> list[Check]:
    """Collect the decorated functions of one module, merged with packaged metadata."""
    found: list[Check] = []
    for value in vars(module).values():
        declaration = getattr(value, _ATTR, None)
        if not isinstance(declaration, _Declaration) or not callable(value):
            continue
        found.append(Check(meta=_merge(declaration, metadata.get(declaration.id, {}), value, module), func=value))
    return found


def _merge(
    declaration: _Declaration, data: dict[str, Any], func: Callable[..., Any], module: types.ModuleType
) -> CheckMeta:
    def both_langs(from_data: Any, inline: str | None) -> dict[str, str]:
        if isinstance(from_data, dict):
            return {str(k): str(v) for k, v in from_data.items()}
        if isinstance(from_data, str):
            return {"en": from_data}
        return {"en": inline} if inline else {}

    severity = data.get("severity") or declaration.severity
    if severity is None:
        raise RegistryError(f"check {declaration.id} ({module.__name__}) declares no severity")
    return CheckMeta(
        id=declaration.id,
        title=both_langs(data.get("title"), declaration.title) or {"en": declaration.id},
        needs=declaration.needs,
        severity=Severity(severity),
        clauses=tuple(data.get("clauses") or declaration.clauses or ()),
        remediation=both_langs(data.get("remediation"), declaration.remediation),
        area=declaration.area,
        description=(func.__doc__ or "").strip(),
        source=module.__name__,
        uses_findings=declaration.uses_findings,
    )


def load_checks(metadata: dict[str, dict[str, Any]], warn: Callable[[str], None] | None = None) -> list[Check]:
    """Load every check module registered under the entry-point group.

    A plugin that fails to import or declares a duplicate id is reported through
    ``warn`` and left out; it never stops the audit.
    """
    warn = warn or log.warning
    checks: dict[str, Check] = {}
    for entry in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            module = entry.load()
            if not isinstance(module, types.ModuleType):
                raise RegistryError(f"entry point must name a module, got {type(module).__name__}")
            found = checks_in_module(module, metadata)
        except Exception as exc:  # a broken plugin must not sink the audit
            warn(f"check plugin {entry.name!r} ({entry.value}) could not be loaded: {exc}")
            continue
        for item in found:
            if item.meta.id in checks:
                warn(
                    f"check id {item.meta.id!r} from {entry.name!r} duplicates "
                    f"{checks[item.meta.id].meta.source}; ignored"
                )
                continue
            checks[item.meta.id] = item
    return sorted(checks.values(), key=lambda c: c.meta.id)


def select(checks: Iterable[Check], only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[Check]:
    """Filter by id globs: ``--only 'mta_sts.*' --skip 'tls.vuln*'``."""
    chosen = [c for c in checks if not only or any(fnmatch.fnmatchcase(c.meta.id, pat) for pat in only)]
    return [c for c in chosen if not any(fnmatch.fnmatchcase(c.meta.id, pat) for pat in skip)]


def with_overrides(checks: Iterable[Check], overrides: dict[str, dict[str, Any]]) -> list[Check]:
    """Apply a DPO's mapping file: severity and clause lists per check id."""
    result = []
    for item in checks:
        change = overrides.get(item.meta.id)
        if change:
            meta = item.meta
            if "severity" in change:
                meta = replace(meta, severity=Severity(change["severity"]))
            if "clauses" in change:
                meta = replace(meta, clauses=tuple(change["clauses"]))
            item = replace(item, meta=meta)
        result.append(item)
    return result
