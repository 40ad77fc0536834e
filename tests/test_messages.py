"""Finding sentences as data: every key a check uses exists, in English and German, with the same fields."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from auditor.messages import placeholders, render, templates
from auditor.models import Message, msg

PROJECT = Path(__file__).resolve().parent.parent


def _used_keys() -> dict[str, set[str]]:
    """Literal keys of every ``msg("...", name=...)`` call in the engine and the checks, with their fields."""
    used: dict[str, set[str]] = {}
    for path in [*(PROJECT / "auditor").rglob("*.py"), *(PROJECT / "checks").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "msg"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                used.setdefault(node.args[0].value, set()).update(k.arg for k in node.keywords if k.arg)
    return used


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for key, forms in templates().items():
        assert placeholders(forms["en"]) == placeholders(forms["de"]), key


def test_every_key_used_in_code_is_in_the_catalogue_with_the_fields_given() -> None:
    catalogue = templates()
    used = _used_keys()
    assert used, "no msg() calls found"
    missing = sorted(k for k in used if k not in catalogue)
    assert missing == []
    for key, given in used.items():
        assert placeholders(catalogue[key]["en"]) <= given, f"{key}: template needs more than the call gives"


@pytest.mark.parametrize("lang", ["en", "de"])
def test_render_fills_the_template_in_the_language(lang: str) -> None:
    text = render(msg("runner.crashed", error="ValueError('x')", where=" at tls.py:3"), lang)
    assert ("check crashed" if lang == "en" else "Prüfung abgestürzt") in text and "tls.py:3" in text


def test_unknown_key_and_missing_value_never_raise() -> None:
    assert render(Message("no.such.key", {"a": 1}), "de") == "no.such.key(a=1)"
    assert "{error}" in render(Message("runner.crashed", {"where": ""}), "en")
    assert render("plain text from a plugin", "de") == "plain text from a plugin"
