"""Untrusted text made safe to show: no terminal escapes, no undecodable file names.

File names on an audited host, table names in its database, a statement's sentences and
a server's replies are all chosen by someone else. Two things go wrong when they are
shown as they are:

* control characters (``ESC[2J`` clears a terminal, ``ESC[8m`` hides text, C1 codes do
  the same on some terminals, bidi overrides reorder what a reader sees) reach the
  terminal summary, CI logs and Markdown/JUnit reports;
* a file name that is not UTF-8 comes back from the OS as a string with lone surrogates,
  which no JSON encoder accepts (the evidence bundle could not be written).

So evidence is made printable once, where it leaves the collectors
(:func:`printable_tree`: surrogates and control characters become visible ``\\xNN``
escapes, so a DPO still sees that a name was odd), and every text written to a terminal,
Markdown or JUnit passes :func:`printable` (what is left is removed).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

T = TypeVar("T")

# C0 except tab/newline/carriage return, DEL, C1, and lone surrogates: never kept in evidence.
_NOT_EVIDENCE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# For output also: carriage return, and the bidi controls that reorder what a reader sees.
_NOT_SHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the raw byte the OS gave us
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_unprintable(text: str) -> str:
    """``text`` with control characters and undecodable bytes as visible ``\\xNN`` escapes
    (tab, newline and carriage return kept: config values and policies contain them)."""
    return _NOT_EVIDENCE.sub(_escape, text)


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` for a terminal, Markdown or XML: control characters, bidi overrides and lone
    surrogates removed; with ``one_line`` newlines and tabs become spaces."""
    if one_line:
        text = text.replace("\n", " ").replace("\t", " ")
    return _NOT_SHOWN.sub("", text)


def printable_tree(value: T) -> T:
    """``value`` (evidence: frozen dataclasses, tuples, lists, dicts, strings) with every
    string passed through :func:`escape_unprintable`; unchanged parts are not copied."""
    return _walk(value)  # type: ignore[no-any-return]


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return escape_unprintable(value) if _NOT_EVIDENCE.search(value) else value
    if isinstance(value, tuple | list):
        items = [_walk(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items) if not hasattr(value, "_fields") else type(value)(*items)
    if isinstance(value, dict):
        pairs = [(_walk(k), _walk(v)) for k, v in value.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items(), strict=True)):
            return value
        return type(value)(pairs)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            old = getattr(value, field.name)
            new = _walk(old)
            if new is not old:
                changes[field.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value
