"""One safe way to read every input file a user hands us: YAML, TOML and JSON.

Claims, waivers, mappings, clause overrides, the ``auditor run`` config, evidence
bundles and baselines are all untrusted in the same ways: they may be huge, a FIFO or a
device, not UTF-8, nested a million levels deep, or a YAML alias bomb (a few hundred
bytes that expand to gigabytes when constructed). So every one of them is read here:

* a size cap per kind of file, checked before and while reading (``O_NONBLOCK``, so a
  FIFO cannot hang the run; regular files only);
* strict UTF-8, the error naming the line of the first bad byte;
* YAML through PyYAML's safe loader with aliases refused and nesting bounded (anchors
  alone are harmless and allowed), on the node tree so callers can cite lines;
* TOML through :mod:`tomllib`, JSON through the caller's pydantic model;
* every failure an :class:`InputFileError` whose message names the file and, where
  there is one, the line: the CLI turns it into exit 2.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_YAML_BYTES = 4 * 1024 * 1024  # claims, waivers, mappings, clauses: hand-edited, small
MAX_TOML_BYTES = 1024 * 1024  # an ``auditor run`` config is a screenful
MAX_JSON_BYTES = 64 * 1024 * 1024  # evidence bundles and reports of a large fleet
MAX_DEPTH = 64  # no input of ours nests deeper than a handful of levels


class InputFileError(Exception):
    """An input file is unreadable or malformed; the message names file and line (exit 2)."""


def where(path: str | os.PathLike[str], line: int | None = None) -> str:
    """``file:line`` (or ``file``) for messages."""
    return f"{path}:{line}" if line else str(path)


def read_bytes(path: Path, *, max_bytes: int, kind: str = "input") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or :class:`InputFileError`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read {kind} file: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"{path}: cannot read {kind} file: not a regular file")
        if info.st_size > max_bytes:
            raise InputFileError(f"{path}: {kind} file too large ({info.st_size} bytes; the limit is {max_bytes})")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read {kind} file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise InputFileError(f"{path}: {kind} file too large (more than {max_bytes} bytes)")
    return data


def read_text(path: Path, *, max_bytes: int, kind: str = "input") -> str:
    """:func:`read_bytes` decoded as strict UTF-8 (a BOM is dropped)."""
    return decode(read_bytes(path, max_bytes=max_bytes, kind=kind), str(path))


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputFileError(f"{where(source, line)}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


class SafeYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses aliases and deep nesting while composing.

    Refusing aliases (rather than counting expansions) is what the claims format has
    always done: no input of ours needs them, and a hand-edited file is clearer without.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="YAML aliases (*name) are not accepted in input files", problem_mark=self._mark()
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=self._mark()
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _mark(self) -> yaml.Mark:
        return self.peek_event().start_mark  # type: ignore[no-untyped-call,no-any-return]


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A YAML document's value and its node tree (for line numbers); both ``None`` if empty."""

    data: Any
    root: yaml.Node | None
    source: str

    def line(self, *path: str | int) -> int | None:
        """Line of the node at ``path`` (mapping keys and list indexes), or of the nearest parent."""
        node = self.root
        found = node.start_mark.line + 1 if node is not None else None
        for step in path:
            nxt: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                nxt = next((v for k, v in node.value if k.value == step), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                nxt = node.value[step]
            if nxt is None:
                break
            node, found = nxt, nxt.start_mark.line + 1
        return found


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse one YAML document with :class:`SafeYamlLoader`; errors name ``source:line``."""
    loader = SafeYamlLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputFileError(f"{where(source, line)}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{source}: not valid YAML: {str(exc)[:200]}") from None
    except (RecursionError, ValueError, OverflowError) as exc:  # e.g. an integer of a million digits
        raise InputFileError(f"{source}: not valid YAML: {str(exc)[:200] or type(exc).__name__}") from None
    finally:
        loader.dispose()
    return YamlDocument(data, root, source)


def load_yaml(path: Path, *, kind: str, max_bytes: int = MAX_YAML_BYTES) -> YamlDocument:
    """Read and parse a YAML input file (see the module docstring for the bounds)."""
    return parse_yaml(read_text(path, max_bytes=max_bytes, kind=kind), str(path))


_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


def load_toml(path: Path, *, kind: str, max_bytes: int = MAX_TOML_BYTES) -> tuple[dict[str, Any], str]:
    """Read and parse a TOML input file: (the table, the text for line look-ups)."""
    text = read_text(path, max_bytes=max_bytes, kind=kind)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        line = int(found.group(1)) if found else None
        raise InputFileError(
            f"{where(path, line)}: not valid TOML: {_TOML_POSITION.sub('', message).strip()}"
        ) from None
    except (RecursionError, ValueError) as exc:
        raise InputFileError(f"{path}: not valid TOML: {str(exc)[:200] or type(exc).__name__}") from None


def json_error(path: Path, exc: ValueError | RecursionError, what: str) -> InputFileError:
    """A pydantic/JSON validation failure as one line naming the file (and the line for syntax errors)."""
    first = next((line for line in str(exc).splitlines()[1:3] if line.strip()), str(exc))
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            detail = errors(include_url=False)[0]
        except (IndexError, TypeError):
            detail = None
        if detail:
            location = ".".join(str(p) for p in detail.get("loc", ()))
            message = str(detail.get("msg", first))
            line = re.search(r"line (\d+)", message)
            prefix = where(path, int(line.group(1)) if line else None)
            return InputFileError(f"{prefix}: not {what}: {location + ': ' if location else ''}{message}"[:500])
    return InputFileError(f"{path}: not {what}: {first.strip()}"[:500])
