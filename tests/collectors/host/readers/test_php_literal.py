"""The PHP literal reader: values without evaluation."""

from __future__ import annotations

from auditor.collectors.host.readers.php_literal import Expr, Parser, tokenize


def _value(src: str) -> object:
    return Parser(tokenize(src)).value()


def test_literals() -> None:
    assert _value("'a\\'b'") == "a'b"
    assert _value('"x\\ty"') == "x\ty"
    assert _value("-12") == -12 and _value("1.5") == 1.5
    assert _value("TRUE") is True and _value("null") is None
    assert _value("[1, 'a' => [2, 3], 'b' => array('c' => false)]") == {"0": 1, "a": [2, 3], "b": {"c": False}}


def test_expressions_are_kept_as_text() -> None:
    value = _value("__DIR__ . '/x' /* comment */")
    assert isinstance(value, Expr) and value.source == "__DIR__ . '/x'"


def test_token_lines_count_comments_and_strings() -> None:
    toks = tokenize("<?php\n/* a\nb */\n$x = 'multi\nline';\n$y = 1;\n")
    assert [(t.text, t.line) for t in toks if t.kind == "var"] == [("$x", 4), ("$y", 6)]
