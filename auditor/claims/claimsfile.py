"""The reviewed claims file (YAML): written atomically, read back with validation.

A DPO edits this file and commits it; a hand-edited file is authoritative over the
statement. So reading validates at the boundary (shipped JSON Schema, then the
controlled vocabularies) and every error names the file and the line.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from auditor.claims.vocab import vocabulary
from auditor.evidence.claims import RESOLUTIONS, Citation, Claim, ClaimSet, Span, valid_period
from auditor.fsutil import atomic_write
from auditor.safeload import InputFileError, YamlDocument, load_yaml

SCHEMA_ID = "auditor-claims/1"
MAX_FILE_BYTES = 5_000_000

_HEADER = """\
# auditor claims file ({schema}); JSON Schema: auditor/claims/claims.schema.json
# Review every claim against the quoted sentence; edit, add or delete claims as needed.
# Sentences listed under not_understood gave no claim: read them and add claims by hand.
# This file, once reviewed, is authoritative: `auditor scan --claims FILE`.
"""


class ClaimsFileError(InputFileError):
    """The claims file is unreadable or invalid; the message names file and line."""


def claims_schema() -> dict[str, Any]:
    """The shipped JSON Schema of the claims file."""
    text = resources.files("auditor.claims").joinpath("claims.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def claimset_to_data(claims: ClaimSet) -> dict[str, Any]:
    data = asdict(claims)
    return {"schema": SCHEMA_ID, **data}


def write_claims_yaml(claims: ClaimSet, path: str | os.PathLike[str]) -> None:
    """Write the claims file atomically, with the permissions every report gets."""
    body = yaml.safe_dump(claimset_to_data(claims), sort_keys=False, allow_unicode=True, width=110)
    atomic_write(path, _HEADER.format(schema=SCHEMA_ID) + body)


def _load(path: Path) -> YamlDocument:
    """The claims file through the safe loader (size cap, no aliases, bounded nesting)."""
    try:
        return load_yaml(path, kind="claims", max_bytes=MAX_FILE_BYTES)
    except InputFileError as exc:
        raise ClaimsFileError(str(exc)) from None


def _semantic_errors(data: dict[str, Any]) -> list[tuple[list[str | int], str]]:
    vocab = vocabulary()
    errors: list[tuple[list[str | int], str]] = []
    ids: set[str] = set()
    for index, claim in enumerate(data.get("claims", [])):
        where: list[str | int] = ["claims", index]
        if claim["id"] in ids:
            errors.append(([*where, "id"], f"duplicate claim id {claim['id']!r}"))
        ids.add(claim["id"])
        if claim["subject"] not in vocab.subject_ids:
            errors.append(
                (
                    [*where, "subject"],
                    f"unknown subject {claim['subject']!r}; known: " + ", ".join(sorted(vocab.subject_ids)),
                )
            )
        for n, field in enumerate(claim.get("fields") or []):
            if field not in vocab.field_ids:
                errors.append(
                    ([*where, "fields", n], f"unknown field {field!r}; known: " + ", ".join(sorted(vocab.field_ids)))
                )
        period = claim.get("period")
        if period is not None and not valid_period(period):
            errors.append(([*where, "period"], f"period {period!r} is not an ISO 8601 duration or event"))
    return errors


#: Claims files written before ``event`` kept two events in ``period``.
_LEGACY_EVENTS = {"until-deleted": "until-user-deletes", "until-account-deleted": "while-account-exists"}


def _claim(c: dict[str, Any], language: str) -> Claim:
    period: str | None = c.get("period")
    event: str | None = c.get("event")
    legacy = _LEGACY_EVENTS.get(period or "")
    if legacy is not None:
        period, event = None, event or legacy
    resolved = c.get("resolved", "file")
    return Claim(
        id=c["id"],
        kind=c["kind"],
        subject=c["subject"],
        fields=tuple(c.get("fields") or ()),
        period=period,
        bound=c.get("bound", "exact"),
        value=c.get("value"),
        quote=c.get("quote", ""),
        start=c.get("start", 0),
        end=c.get("end", 0),
        language=c.get("language", language),
        event=event,
        period_min=c.get("period_min"),
        resolved=resolved,
        confidence=c.get("confidence", RESOLUTIONS.get(resolved, "high")),
    )


def read_claims_yaml(path: str | os.PathLike[str]) -> ClaimSet:
    """Read and validate a claims file; raises :class:`ClaimsFileError` naming file and line."""
    file = Path(path)
    document = _load(file)
    data = document.data
    if not isinstance(data, dict):
        raise ClaimsFileError(f"{file}:1: expected a mapping with schema, source, language and claims")
    validator = jsonschema.Draft202012Validator(claims_schema())
    problems = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if problems:
        first = problems[0]
        where = "/".join(map(str, first.absolute_path)) or "top level"
        raise ClaimsFileError(
            f"{file}:{document.line(*first.absolute_path)}: {where}: {first.message}"
            + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else "")
        )
    semantic = _semantic_errors(data)
    if semantic:
        path_, message = semantic[0]
        raise ClaimsFileError(f"{file}:{document.line(*path_)}: {message}")
    return ClaimSet(
        source=data["source"],
        sha256=data.get("sha256", ""),
        language=data["language"],
        claims=tuple(_claim(c, data["language"]) for c in data["claims"]),
        understood=tuple(Span(**s) for s in data.get("understood") or ()),
        not_understood=tuple(Span(**s) for s in data.get("not_understood") or ()),
        cited_law=tuple(_citation(c) for c in data.get("cited_law") or ()),
    )


def _citation(raw: dict[str, Any]) -> Citation:
    """A citation of a claims file; the legal-status keys older files carry (``clause``,
    ``repealed``, ``current``, ``current_label``) are the catalogue's now and are ignored."""
    return Citation(raw["text"], raw.get("start", 0), raw.get("end", 0), raw["law"], raw.get("section"))
