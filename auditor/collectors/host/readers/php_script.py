"""Follow a PHP configuration the way PHP would run it, without running it.

Real configs are not one array literal: Debian's Roundcube and PostfixAdmin ``require`` a
file dbconfig-common writes (``$dbtype='sqlite3'; $basepath='...';``) and build the DSN from
those variables inside a ``switch``; Docker images ``include(__DIR__ . '/config.docker.inc.php')``;
old Roundcube sets ``log_dir = 'logs/'`` relative to its install path. This reader walks the
statements of such files in order: ``include``/``require`` of a path it can compute (literal,
``__DIR__``, ``dirname(__FILE__)``, known constants, concatenation), scalar variables,
double-quoted interpolation, and ``if``/``switch`` decided on values it knows. Anything it
cannot decide is kept as ``<expr: ...>`` (never guessed). Hand-written: no maintained Python
library parses PHP; evaluating it would execute untrusted code.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from auditor.collectors.host.readers.includes import IncludingReader
from auditor.collectors.host.readers.php_literal import MAX_TOKENS, Expr, Parser, PhpValue, Token, plain, tokenize
from auditor.collectors.host.root import HostRoot
from auditor.evidence.settings import err

MAX_INCLUDE_DEPTH = 8
MAX_NESTING = 64
#: File tests a config may branch on, answered from the host root (``file_exists('/usr/bin/doveadm')``).
_FILE_TESTS = ("file_exists", "is_file", "is_readable")
_OPEN = {"(", "[", "{"}
_PAIR = {"(": ")", "[": "]", "{": "}"}
_CLOSE = set(_PAIR.values())
_INCLUDES = ("include", "include_once", "require", "require_once")
_INTERPOLATED = re.compile(r"\{\$(\w+)\}|\$\{(\w+)\}|\$(\w+)")
_UNDECIDED = object()


@dataclass(slots=True)
class Assignment:
    """``$var['key'] = value`` (or an entry of ``$var = [...]``) with where it was written."""

    key: str
    value: PhpValue | Expr
    file: str
    line: int


@dataclass(slots=True)
class PhpRun:
    """The config keys in the order PHP would assign them, the files read and the reasons for gaps."""

    assignments: list[Assignment] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Script(IncludingReader):
    def __init__(self, root: HostRoot, names: tuple[str, ...], constants: dict[str, str]) -> None:
        super().__init__(root)
        self.names = names
        self.constants = constants
        self.variables: dict[str, PhpValue | Expr] = {}
        self.out: list[Assignment] = []

    # -- files -------------------------------------------------------------------------------
    def run_file(self, path: str, depth: int) -> None:
        got = self.open_config(path)
        if got is None:
            return
        tokens = tokenize(got.text or "")
        if len(tokens) >= MAX_TOKENS:
            self.errors.append(err(got.path, None, f"more than {MAX_TOKENS} PHP tokens; the rest is not read"))
        _File(self, got.path, tokens, depth).block(0, None)

    def include(self, path: str, line: int, target: str, depth: int, required: bool = True) -> None:
        """Read an included file; a missing one is an error for ``require`` (PHP stops there), nothing for
        ``include`` (PHP warns and goes on, as the configs that include optional local files expect)."""
        if depth >= MAX_INCLUDE_DEPTH:
            self.errors.append(err(path, line, "includes nested too deeply"))
            return
        if not target.startswith("/"):
            target = posixpath.join(posixpath.dirname(path), target)
        target = posixpath.normpath(target)
        if target in self.files:  # include_once semantics, and no loops
            return
        if not self.root.exists(target):
            if required:
                self.errors.append(err(path, line, f"required file {target} not in this root"))
            return
        self.run_file(target, depth + 1)


class _File:
    """Statements of one file (``toks``), run against the script's variables."""

    def __init__(self, script: _Script, path: str, toks: list[Token], depth: int) -> None:
        self.s = script
        self.path = path
        self.toks = toks
        self.depth = depth
        self.match = _matching(toks)
        self.nesting = 0

    def _text(self, i: int) -> str:
        return self.toks[i].text if i < len(self.toks) else ""

    def block(self, i: int, close: str | None, run: bool = True) -> int:
        """Statements from ``i`` up to ``close`` (``}``, or the end of the file); returns the index after it."""
        while i < len(self.toks):
            t = self._text(i)
            if close is not None and t == close:
                return i + 1
            i = max(i + 1, self.statement(i, run))  # a stray ')' or ']' is passed over, never looped on
        return i

    def _braces(self, i: int, run: bool) -> int:
        """The ``{...}`` block opening at ``i``; nested deeper than any config needs, it is skipped whole."""
        if self.nesting >= MAX_NESTING:
            self.s.errors.append(err(self.path, self.toks[i].line, "blocks nested too deeply; rest of block skipped"))
            close = self.match.get(i)
            return len(self.toks) if close is None else close + 1
        self.nesting += 1
        try:
            return self.block(i + 1, "}", run)
        finally:
            self.nesting -= 1

    def _skip(self, i: int) -> int:
        """Past the statement starting at ``i`` (up to ``;`` outside brackets, or a whole ``{...}``)."""
        while i < len(self.toks):
            t = self._text(i)
            if t in _OPEN:
                close = self.match.get(i)
                if close is None:
                    return len(self.toks)
                if t == "{":
                    return close + 1
                i = close + 1
                continue
            if t in _CLOSE:
                return i
            if t == ";":
                return i + 1
            i += 1
        return i

    def _body(self, i: int, run: bool) -> int:
        """An ``if``/``else`` body: a ``{...}`` block or one statement."""
        if self._text(i) == "{":
            return self._braces(i, run)
        return self.statement(i, run)

    def statement(self, i: int, run: bool) -> int:
        if i >= len(self.toks):
            return i
        tok = self.toks[i]
        low = tok.text.lower()
        if tok.kind == "word" and low in _INCLUDES:
            value, end = self.expr(i + 1)
            if run:
                if isinstance(value, str):
                    self.s.include(self.path, tok.line, value, self.depth, low.startswith("require"))
                else:
                    self.s.errors.append(err(self.path, tok.line, f"{low} of a path not known here: {value}"))
            return self._skip(end)
        if tok.kind == "word" and low == "if":
            return self._if(i, run)
        if tok.kind == "word" and low == "switch":
            return self._switch(i, run)
        if tok.kind == "var":
            return self._assign(i, run)
        if tok.text == "{":
            return self._braces(i, run)
        if tok.text in (";", "}"):
            return i + 1
        if tok.text in ("<", "?") and self._text(i + 1) in ("?", ">"):  # <?php ... ?>
            return i + (3 if self._text(i + 2).lower() == "php" else 2)
        return self._skip(i)

    def _assign(self, i: int, run: bool) -> int:
        tok = self.toks[i]
        if (
            tok.text in self.s.names
            and self._text(i + 1) == "["
            and self._text(i + 3) == "]"
            and self._text(i + 4) == "="
            and self.toks[i + 2].kind in ("sq", "dq")
        ):
            key = str(self._string(self.toks[i + 2]))
            value, end = self.expr(i + 5)
            if run:
                self.s.out.append(Assignment(key, value, self.path, tok.line))
            return self._skip(end)
        if tok.text in self.s.names and self._text(i + 1) == "=":
            value, end = self.expr(i + 2)
            if run and isinstance(value, dict):
                self._entries(i + 2, tok.line)
            return self._skip(end)
        if self._text(i + 1) == "=" and self._text(i + 2) != "=":
            value, end = self.expr(i + 2)
            if run:
                self.s.variables[tok.text] = value
            return self._skip(end)
        return self._skip(i)

    def _entries(self, i: int, line: int) -> None:
        """``$CONFIG = [ 'key' => value, ... ]``: each entry with the line of its key."""
        parser = Parser(self.toks)
        parser.pos = i + (1 if self._text(i) == "[" else 2)
        close = "]" if self._text(i) == "[" else ")"
        while (tok := parser.peek()) is not None and tok.text != close:
            if tok.text == ",":
                parser.pos += 1
                continue
            key = plain(parser.value())
            if (arrow := parser.peek()) is not None and arrow.text == "=>":
                parser.pos += 1
                self.s.out.append(Assignment(str(key), plain(parser.value()), self.path, tok.line))

    # -- control flow ------------------------------------------------------------------------
    def _paren(self, i: int) -> tuple[int, int]:
        """Indices just inside and just after the parenthesised condition starting at ``i``."""
        close = self.match.get(i) if self._text(i) == "(" else None
        return i + 1, (len(self.toks) if close is None else close + 1)

    def _if(self, i: int, run: bool) -> int:
        taken = False
        undecided = False
        while True:
            start, after = self._paren(i + 1)
            verdict = self.condition(start, after - 1) if run and not taken and not undecided else False
            if verdict is _UNDECIDED:
                undecided = True
                self.s.errors.append(
                    err(
                        self.path,
                        self.toks[i].line,
                        "condition on a value not known here: settings inside it are not read",
                    )
                )
            go = verdict is True and run and not taken
            i = self._body(after, go)
            taken = taken or go
            nxt = self._text(i).lower()
            if nxt == "elseif" or (nxt == "else" and self._text(i + 1).lower() == "if"):
                i += 1 if nxt == "elseif" else 2
                continue
            if nxt == "else":
                return self._body(i + 1, run and not taken and not undecided)
            return i

    def _switch(self, i: int, run: bool) -> int:
        start, after = self._paren(i + 1)
        subject, _ = self.expr(start)
        known = run and not isinstance(subject, Expr)
        if run and not known:
            self.s.errors.append(
                err(self.path, self.toks[i].line, "switch on a value not known here: settings inside it are not read")
            )
        if self._text(after) != "{":
            return self._skip(after)
        j, matched, done = after + 1, False, False
        while j < len(self.toks) and self._text(j) != "}":
            word = self._text(j).lower()
            if word in ("case", "default"):
                if word == "case":
                    label, j = self.expr(j + 1)
                    matched = matched or (known and not done and _loose_equal(subject, label))
                else:
                    j += 1
                    matched = matched or (known and not done and not self._case_ahead(j, subject))
                j += 1 if self._text(j) in (":", ";") else 0
                continue
            if word == "break":
                done = done or matched
                j = self._skip(j)
                continue
            j = max(j + 1, self.statement(j, matched and not done))
        return j + 1

    def _case_ahead(self, j: int, subject: PhpValue | Expr) -> bool:
        """A later ``case`` of this switch matches (``default`` then is not the branch taken)."""
        while j < len(self.toks) and self._text(j) != "}":
            t = self._text(j)
            if t in _OPEN:
                close = self.match.get(j)
                j = len(self.toks) if close is None else close + 1
                continue
            if t.lower() == "case":
                label, j = self.expr(j + 1)
                if _loose_equal(subject, label):
                    return True
                continue
            j += 1
        return False

    def condition(self, i: int, end: int) -> object:
        """True/False for a condition on known values, ``_UNDECIDED`` otherwise (``||``/``&&`` left to right)."""
        parts: list[tuple[str, int, int]] = []
        start, depth, op = i, 0, ""
        for j in range(i, end):
            t = self._text(j)
            depth += t == "("
            depth -= t == ")"
            if depth == 0 and t in ("|", "&") and self._text(j + 1) == t:
                parts.append((op, start, j))
                op, start = t, j + 2
        parts.append((op, start, end))
        result: object = None
        for op, a, b in parts:
            if op == "&" and result is False or op == "|" and result is True:
                continue
            value = self._compare(a, b)
            if value is _UNDECIDED:
                return _UNDECIDED
            result = value
        return result

    def _compare(self, i: int, end: int) -> object:
        negate = False
        while self._text(i) == "!":
            negate, i = not negate, i + 1
        word = self._text(i).lower()
        if word in ("isset", "empty") and self._text(i + 1) == "(":
            name = self._text(i + 2)
            known = name in self.s.variables and not isinstance(self.s.variables[name], Expr)
            if word == "isset":
                value: object = name in self.s.variables
            elif not known and name in self.s.variables:
                return _UNDECIDED
            else:
                value = not self.s.variables.get(name)
            return (not value) if negate else value
        left, j = self.expr(i, stop=end)
        ops = "".join(self._text(k) for k in range(j, min(j + 3, end)) if self._text(k) in "=!<>")
        if not ops:
            if isinstance(left, Expr):
                return _UNDECIDED
            return (not left) if negate else bool(left)
        right, _ = self.expr(j + len(ops), stop=end)
        if isinstance(left, Expr) or isinstance(right, Expr) or ops not in ("==", "===", "!=", "!=="):
            return _UNDECIDED
        same = left == right if ops in ("===", "!==") else _loose_equal(left, right)
        value = same if ops in ("==", "===") else not same
        return (not value) if negate else value

    # -- expressions -------------------------------------------------------------------------
    def _string(self, tok: Token) -> PhpValue | Expr:
        value = plain(Parser([tok]).value())
        if tok.kind != "dq" or not isinstance(value, str):
            return value
        missing: list[str] = []

        def sub(m: re.Match[str]) -> str:
            name = "$" + (m.group(1) or m.group(2) or m.group(3))
            got = self.s.variables.get(name)
            if got is None or isinstance(got, (Expr, list, dict)):
                missing.append(name)
                return m.group(0)
            return _php_str(got)

        text = _INTERPOLATED.sub(sub, value)
        return Expr(tok.text) if missing else text

    def expr(self, i: int, stop: int | None = None) -> tuple[PhpValue | Expr, int]:
        """A value: terms joined by ``.``; stops at ``; , ) ] =>``, a comparison or ``:`` at depth 0."""
        end = len(self.toks) if stop is None else stop
        if self._text(i) == "(" and self._closing(i) is not None:  # include("..."), (expr)
            close = self._closing(i)
            assert close is not None
            value, _ = self.expr(i + 1, close)
            return value, close + 1
        parts: list[PhpValue | Expr] = []
        start = i
        while i < end:
            term, i = self._term(i)
            parts.append(term)
            if self._text(i) != "." or i >= end:
                break
            i += 1
        if any(isinstance(p, (Expr, list, dict)) for p in parts) and len(parts) > 1:
            return Expr(" ".join(t.text for t in self.toks[start:i])), i
        if len(parts) == 1:
            return parts[0], i
        return "".join(_php_str(p) for p in parts), i

    def _closing(self, i: int) -> int | None:
        return self.match.get(i) if self._text(i) == "(" else None

    def _term(self, i: int) -> tuple[PhpValue | Expr, int]:
        tok = self.toks[i] if i < len(self.toks) else Token("other", "", 0)
        up = tok.text.upper()
        if tok.kind in ("sq", "dq"):
            return self._string(tok), i + 1
        if tok.kind == "var":
            got = self.s.variables.get(tok.text)
            return (got if got is not None or tok.text in self.s.variables else Expr(tok.text)), i + 1
        if up == "__DIR__":
            return posixpath.dirname(self.path), i + 1
        if up == "__FILE__":
            return self.path, i + 1
        if tok.text == "@":  # the error-silencing operator changes no value
            return self._term(i + 1)
        if tok.text.lower() in _FILE_TESTS and self._text(i + 1) == "(":
            close = self._closing(i + 1)
            inner, _ = self.expr(i + 2, close)
            after = (close or i) + 1
            return (
                self.s.root.exists(inner)
                if isinstance(inner, str) and inner.startswith("/")
                else Expr(f"{tok.text}(...)")
            ), after
        if tok.text.lower() == "dirname" and self._text(i + 1) == "(":
            close = self._closing(i + 1)
            inner, _ = self.expr(i + 2, close)
            after = (close or i) + 1
            return (posixpath.dirname(inner) if isinstance(inner, str) else Expr("dirname(...)")), after
        if tok.kind == "word" and tok.text in self.s.constants:
            return self.s.constants[tok.text], i + 1
        parser = Parser(self.toks)
        parser.pos = i
        value = parser._atom()  # noqa: SLF001 - the literal reader's own atom (strings, numbers, arrays)
        return value, max(parser.pos, i + 1)


def _matching(toks: list[Token]) -> dict[int, int]:
    """Index of the closing bracket for every opening one, in one pass (unbalanced ones left out)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, tok in enumerate(toks):
        if tok.text in _OPEN:
            stack.append(i)
        elif tok.text in _CLOSE:
            while stack and _PAIR[toks[stack[-1]].text] != tok.text:
                stack.pop()  # a bracket never closed: drop it, keep matching the rest
            if stack:
                pairs[stack.pop()] = i
    return pairs


def _php_str(value: PhpValue | Expr) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _loose_equal(a: PhpValue | Expr, b: PhpValue | Expr) -> bool:
    """PHP 8 ``==`` for the scalars configs compare (strings with numbers compare as numbers when numeric)."""
    if isinstance(a, Expr) or isinstance(b, Expr):
        return False
    if isinstance(a, (int, float)) and isinstance(b, str) or isinstance(b, (int, float)) and isinstance(a, str):
        try:
            return float(a) == float(b)
        except ValueError:
            return str(a) == str(b)
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return bool(a) == bool(b)
    return a == b


def run_php_config(
    root: HostRoot, paths: tuple[str, ...], names: tuple[str, ...], constants: dict[str, str] | None = None
) -> PhpRun:
    """Run ``paths`` in order (later files override earlier ones), following their includes.

    ``names``: the config array's names (``$config`` and Roundcube 0.x's ``$rcmail_config``, ``$CONF``,
    ``$CONFIG``); ``constants``: values of the
    constants the application defines before loading its config (e.g. its install path)."""
    script = _Script(root, names, constants or {})
    for path in paths:
        if path not in script.files:  # already required by an earlier one (PostfixAdmin's config.local.php)
            script.run_file(path, 0)
    return PhpRun(script.out, script.files, script.errors)
