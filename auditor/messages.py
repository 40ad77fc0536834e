"""Finding sentences in the report's language: message templates as data, filled in here.

Checks say *what* they found as a :class:`~auditor.models.Message` (a key and its values);
``auditor/data/messages/<family>.yaml`` says it in English and German, side by side, so a
translator sees both and a test can hold them to the same placeholders. The runner renders
each finding's detail and evidence labels once, in the run's language, so every output
(HTML, Markdown, JSON, SARIF, JUnit, the terminal) speaks that language throughout.
"""

from __future__ import annotations

import functools
import string
from importlib import resources
from typing import Any

import yaml

from auditor.models import BY_LANGUAGE_KEY, JOIN_KEY, Message, Observation, ParamValue

LANGS = ("en", "de")


class MessageCatalogueError(ValueError):
    """A packaged message file is malformed (a test keeps this from shipping)."""


@functools.cache
def templates() -> dict[str, dict[str, str]]:
    """Every packaged message: key -> {lang: template}."""
    folder = resources.files("auditor") / "data" / "messages"
    found: dict[str, dict[str, str]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data: Any = yaml.safe_load(entry.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise MessageCatalogueError(f"data/messages/{entry.name}: expected a mapping of keys")
        for key, texts in data.items():
            if key in found:
                raise MessageCatalogueError(f"data/messages/{entry.name}: {key!r} is defined twice")
            if not isinstance(texts, dict) or set(texts) != set(LANGS):
                raise MessageCatalogueError(f"data/messages/{entry.name}: {key!r} needs exactly {', '.join(LANGS)}")
            found[str(key)] = {str(lang): str(text) for lang, text in texts.items()}
    return found


def placeholders(template: str) -> frozenset[str]:
    """The ``{name}`` fields of a template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


class _Params(dict[str, str | int | float]):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"  # a missing value shows as its name instead of sinking the report


def _value(value: ParamValue, lang: str) -> str | int | float:
    return render(value, lang) if isinstance(value, Message) else value


def render(text: str | Message, lang: str) -> str:
    """The sentence in ``lang`` (English where no translation exists); plain text as it is.

    An unknown key renders as the key with its values, never an exception: a finding must
    not be lost to a missing translation (the catalogue test catches those before release).
    """
    if isinstance(text, str):
        return text
    if text.key == BY_LANGUAGE_KEY:
        chosen = text.params.get(lang, text.params.get("en", ""))
        return str(_value(chosen, lang))
    if text.key == JOIN_KEY:
        parts = [v for k, v in text.params.items() if k != "sep"]
        return str(text.params.get("sep", "; ")).join(str(_value(p, lang)) for p in parts)
    forms = templates().get(text.key)
    if forms is None:
        shown = ", ".join(f"{k}={_value(v, lang)}" for k, v in text.params.items())
        return f"{text.key}({shown})"
    values = _Params({name: _value(value, lang) for name, value in text.params.items()})
    return (forms.get(lang) or forms["en"]).format_map(values)


def render_observation(obs: Observation, lang: str) -> Observation:
    if isinstance(obs.label, str) and isinstance(obs.value, str):
        return obs
    return Observation(render(obs.label, lang), render(obs.value, lang), obs.location)
