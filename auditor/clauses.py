"""The legal clause catalogue: GDPR, BDSG, TDDDG, guidance and rulings as reviewable data.

Findings carry clause ids, not legal prose, so a DPO can read, correct and extend the
legal mapping in ``auditor/data/clauses.yaml`` (or an override file) without touching
code. Because that file is hand-edited, every entry is validated when it is loaded and
an error names the file and line, the way a compiler would; a silently half-loaded
catalogue would put wrong legal references into audit reports.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from auditor.clause_model import (
    CONFIDENCE,
    LANGS,
    LAWS,
    CatalogueError,
    Clause,
    Control,
    SeverityDefault,
)
from auditor.clause_yaml import (
    check_references,
    clause_to_raw,
    merge_entry,
    node_location,
    parse_clause,
    parse_severity,
    read_catalogue_file,
)

__all__ = [
    "CONFIDENCE",
    "LANGS",
    "LAWS",
    "Catalogue",
    "CatalogueError",
    "Clause",
    "Control",
    "SeverityDefault",
    "load_catalogue",
    "packaged_catalogue",
    "normalise_citation",
]


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
        raw_clauses, raw_severity = read_catalogue_file(path)
        merged, overridden = dict(self._clauses), set()
        for node, data in raw_clauses:
            base = merged.get(str(data.get("id"))) if isinstance(data, dict) else None
            merged_data = merge_entry(clause_to_raw(base), data) if base is not None else data
            clause = parse_clause(merged_data, node, str(path))
            if clause.id in overridden:
                raise CatalogueError(f"{clause.source}: clause id {clause.id!r} appears twice in this file")
            merged[clause.id] = clause
            overridden.add(clause.id)
        severity = dict(self._severity)
        severity.update(parse_severity(raw_severity, str(path)))
        catalogue = Catalogue(merged, severity)
        check_references(catalogue)
        return catalogue


@functools.cache
def packaged_catalogue() -> Catalogue:
    """The packaged catalogue, loaded once per process (it is immutable)."""
    return load_catalogue()


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load and validate a catalogue; the packaged ``data/clauses.yaml`` by default."""
    if path is None:
        ref = resources.files("auditor").joinpath("data/clauses.yaml")
        with resources.as_file(ref) as packaged:
            return load_catalogue(Path(packaged))
    raw_clauses, raw_severity = read_catalogue_file(path)
    clauses: dict[str, Clause] = {}
    for node, data in raw_clauses:
        clause = parse_clause(data, node, str(path))
        if clause.id in clauses:
            raise CatalogueError(
                f"{node_location(str(path), node)}: duplicate clause id {clause.id!r} "
                f"(first defined at {clauses[clause.id].source})"
            )
        clauses[clause.id] = clause
    catalogue = Catalogue(clauses, parse_severity(raw_severity, str(path)))
    check_references(catalogue)
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
