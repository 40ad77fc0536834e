"""Check metadata as data: ``data/checks/<family>.yaml`` and a DPO's ``--mapping`` file.

Severity defaults and clause mappings are legal judgements, so they live where a DPO
can read, review and override them without touching code (Prowler keeps compliance
mappings as data for the same reason).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

import yaml

from auditor.models import Severity
from auditor.safeload import MAX_YAML_BYTES, InputFileError, parse_yaml, read_text

_ALLOWED_KEYS = {"title", "severity", "clauses", "remediation"}


class MetadataError(InputFileError):
    """A metadata or mapping file is malformed; the message names file and line."""


def _line_of(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def load_mapping_text(text: str, source: str) -> dict[str, dict[str, Any]]:
    """Parse and validate one mapping document; errors name ``source:line``."""
    try:
        document = parse_yaml(text, source)
    except InputFileError as exc:
        raise MetadataError(str(exc)) from None
    data, root = document.data, document.root
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise MetadataError(f"{source}:1: expected a mapping of check ids to settings")
    lines = {str(k.value): _line_of(k) for k, _ in root.value}
    result: dict[str, dict[str, Any]] = {}
    for check_id, entry in data.items():
        where = f"{source}:{lines.get(str(check_id), 0)}"
        if not isinstance(entry, dict):
            raise MetadataError(f"{where}: settings of {check_id!r} must be a mapping")
        unknown = set(entry) - _ALLOWED_KEYS
        if unknown:
            raise MetadataError(f"{where}: {check_id}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        if "severity" in entry:
            try:
                Severity(str(entry["severity"]))
            except ValueError:
                raise MetadataError(
                    f"{where}: {check_id}: severity {entry['severity']!r} is not one of "
                    f"{', '.join(s.value for s in Severity)}"
                ) from None
        if "clauses" in entry and not (
            isinstance(entry["clauses"], list) and all(isinstance(c, str) for c in entry["clauses"])
        ):
            raise MetadataError(f"{where}: {check_id}: clauses must be a list of clause ids")
        for key in ("title", "remediation"):
            value = entry.get(key)
            if value is not None and not isinstance(value, str | dict):
                raise MetadataError(f"{where}: {check_id}: {key} must be text or {{en: ..., de: ...}}")
        result[str(check_id)] = entry
    return result


def packaged_metadata() -> dict[str, dict[str, Any]]:
    """All built-in metadata files merged; a duplicate id across files is an error."""
    merged: dict[str, dict[str, Any]] = {}
    folder = importlib.resources.files("auditor") / "data" / "checks"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".yaml"):
            continue
        entries = load_mapping_text(item.read_text(encoding="utf-8"), f"auditor/data/checks/{item.name}")
        for check_id, entry in entries.items():
            if check_id in merged:
                raise MetadataError(f"auditor/data/checks/{item.name}: {check_id} is defined twice")
            merged[check_id] = entry
    return merged


def load_mapping_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        text = read_text(path, max_bytes=MAX_YAML_BYTES, kind="mapping")
    except InputFileError as exc:
        raise MetadataError(str(exc)) from None
    return load_mapping_text(text, str(path))
