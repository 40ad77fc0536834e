"""Reading and validating clause catalogue YAML, with file:line in every error.

Kept apart from :mod:`auditor.clauses` (the catalogue's behaviour) because the
validation of a hand-edited legal mapping is long and entirely about the file format.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from auditor.clause_model import (
    _FIELDS,
    _ID_RE,
    _MAX_BYTES,
    CONFIDENCE,
    LANGS,
    LAWS,
    CatalogueError,
    Clause,
    Control,
    SeverityDefault,
)
from auditor.models import Severity
from auditor.safeload import InputFileError, SafeYamlLoader, read_text

if TYPE_CHECKING:
    from auditor.clauses import Catalogue


Raw = list[tuple[yaml.Node, Any]]


def node_location(path: str, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def read_catalogue_file(path: Path) -> tuple[Raw, tuple[yaml.Node, Any] | None]:
    """Parse a catalogue file into (node, value) pairs so errors can cite lines."""
    name = str(path)
    try:
        text = read_text(path, max_bytes=_MAX_BYTES, kind="clause catalogue")
    except InputFileError as exc:
        raise CatalogueError(str(exc)) from None
    loader = SafeYamlLoader(text)  # no aliases, bounded nesting
    try:
        root = loader.get_single_node()
        if not isinstance(root, yaml.MappingNode):
            raise CatalogueError(f"{name}:1: expected a mapping with 'version' and 'clauses'")
        top = _mapping_items(root, name)
        version = top.get("version")
        if version is not None and loader.construct_object(version[1], deep=True) != 1:
            raise CatalogueError(f"{node_location(name, version[1])}: unsupported version (expected 1)")
        unknown = set(top) - {"version", "clauses", "severity_defaults"}
        if unknown:
            key = sorted(unknown)[0]
            raise CatalogueError(f"{node_location(name, top[key][0])}: unknown top-level key {key!r}")
        entries: Raw = []
        if "clauses" in top:
            seq = top["clauses"][1]
            if not isinstance(seq, yaml.SequenceNode):
                raise CatalogueError(f"{node_location(name, seq)}: 'clauses' must be a list")
            for item in seq.value:
                if isinstance(item, yaml.MappingNode):
                    _mapping_items(item, name)  # rejects duplicate keys inside an entry
                entries.append((item, loader.construct_object(item, deep=True)))
        severity = None
        if "severity_defaults" in top:
            node = top["severity_defaults"][1]
            severity = (node, loader.construct_object(node, deep=True))
        return entries, severity
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise CatalogueError(f"{name}:{line}: invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{name}:1: invalid YAML: {exc}") from exc
    except (RecursionError, ValueError, OverflowError) as exc:  # ValueError: e.g. an integer of 5000 digits
        if isinstance(exc, CatalogueError):
            raise
        raise CatalogueError(f"{name}:1: invalid YAML: {str(exc)[:200] or type(exc).__name__}") from None
    finally:
        loader.dispose()


def _mapping_items(node: yaml.MappingNode, name: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value in items:
            raise CatalogueError(f"{node_location(name, key)}: duplicate or non-text key {key.value!r}")
        items[str(key.value)] = (key, value)
    return items


def _field_node(node: yaml.Node, key: str) -> yaml.Node:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                found: yaml.Node = v
                return found
    return node


def parse_clause(data: Any, node: yaml.Node, name: str) -> Clause:
    def fail(message: str, key: str | None = None) -> CatalogueError:
        at = node_location(name, _field_node(node, key) if key else node)
        label = data.get("id") if isinstance(data, dict) else None
        return CatalogueError(f"{at}: clause {label or '?'}: {message}")

    if not isinstance(data, dict):
        raise fail("entry must be a mapping")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise fail(f"unknown field {unknown[0]!r}", unknown[0])
    cid = data.get("id")
    if not isinstance(cid, str) or not _ID_RE.match(cid):
        raise fail("'id' must look like GDPR-32-1-a", "id")
    if data.get("law") not in LAWS:
        raise fail(f"'law' must be one of {', '.join(sorted(LAWS))}", "law")
    if data.get("confidence") not in CONFIDENCE:
        raise fail(f"'confidence' must be one of {', '.join(sorted(CONFIDENCE))}", "confidence")
    title = _bilingual(data.get("title"), lambda m: fail(f"'title' {m}", "title"))
    summary = _bilingual(data.get("summary"), lambda m: fail(f"'summary' {m}", "summary"))
    url = data.get("url")
    if not isinstance(url, str) or not re.match(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$", url):
        raise fail("'url' must be an https:// link", "url")
    repealed = data.get("repealed")
    if isinstance(repealed, str):
        try:
            repealed = date.fromisoformat(repealed)
        except ValueError:
            raise fail("'repealed' must be a date (YYYY-MM-DD)", "repealed") from None
    if repealed is not None and not isinstance(repealed, date):
        raise fail("'repealed' must be a date (YYYY-MM-DD)", "repealed")
    parent = data.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise fail("'parent' must be a clause id", "parent")
    lists = {
        k: _strings(data.get(k), lambda m, k=k: fail(f"'{k}' {m}", k)) for k in ("replaced_by", "aliases", "see_also")
    }
    if lists["replaced_by"] and repealed is None:
        raise fail("'replaced_by' needs 'repealed'", "replaced_by")
    if any(not u.startswith("https://") for u in lists["see_also"]):
        raise fail("'see_also' links must use https://", "see_also")
    controls = _controls(data.get("controls"), lambda m: fail(f"'controls' {m}", "controls"))
    return Clause(
        id=cid,
        law=data["law"],
        title=title,
        summary=summary,
        url=url,
        confidence=data["confidence"],
        parent=parent,
        repealed=repealed,
        replaced_by=lists["replaced_by"],
        aliases=lists["aliases"],
        see_also=lists["see_also"],
        controls=controls,
        source=node_location(name, node),
    )


def _bilingual(value: Any, fail: Any) -> dict[str, str]:
    if not isinstance(value, dict) or any(
        not isinstance(value.get(lang), str) or not value[lang].strip() for lang in LANGS
    ):
        raise fail("needs non-empty 'de' and 'en' texts")
    return {str(k): str(v).strip() for k, v in value.items()}


def _strings(value: Any, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or any(not isinstance(v, str) or not v.strip() for v in value):
        raise fail("must be a list of strings")
    return tuple(value)


def _controls(value: Any, fail: Any) -> tuple[Control, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail("must be a list")
    result = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise fail("entries need an 'id'")
        result.append(
            Control(
                id=item["id"],
                name=_bilingual(item.get("name"), fail),
                summary=_bilingual(item.get("summary"), fail),
                maps_to=_strings(item.get("maps_to"), fail),
                goals=_strings(item.get("goals"), fail),
                check_types=_strings(item.get("check_types"), fail),
            )
        )
    return tuple(result)


def parse_severity(raw: tuple[yaml.Node, Any] | None, name: str) -> dict[str, SeverityDefault]:
    if raw is None:
        return {}
    node, data = raw
    if not isinstance(data, dict):
        raise CatalogueError(f"{node_location(name, node)}: 'severity_defaults' must be a mapping")
    result = {}
    for key, value in data.items():
        where = node_location(name, _field_node(node, key))
        if not isinstance(value, dict) or value.get("severity") not in {s.value for s in Severity}:
            raise CatalogueError(
                f"{where}: severity_defaults.{key}: 'severity' must be one of {', '.join(s.value for s in Severity)}"
            )
        rationale = _bilingual(
            value.get("rationale"),
            lambda m, w=where, k=key: CatalogueError(f"{w}: severity_defaults.{k}: 'rationale' {m}"),
        )
        result[str(key)] = SeverityDefault(str(key), Severity(value["severity"]), rationale)
    return result


def clause_to_raw(clause: Clause) -> dict[str, Any]:
    raw = {k: getattr(clause, k) for k in _FIELDS if k != "controls"}
    raw.update({k: list(getattr(clause, k)) for k in ("replaced_by", "aliases", "see_also")})
    raw["controls"] = [
        {
            "id": c.id,
            "name": c.name,
            "summary": c.summary,
            "maps_to": list(c.maps_to),
            "goals": list(c.goals),
            "check_types": list(c.check_types),
        }
        for c in clause.controls
    ]
    return {k: v for k, v in raw.items() if v is not None}


def merge_entry(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Field-wise override; titles and summaries merge per language so one can be changed."""
    merged = dict(base)
    for key, value in change.items():
        if key in ("title", "summary") and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def check_references(catalogue: Catalogue) -> None:
    """Every parent, replacement and control target must exist; replacement chains must end."""
    goal_ids = {ctl.id for c in catalogue for ctl in c.controls}
    for clause in catalogue:
        refs = [("parent", r) for r in ([clause.parent] if clause.parent else [])]
        refs += [("replaced_by", r) for r in clause.replaced_by]
        refs += [(f"controls[{ctl.id}].maps_to", r) for ctl in clause.controls for r in ctl.maps_to]
        for field_name, ref in refs:
            if ref not in catalogue:
                raise CatalogueError(f"{clause.source}: clause {clause.id}: {field_name} names unknown clause {ref!r}")
        for ctl in clause.controls:
            missing = [g for g in ctl.goals if g not in goal_ids]
            if missing:
                raise CatalogueError(
                    f"{clause.source}: clause {clause.id}: control {ctl.id} names unknown goal {missing[0]!r}"
                )
        if clause.replaced_by and not catalogue.current(clause.id):
            raise CatalogueError(
                f"{clause.source}: clause {clause.id}: replaced_by chain never reaches a clause in force (cycle?)"
            )
