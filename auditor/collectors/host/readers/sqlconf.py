"""SQL lookup files: Dovecot ``dovecot-sql.conf.ext`` and Postfix ``*sql*.cf``.

They tell the data-inventory step where the user database is (driver, host, database,
user), which table and columns hold passwords, and which hash scheme is the default.
The password in ``connect =``/``password =`` is dropped while reading, never kept.
Hand-written: both are simple ``key = value`` files with no Python library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.collectors.host.root import HostRoot
from auditor.collectors.host.secrets import is_secret_name, scrub
from auditor.evidence.settings import Setting, err

DOVECOT_SQL = "/etc/dovecot/dovecot-sql.conf.ext"
_QUERY_KEYS = ("password_query", "user_query", "iterate_query", "query")


@dataclass(frozen=True, slots=True)
class QueryShape:
    """Tables and columns a SQL query reads (best effort; aliases and functions dropped)."""

    tables: tuple[str, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SqlLookup:
    """One SQL lookup file, with the connection target but never the password."""

    path: str
    kind: str  # dovecot | postfix
    driver: str | None
    hosts: tuple[str, ...]
    dbname: str | None
    user: str | None
    port: str | None
    default_pass_scheme: Setting | None
    settings: tuple[Setting, ...]
    queries: dict[str, QueryShape]
    errors: tuple[str, ...] = ()


def _kv_lines(path: str, text: str, *, keep_secrets: bool = False) -> tuple[list[Setting], list[str]]:
    """``key = value`` lines; a trailing backslash or (Postfix) leading whitespace continues a line.

    ``keep_secrets`` (only :func:`lookup_password` sets it) keeps the password lines and values unscrubbed."""
    settings: list[Setting] = []
    errors: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i]
        i += 1
        while i < len(lines) and (line.rstrip().endswith("\\") or (lines[i][:1].isspace() and lines[i].strip())):
            line = line.rstrip().removesuffix("\\") + " " + lines[i].strip()
            i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
            errors.append(err(path, number, f"not a 'key = value' line: {stripped[:80]!r}"))
            continue
        if keep_secrets:
            settings.append(Setting(key, unquote(value.strip()), path, number))
            continue
        if is_secret_name(key):
            continue  # the password is dropped, not stored
        settings.append(Setting(key, scrub(unquote(value.strip())), path, number))
    return settings, errors


def unquote(value: str) -> str:
    """A Dovecot setting value without its enclosing quotes: ``"..."`` or ``'...'``, backslash escapes undone.

    Dovecot accepts both quote characters around a whole value (``connect = "host=db password='x y'"``);
    the quotes inside stay, they belong to the connection string.
    """
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


#: One ``key = value`` of a connection string: libpq's form (spaces around ``=`` allowed, values in
#: single quotes with ``\'`` and ``\\`` escapes), which Dovecot's MySQL and Cassandra drivers share.
_CONNECT_PAIR = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|[^\s'\"]*)")


def parse_connect(connect: str) -> dict[str, list[str]]:
    """Every field of a Dovecot SQL ``connect`` string, values unquoted; repeated keys (``host=a host=b``,
    failover for MySQL) keep all their values. Holds the password: callers drop it (see :func:`_connect_fields`)."""
    fields: dict[str, list[str]] = {}
    pos = 0
    text = unquote(connect.strip())
    while pos < len(text):
        m = _CONNECT_PAIR.match(text, pos)
        if m is None or m.end() == pos:
            nxt = text.find(" ", pos)  # an unparsable word: skip it
            pos = len(text) if nxt < 0 else nxt + 1
            continue
        fields.setdefault(m.group(1).lower(), []).append(unquote(m.group(2)))
        pos = m.end()
    return fields


def _connect_fields(connect: str) -> dict[str, str]:
    """``host``, ``dbname``, ``user``, ``port`` ... of a connect string (hosts space-joined); password dropped."""
    return {k: " ".join(v) for k, v in parse_connect(connect).items() if not is_secret_name(k)}


_SELECT = re.compile(r"\bselect\b(.*?)\bfrom\b(.*?)(?:\bwhere\b|\bgroup\b|\border\b|\blimit\b|$)", re.I | re.S)


def query_shape(query: str) -> QueryShape:
    """Columns and tables of the first ``SELECT ... FROM ...`` in a query."""
    m = _SELECT.search(query[:4096])  # real queries are short; the lazy pattern is quadratic
    if m is None:
        return QueryShape((), ())
    columns: list[str] = []
    for part in _top_level_split(m.group(1)):
        expr = re.split(r"\s+as\s+", part.strip(), flags=re.I)[0].strip()
        expr = re.sub(r"'[^']*'|\"[^\"]*\"", "", expr)
        for ident in re.findall(r"(?<![%\w])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\b(?!\s*\()", expr):
            name = ident.split(".")[-1]
            if name.upper() not in ("LOWER", "CONCAT", "NULL", "AS", "DISTINCT") and name not in columns:
                columns.append(name)
    tables: list[str] = []
    from_part = re.split(r"\bjoin\b", m.group(2), flags=re.I)
    for chunk in from_part:
        for item in _top_level_split(chunk):
            words = item.replace("`", "").split()
            if words and re.fullmatch(r"[A-Za-z_][\w.]*", words[0]) and words[0].lower() not in ("on",):
                tables.append(words[0])
    return QueryShape(tuple(dict.fromkeys(tables)), tuple(columns))


def _top_level_split(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def read_sql_lookup(root: HostRoot, path: str, kind: str) -> SqlLookup:
    """Read a Dovecot (``kind="dovecot"``) or Postfix (``kind="postfix"``) SQL lookup file."""
    got = root.read_text(path)
    if got.text is None:
        return SqlLookup(got.path, kind, None, (), None, None, None, None, (), {}, (got.error or path,))
    settings, errors = _kv_lines(got.path, got.text)
    values = {s.name: s for s in settings}
    hosts: tuple[str, ...] = ()
    dbname = user = port = driver = None
    if kind == "dovecot":
        driver = values["driver"].value if "driver" in values else None
        conn = _connect_fields(values["connect"].value) if "connect" in values else {}
        hosts = tuple(conn["host"].split()) if "host" in conn else ()
        dbname, user, port = conn.get("dbname"), conn.get("user"), conn.get("port")
        if driver == "sqlite" and "connect" in values:
            dbname = values["connect"].value.strip()  # unquoted while reading
    else:
        driver = next((d for d in ("mysql", "pgsql", "sqlite") if d in got.path.rsplit("/", 1)[-1]), None)
        hosts = tuple(h for h in re.split(r"[\s,]+", values["hosts"].value) if h) if "hosts" in values else ()
        dbname = values["dbname"].value if "dbname" in values else None
        user = values["user"].value if "user" in values else None
    scheme = values.get("default_pass_scheme") or values.get("default_password_scheme")
    queries = {k: query_shape(values[k].value) for k in _QUERY_KEYS if k in values}
    if kind == "postfix" and "query" not in values and "table" in values:
        cols = tuple(v.value for k, v in values.items() if k in ("select_field", "where_field"))
        queries["query"] = QueryShape((values["table"].value,), cols)
    return SqlLookup(got.path, kind, driver, hosts, dbname, user, port, scheme, tuple(settings), queries, tuple(errors))


def lookup_password(root: HostRoot, path: str, kind: str) -> str | None:
    """The database password a lookup file gives (Dovecot ``connect = ... password=...``, Postfix
    ``password =``), for ``--db-from-config`` only: handed to the driver, never kept in a value."""
    got = root.read_text(path)
    if got.text is None:
        return None
    values = {s.name: s.value for s in _kv_lines(got.path, got.text, keep_secrets=True)[0]}
    if kind == "dovecot":
        fields = parse_connect(values.get("connect", ""))
        found = fields.get("password") or fields.get("passwd") or []
        return found[0] if found else None
    return values.get("password")


def postfix_sql_files(root: HostRoot, referenced: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Postfix SQL map files: those main.cf/master.cf reference plus ``/etc/postfix/**/*sql*.cf``."""
    found = list(referenced)
    for pattern in ("/etc/postfix/*sql*.cf", "/etc/postfix/*/*sql*.cf", "/etc/postfix/sql/*.cf"):
        found += [p for p in root.glob(pattern) if p not in found]
    return tuple(found)
