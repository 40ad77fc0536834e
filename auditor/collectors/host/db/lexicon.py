"""The column-name lexicon (``lexicon.yaml``): data categories a user-database column holds.

Kept as data so a DPO can read and extend it without touching code; validated when
loaded, with the file and rule number in every error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


class LexiconError(ValueError):
    """A lexicon file that cannot be used (names the file and rule)."""


@dataclass(frozen=True, slots=True)
class _Rule:
    category: str | None
    columns: re.Pattern[str]
    not_tables: re.Pattern[str] | None


def _norm(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


class Lexicon:
    """Ordered rules; the first whose column regex fully matches (and whose table exclusion does not) wins."""

    def __init__(self, rules: list[_Rule]) -> None:
        self._rules = rules

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """Load ``path`` or the packaged default; raise :class:`LexiconError` on any malformed entry."""
        where = str(path) if path else "auditor/collectors/host/db/lexicon.yaml"
        try:
            if path is None:
                text = resources.files("auditor.collectors.host.db").joinpath("lexicon.yaml").read_text("utf-8")
            else:
                text = path.read_text("utf-8")
            data = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise LexiconError(f"{where}: cannot load lexicon: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            raise LexiconError(f"{where}: expected a mapping with a 'rules' list")
        return cls([_rule(where, i, raw) for i, raw in enumerate(data["rules"], start=1)])

    def category(self, table: str, column: str) -> str | None:
        return self.lookup(table, column)[1]

    def lookup(self, table: str, column: str) -> tuple[bool, str | None]:
        """(a rule matched, its category): an unmatched column is unknown, a ``null`` rule says "not personal"."""
        col, tab = _norm(column), _norm(table.rsplit(".", 1)[-1])
        for rule in self._rules:
            if rule.columns.fullmatch(col) and not (rule.not_tables and rule.not_tables.fullmatch(tab)):
                return True, rule.category
        return False, None


def _rule(where: str, index: int, raw: Any) -> _Rule:
    if not isinstance(raw, dict) or "category" not in raw or not isinstance(raw.get("columns"), list):
        raise LexiconError(f"{where}: rule {index}: needs 'category' and a 'columns' list")
    category = raw["category"]
    if category is not None and not isinstance(category, str):
        raise LexiconError(f"{where}: rule {index}: 'category' must be a string or null")
    try:
        columns = re.compile("|".join(f"(?:{c})" for c in raw["columns"]))
        not_tables = re.compile(raw["not_tables"]) if raw.get("not_tables") else None
    except (re.error, TypeError) as exc:
        raise LexiconError(f"{where}: rule {index}: bad regular expression: {exc}") from None
    return _Rule(category, columns, not_tables)
