"""Read literal values out of PHP config files without ever evaluating PHP.

Roundcube and Nextcloud/ownCloud configs are PHP; running them would execute untrusted
code, so this is a small tokenizer that understands only literals (strings, numbers,
booleans, null, arrays) and records anything else (constants, concatenations, calls) as
its source text. Hand-written: no maintained Python library parses PHP arrays safely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PhpValue = str | int | float | bool | None | list["PhpValue"] | dict[str, "PhpValue"]

_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>//[^\n]*|\#[^\n]*|/\*.*?\*/)
    |(?P<sq>'(?:\\.|[^'\\])*')|(?P<dq>"(?:\\.|[^"\\])*")
    |(?P<num>-?\d+(?:\.\d+)?)|(?P<arrow>=>)|(?P<op>[\[\](){},;=.])
    |(?P<var>\$[A-Za-z_]\w*)|(?P<word>\\?[A-Za-z_][\w\\]*)|(?P<other>.)""",
    re.S | re.X,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Expr:
    """An expression we do not evaluate (constant, concatenation, call): kept as its source text."""

    source: str


#: Tokens read from one file at most: a real config has a few ten thousand; past this the rest is not read.
MAX_TOKENS = 200_000


def tokenize(text: str, max_tokens: int = MAX_TOKENS) -> list[Token]:
    tokens: list[Token] = []
    line = 1
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind not in ("ws", "comment"):
            if len(tokens) >= max_tokens:
                break
            tokens.append(Token(kind, m.group(), line))
        line += m.group().count("\n")
    return tokens


def _string(tok: Token) -> str:
    body = tok.text[1:-1]
    if tok.kind == "sq":
        return body.replace("\\'", "'").replace("\\\\", "\\")
    return re.sub(r"\\([nrt\\\"$])", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1), m.group(1)), body)


class Parser:
    """Recursive-descent reader of PHP literal expressions over a token list."""

    def __init__(self, tokens: list[Token], max_items: int = 10000, max_depth: int = 64) -> None:
        self.toks = tokens
        self.pos = 0
        self.budget = max_items
        self.depth_left = max_depth

    def peek(self, offset: int = 0) -> Token | None:
        i = self.pos + offset
        return self.toks[i] if i < len(self.toks) else None

    def value(self) -> PhpValue | Expr:
        """Parse one expression up to ``,``, ``;``, ``)`` or ``]`` at depth 0."""
        start = self.pos
        first = self._atom()
        tok = self.peek()
        if tok is not None and tok.text not in (",", ";", ")", "]", "=>"):
            self._skip_expr()
            return Expr(" ".join(t.text for t in self.toks[start : self.pos]))
        return first

    def _skip_expr(self) -> None:
        depth = 0
        while (tok := self.peek()) is not None:
            if tok.text in "([{":
                depth += 1
            elif tok.text in ")]}":
                if depth == 0:
                    return
                depth -= 1
            elif tok.text in (",", ";", "=>") and depth == 0:
                return
            self.pos += 1

    def _atom(self) -> PhpValue | Expr:
        self.budget -= 1
        tok = self.peek()
        if tok is None or self.budget < 0:
            return Expr("")
        if tok.kind in ("sq", "dq"):
            self.pos += 1
            return _string(tok)
        if tok.kind == "num":
            self.pos += 1
            return float(tok.text) if "." in tok.text else int(tok.text)
        low = tok.text.lower()
        if low in ("true", "false", "null"):
            self.pos += 1
            return {"true": True, "false": False, "null": None}[low]
        if tok.text == "[" or (low == "array" and (n := self.peek(1)) is not None and n.text == "("):
            return self._array()
        start = self.pos
        self._skip_expr()
        if self.pos == start:
            self.pos += 1
        return Expr(" ".join(t.text for t in self.toks[start : self.pos]))

    def _array(self) -> PhpValue | Expr:
        if self.depth_left <= 0:  # nested deeper than any config: kept as an expression, never recursed into
            start = self.pos
            self.pos += 1
            self._skip_expr()
            return Expr(f"<array nested too deeply at line {self.toks[start].line}>")
        self.depth_left -= 1
        try:
            return self._array_items()
        finally:
            self.depth_left += 1

    def _array_items(self) -> PhpValue:
        close = "]" if self.peek() and self.peek().text == "[" else ")"  # type: ignore[union-attr]
        self.pos += 1 if close == "]" else 2
        items: list[tuple[PhpValue | Expr | None, PhpValue | Expr]] = []
        while (tok := self.peek()) is not None and tok.text != close:
            if tok.text == ",":
                self.pos += 1
                continue
            first = self.value()
            nxt = self.peek()
            if nxt is not None and nxt.text == "=>":
                self.pos += 1
                items.append((first, self.value()))
            else:
                items.append((None, first))
        self.pos += 1
        if all(k is None for k, _ in items):
            return [plain(v) for _, v in items]
        out: dict[str, PhpValue] = {}
        for idx, (k, v) in enumerate(items):
            out[str(plain(k)) if k is not None else str(idx)] = plain(v)
        return out


def plain(value: PhpValue | Expr | None) -> PhpValue:
    """Expressions become their source text, marked so nobody mistakes them for a literal."""
    return f"<expr: {value.source}>" if isinstance(value, Expr) else value
