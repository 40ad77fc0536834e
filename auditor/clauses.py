"""The legal clause catalogue: GDPR, BDSG, TDDDG, guidance and rulings as reviewable data.

Findings carry clause ids, not legal prose, so a DPO can read, correct and extend the
legal mapping in ``auditor/data/clauses.yaml`` (or an override file) without touching
code. Because that file is hand-edited, every entry is validated when it is loaded and
an error names the file and line, the way a compiler would; a silently half-loaded
catalogue would put wrong legal references into audit reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from auditor.models import Severity

LAWS = frozenset({"GDPR", "BDSG", "BDSG-alt", "TDDDG", "TKG-alt", "guidance", "technical", "ruling", "decision"})
CONFIDENCE = frozenset({"confirmed", "partial", "unverified"})
LANGS = ("de", "en")
_MAX_BYTES = 2 * 1024 * 1024  # an override is small; refuse anything that is not
_ID_RE = re.compile(r"^[A-Z][A-Za-z0-9.]*(?:-[A-Za-z0-9.]+)*$")
_FIELD_NAMES = "id law title summary url parent repealed replaced_by aliases confidence see_also controls"
_FIELDS = frozenset(_FIELD_NAMES.split())


class CatalogueError(ValueError):
    """A catalogue file is unusable; the message starts with ``file:line``."""


@dataclass(frozen=True, slots=True)
class Control:
    """One control goal of a clause (§ 64(3) BDSG goals, the old § 9 Anlage controls).

    ``maps_to`` names the clauses that govern the control today and ``goals`` the
    ``BDSG-64`` goal ids it corresponds to; names are kept per language because the
    same German word meant different things in the old and the new law.
    """

    id: str
    name: dict[str, str]
    summary: dict[str, str]
    maps_to: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    check_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Clause:
    """One citable clause with bilingual title and summary and a public link."""

    id: str
    law: str
    title: dict[str, str]
    summary: dict[str, str]
    url: str
    confidence: str
    parent: str | None = None
    repealed: date | None = None
    replaced_by: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    controls: tuple[Control, ...] = ()
    source: str = ""

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]

    def summary_in(self, lang: str) -> str:
        return self.summary.get(lang) or self.summary["en"]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, as embedded in reports next to the findings."""
        return {
            "id": self.id,
            "law": self.law,
            "title": dict(self.title),
            "summary": dict(self.summary),
            "url": self.url,
            "confidence": self.confidence,
            "parent": self.parent,
            "repealed": self.repealed.isoformat() if self.repealed else None,
            "replaced_by": list(self.replaced_by),
            "aliases": list(self.aliases),
        }


@dataclass(frozen=True, slots=True)
class SeverityDefault:
    """Proposed default severity for one check type, with the reason a DPO can weigh."""

    check_type: str
    severity: Severity
    rationale: dict[str, str]


class Catalogue:
    """An immutable, validated set of clauses plus severity defaults."""

    __slots__ = ("_aliases", "_clauses", "_severity")

    def __init__(self, clauses: Mapping[str, Clause], severity_defaults: Mapping[str, SeverityDefault]) -> None:
        self._clauses = dict(clauses)
        self._severity = dict(severity_defaults)
        self._aliases: dict[str, list[str]] = {}
        for clause in self._clauses.values():
            for text in (clause.id, *clause.aliases):
                ids = self._aliases.setdefault(normalise_citation(text), [])
                if clause.id not in ids:
                    ids.append(clause.id)

    def __iter__(self) -> Iterator[Clause]:
        return iter(self._clauses.values())

    def __len__(self) -> int:
        return len(self._clauses)

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self._clauses

    def get(self, clause_id: str) -> Clause | None:
        return self._clauses.get(clause_id)

    def ids(self) -> frozenset[str]:
        return frozenset(self._clauses)

    @property
    def severity_defaults(self) -> Mapping[str, SeverityDefault]:
        return MappingProxyType(self._severity)

    def unknown_ids(self, ids: Iterable[str]) -> list[str]:
        """Ids not in the catalogue, in first-seen order: for integrity tests and mapping files."""
        return list(dict.fromkeys(i for i in ids if i not in self._clauses))

    def resolve_alias(self, text: str) -> list[Clause]:
        """Clauses a citation such as ``§9 BDSG`` or ``Art. 32(1)(a) GDPR`` refers to."""
        return [self._clauses[i] for i in self._aliases.get(normalise_citation(text), [])]

    def cited_in(self, text: str) -> list[Clause]:
        """Clauses whose aliases occur in running text (a statement sentence), in reading order."""
        tokens = normalise_citation(text).split(" ")
        hits: dict[str, int] = {}
        for alias, ids in self._aliases.items():
            pattern = alias.split(" ")
            if len(pattern) < 2:  # bare ids and single words would match prose by accident
                continue
            for start in range(len(tokens) - len(pattern) + 1):
                if tokens[start : start + len(pattern)] == pattern:
                    for cid in ids:
                        hits[cid] = min(start, hits.get(cid, start))
                    break
        return [self._clauses[cid] for cid in sorted(hits, key=lambda cid: (hits[cid], cid))]

    def current(self, clause_id: str) -> list[Clause]:
        """The clauses in force that replaced ``clause_id`` (itself if still in force)."""
        result: dict[str, Clause] = {}
        pending, seen = [clause_id], set()
        while pending:
            cid = pending.pop(0)
            clause = self._clauses.get(cid)
            if clause is None or cid in seen:
                continue
            seen.add(cid)
            if clause.repealed is None or not clause.replaced_by:
                result.setdefault(cid, clause)
            else:
                pending.extend(clause.replaced_by)
        return list(result.values())

    def controls_mapping_to(self, clause_id: str) -> list[tuple[Clause, Control]]:
        """Controls (old § 9 annex, § 64(3) goals) that now live under ``clause_id``, for report labels."""
        return [(c, ctl) for c in self._clauses.values() for ctl in c.controls if clause_id in ctl.maps_to]

    def with_override(self, path: Path) -> Catalogue:
        """A new catalogue with a DPO's file applied: new entries added, listed fields replaced."""
        raw_clauses, raw_severity = _read(path)
        merged, overridden = dict(self._clauses), set()
        for node, data in raw_clauses:
            base = merged.get(str(data.get("id"))) if isinstance(data, dict) else None
            merged_data = _merge(_clause_to_raw(base), data) if base is not None else data
            clause = _parse_clause(merged_data, node, str(path))
            if clause.id in overridden:
                raise CatalogueError(f"{clause.source}: clause id {clause.id!r} appears twice in this file")
            merged[clause.id] = clause
            overridden.add(clause.id)
        severity = dict(self._severity)
        severity.update(_parse_severity(raw_severity, str(path)))
        catalogue = Catalogue(merged, severity)
        _check_references(catalogue)
        return catalogue


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load and validate a catalogue; the packaged ``data/clauses.yaml`` by default."""
    if path is None:
        ref = resources.files("auditor").joinpath("data/clauses.yaml")
        with resources.as_file(ref) as packaged:
            return load_catalogue(Path(packaged))
    raw_clauses, raw_severity = _read(path)
    clauses: dict[str, Clause] = {}
    for node, data in raw_clauses:
        clause = _parse_clause(data, node, str(path))
        if clause.id in clauses:
            raise CatalogueError(
                f"{_where(str(path), node)}: duplicate clause id {clause.id!r} "
                f"(first defined at {clauses[clause.id].source})"
            )
        clauses[clause.id] = clause
    catalogue = Catalogue(clauses, _parse_severity(raw_severity, str(path)))
    _check_references(catalogue)
    return catalogue


# --- citation normalisation -------------------------------------------------------------

_WORD_PAIRS = """artikel=art artikels=art article=art articles=art art=art absatz=abs abs=abs litera=lit lit=lit
    buchstabe=lit point=lit nummer=nr nr=nr no=nr satz=s section=§ sec=§ paragraf=§ dsgvo=gdpr ds-gvo=gdpr
    eu-dsgvo=gdpr datenschutz-grundverordnung=gdpr bundesdatenschutzgesetz=bdsg telekommunikationsgesetz=tkg"""
_WORDS = dict(pair.split("=") for pair in _WORD_PAIRS.split())
_DROP = {"der", "des", "the", "of", "und", "and", "i", "gem", "gemäß", "nach"}


def normalise_citation(text: str) -> str:
    """Canonical token form so that ``Art. 32 Abs. 1 lit. a DSGVO`` equals ``Art. 32(1)(a) GDPR``.

    Unifies whitespace, ``§9``/``§ 9``/``Paragraph 9``, ``Art.``/``Artikel``/``Article``,
    bracketed paragraph and point numbers, ``a.F.``/``alte Fassung`` and DSGVO/GDPR.
    """
    s = text.casefold().replace("\u00a0", " ").replace("§§", "§")
    s = re.sub(r"\balte(?:r|n)?\s+fassung\b|\ba\s*\.\s*f\s*\.?(?=\s|$|[),;])|\baf\b", " af ", s)
    s = re.sub(r"(\d)\s*\(\s*(\d+)\s*\)", r"\1 abs \2 ", s)
    s = re.sub(r"(\d)\s*\(\s*(\d+)\s*\)", r"\1 abs \2 ", s)  # nested "(1)(2)" forms
    s = re.sub(r"\(\s*([a-z])\s*\)", r" lit \1 ", s)
    s = re.sub(r"§\s*", " § ", s)
    s = re.sub(r"[.,;:()\[\]\"'„“”]", " ", s)
    out: list[str] = []
    for token in s.split():
        if token in ("paragraph", "paragraphs", "para"):
            token = "abs" if "art" in out else "§"
        token = _WORDS.get(token, token)
        if token in _DROP or (out and out[-1] == token == "lit"):
            continue
        out.append(token)
    return " ".join(out)


# --- reading and validation -------------------------------------------------------------

Raw = list[tuple[yaml.Node, Any]]


def _where(path: str, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _read(path: Path) -> tuple[Raw, tuple[yaml.Node, Any] | None]:
    """Parse a catalogue file into (node, value) pairs so errors can cite lines."""
    name = str(path)
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise CatalogueError(f"{name}:1: file larger than {_MAX_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{name}:1: cannot read: {exc}") from exc
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if not isinstance(root, yaml.MappingNode):
            raise CatalogueError(f"{name}:1: expected a mapping with 'version' and 'clauses'")
        top = _mapping_items(root, name)
        version = top.get("version")
        if version is not None and loader.construct_object(version[1], deep=True) != 1:
            raise CatalogueError(f"{_where(name, version[1])}: unsupported version (expected 1)")
        unknown = set(top) - {"version", "clauses", "severity_defaults"}
        if unknown:
            key = sorted(unknown)[0]
            raise CatalogueError(f"{_where(name, top[key][0])}: unknown top-level key {key!r}")
        entries: Raw = []
        if "clauses" in top:
            seq = top["clauses"][1]
            if not isinstance(seq, yaml.SequenceNode):
                raise CatalogueError(f"{_where(name, seq)}: 'clauses' must be a list")
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
    finally:
        loader.dispose()


def _mapping_items(node: yaml.MappingNode, name: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value in items:
            raise CatalogueError(f"{_where(name, key)}: duplicate or non-text key {key.value!r}")
        items[str(key.value)] = (key, value)
    return items


def _field_node(node: yaml.Node, key: str) -> yaml.Node:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                found: yaml.Node = v
                return found
    return node


def _parse_clause(data: Any, node: yaml.Node, name: str) -> Clause:
    def fail(message: str, key: str | None = None) -> CatalogueError:
        at = _where(name, _field_node(node, key) if key else node)
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
        source=_where(name, node),
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


def _parse_severity(raw: tuple[yaml.Node, Any] | None, name: str) -> dict[str, SeverityDefault]:
    if raw is None:
        return {}
    node, data = raw
    if not isinstance(data, dict):
        raise CatalogueError(f"{_where(name, node)}: 'severity_defaults' must be a mapping")
    result = {}
    for key, value in data.items():
        where = _where(name, _field_node(node, key))
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


def _clause_to_raw(clause: Clause) -> dict[str, Any]:
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


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """Field-wise override; titles and summaries merge per language so one can be changed."""
    merged = dict(base)
    for key, value in change.items():
        if key in ("title", "summary") and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _check_references(catalogue: Catalogue) -> None:
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
