"""The safe loader for input files: bounds, and errors that name file and line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.safeload import (
    InputFileError,
    load_toml,
    load_yaml,
    parse_yaml,
    read_bytes,
    read_text,
)


def test_yaml_value_and_lines_of_nested_nodes() -> None:
    document = parse_yaml("x:\n  - a: 1\n  - b: [2, 3]\n", "f.yaml")
    assert document.data == {"x": [{"a": 1}, {"b": [2, 3]}]}
    assert document.line("x", 1, "b") == 3
    assert document.line("x", 7) == 2  # a missing step: the nearest node that exists (the list)
    assert parse_yaml("", "empty.yaml").data is None


def test_anchor_without_alias_is_fine_alias_is_refused_with_its_line() -> None:
    assert parse_yaml("a: &x 1\nb: 2\n", "f.yaml").data == {"a": 1, "b": 2}
    with pytest.raises(InputFileError, match=r"^f\.yaml:3: .*aliases"):
        parse_yaml("a: &x 1\nb: 2\nc: *x\n", "f.yaml")


def test_deep_nesting_and_huge_integers_are_input_errors() -> None:
    with pytest.raises(InputFileError, match="nested more than"):
        parse_yaml("[" * 5000, "deep.yaml")
    with pytest.raises(InputFileError, match=r"^big\.yaml: not valid YAML"):
        parse_yaml("n: " + "7" * 10000, "big.yaml")


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(InputFileError, match=r"^s\.yaml:3: not valid YAML"):
        parse_yaml("a: 1\nb: 2\nc: d: e\n", "s.yaml")


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as handle:
        handle.truncate(10_000)
    with pytest.raises(InputFileError, match=r"too large \(10000 bytes; the limit is 100\)"):
        read_bytes(path, max_bytes=100, kind="bundle")
    assert len(read_bytes(path, max_bytes=10_000)) == 10_000


def test_non_regular_and_missing_files(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="not a regular file"):
        read_bytes(fifo, max_bytes=100)
    with pytest.raises(InputFileError, match="not a regular file"):
        read_bytes(tmp_path, max_bytes=100)
    with pytest.raises(InputFileError, match=r"missing\.yaml: cannot read waivers file"):
        read_bytes(tmp_path / "missing.yaml", max_bytes=100, kind="waivers")


def test_bad_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputFileError, match=r"latin1\.yaml:2: not UTF-8"):
        read_text(path, max_bytes=100)
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")  # a BOM is not content
    assert load_yaml(path, kind="test").data == {"a": 1}


def test_toml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[audit]\ndomain = "example.org"\ntimeout = \n')
    with pytest.raises(InputFileError, match=r"c\.toml:3: not valid TOML"):
        load_toml(path, kind="config")
    path.write_text("[audit]\nx = " + "[" * 20000 + "\n")
    with pytest.raises(InputFileError, match=r"c\.toml(:2)?: not valid TOML"):
        load_toml(path, kind="config")
    path.write_text('[audit]\ndomain = "example.org"\n')
    assert load_toml(path, kind="config")[0] == {"audit": {"domain": "example.org"}}
