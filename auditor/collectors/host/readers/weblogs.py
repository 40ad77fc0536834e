"""nginx and Apache access logging: which files, which personal fields, IP masking.

A statement that says "we do not store IP addresses" is contradicted by a
``$remote_addr``/``%h`` in an active access-log format, and upheld by an anonymising
``map`` or an ``anonip`` pipe. Hand-written tokenizers: no maintained Python library
parses these configs without pulling in a whole web stack.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from auditor.collectors.host.readers.includes import IncludingReader, logical_lines
from auditor.collectors.host.root import NOT_FOUND, HostRoot, norm
from auditor.evidence.settings import SourceRef, err

NGINX_CONF = "/etc/nginx/nginx.conf"
APACHE_CONFS = ("/etc/apache2/apache2.conf", "/etc/httpd/conf/httpd.conf")
NGINX_COMBINED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'  # noqa: E501
)
_MAX_DEPTH = 8
#: Files nginx packages ship beside nginx.conf that hold only MIME types, charset maps or upstream
#: parameters, never a log directive: a snapshot without them loses nothing about logging.
_NO_LOG_INCLUDES = frozenset(
    {
        "mime.types",
        "fastcgi_params",
        "fastcgi.conf",
        "proxy_params",
        "scgi_params",
        "uwsgi_params",
        "koi-utf",
        "koi-win",
        "win-utf",
        "fastcgi-php.conf",
        "snakeoil.conf",
    }
)

_NGINX_FIELDS = {
    "remote_addr": "ip-address",
    "binary_remote_addr": "ip-address",
    "http_x_forwarded_for": "ip-address",
    "proxy_add_x_forwarded_for": "ip-address",
    "realip_remote_addr": "ip-address",
    "http_x_real_ip": "ip-address",
    "http_user_agent": "user-agent",
    "request": "url",
    "request_uri": "url",
    "uri": "url",
    "args": "url",
    "query_string": "url",
    "http_referer": "referer",
    "remote_user": "user-name",
    "http_cookie": "cookie",
}
_APACHE_FIELDS = {
    "h": "ip-address",
    "a": "ip-address",
    "r": "url",
    "U": "url",
    "q": "url",
    "u": "user-name",
    "{user-agent}i": "user-agent",
    "{referer}i": "referer",
    "{x-forwarded-for}i": "ip-address",
    "{cookie}i": "cookie",
}
_APACHE_DEFAULT_FORMATS = {
    "common": '%h %l %u %t "%r" %>s %b',
    "combined": '%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
}


@dataclass(frozen=True, slots=True)
class AccessLog:
    """One access-log destination and the personal fields its format writes.

    ``ip_masked``: the client address is written only through an anonymising map/pipe.
    """

    server: str  # nginx | apache
    target: str
    format_name: str
    fields: tuple[str, ...]
    ip_masked: bool
    source: SourceRef
    scope: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WebLogConfig:
    access_logs: tuple[AccessLog, ...]
    formats: dict[str, str]
    files: tuple[str, ...]
    disabled: tuple[SourceRef, ...] = ()
    errors: tuple[str, ...] = ()
    #: nginx ``mail { }`` directives in file order: (name, args, where, enclosing block's opening line)
    mail: tuple[tuple[str, tuple[str, ...], SourceRef, SourceRef], ...] = ()


def nginx_fields(fmt: str, masked_vars: frozenset[str] = frozenset()) -> tuple[tuple[str, ...], bool]:
    fields: list[str] = []
    masked = False
    for var in re.findall(r"\$\{?([a-z_0-9]+)\}?", fmt):
        if var in masked_vars:
            masked = True
            cat = "ip-address (masked)"
        else:
            cat = _NGINX_FIELDS.get(var, "")
        if cat and cat not in fields:
            fields.append(cat)
    return tuple(fields), masked and "ip-address" not in fields


def apache_fields(fmt: str) -> tuple[str, ...]:
    fields: list[str] = []
    for m in re.finditer(r"%[<>!,\d]*(\{[^}]*\}[a-zA-Z]|[a-zA-Z])", fmt):
        key = m.group(1)
        cat = _APACHE_FIELDS.get(key.lower() if key.startswith("{") else key, "")
        if cat and cat not in fields:
            fields.append(cat)
    return tuple(fields)


def _nginx_tokens(text: str) -> list[tuple[str, int]]:
    tokens: list[tuple[str, int]] = []
    line, counted_to = 1, 0  # line numbers counted incrementally: linear in the file size
    for m in re.finditer(r"#[^\n]*|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[{};]|[^\s{};\"'#]+", text):
        line += text.count("\n", counted_to, m.start())
        counted_to = m.start()
        tok = m.group()
        if not tok.startswith("#"):
            tokens.append((tok, line))
    return tokens


class _Nginx(IncludingReader):
    def __init__(self, root: HostRoot) -> None:
        super().__init__(root)
        self.formats: dict[str, str] = {"combined": NGINX_COMBINED}
        self.masked: set[str] = set()
        self.raw_logs: list[tuple[str, str, SourceRef, tuple[str, ...]]] = []
        self.disabled: list[SourceRef] = []
        #: directives inside ``mail { }``: (name, args, where, innermost block's opening line)
        self.mail: list[tuple[str, tuple[str, ...], SourceRef, SourceRef]] = []
        self.blocks: list[SourceRef] = []

    def read(self, path: str, scope: list[str], depth: int) -> None:
        got = self.open_config(path)
        if got is None:
            return
        text = got.text or ""
        words: list[str] = []
        line = 0
        for tok, number in _nginx_tokens(text):
            if tok in (";", "{", "}"):
                if tok == "{":
                    ip_source = len(words) >= 3 and any(v in words[1] for v in ("remote_addr", "forwarded", "real_ip"))
                    if words and words[0] == "map" and ip_source:
                        self.masked.add(words[2].lstrip("$"))
                    scope.append(" ".join(words))
                    self.blocks.append(SourceRef(got.path, line if words else number))
                elif tok == "}":
                    if scope:
                        scope.pop()
                        del self.blocks[-1:]
                    else:
                        self.errors.append(err(got.path, number, "unbalanced '}'"))
                elif words:
                    self._directive(got.path, line, words, scope, depth)
                words = []
                continue
            if not words:
                line = number
            words.append(tok[1:-1] if tok[:1] in "\"'" else tok)

    def _directive(self, path: str, line: int, words: list[str], scope: list[str], depth: int) -> None:
        name, args = words[0], words[1:]
        if scope and scope[-1].startswith("map "):
            return
        if scope and scope[0] == "mail" and name != "include":
            self.mail.append((name, tuple(args), SourceRef(path, line), self.blocks[-1]))
        if name == "include" and args:
            if depth >= _MAX_DEPTH:
                self.errors.append(err(path, line, "includes nested too deeply"))
                return
            pattern = args[0] if args[0].startswith("/") else posixpath.join("/etc/nginx", args[0])
            targets = self.root.glob(pattern) if any(c in pattern for c in "*?[") else [norm(pattern)]
            for target in targets:
                if posixpath.basename(target) in _NO_LOG_INCLUDES and not self.root.lexists(target):
                    continue
                self.read(target, scope, depth + 1)
        elif name == "log_format" and len(args) >= 2:
            parts = [a for a in args[1:] if not a.startswith("escape=")]
            self.formats[args[0]] = "".join(parts)
        elif name == "access_log" and args:
            if args[0] == "off":
                self.disabled.append(SourceRef(path, line))
            else:
                fmt = args[1] if len(args) > 1 and "=" not in args[1] else "combined"
                self.raw_logs.append((args[0], fmt, SourceRef(path, line), tuple(scope)))


def read_nginx(root: HostRoot, conf: str = NGINX_CONF) -> WebLogConfig:
    """nginx from its main config; without one (a snapshot or configuration repository holding only the
    vhosts), from the fragments a Debian/RHEL nginx.conf would include: ``sites-enabled/*`` (or
    ``sites-available/*`` when nothing is enabled) and ``conf.d/*.conf``, in the ``http`` context, or in
    ``mail`` for a fragment of mail ``server`` blocks (``protocol imap;``)."""
    reader = _Nginx(root)
    if root.lexists(conf):
        reader.read(conf, [], 0)
    else:
        enabled = root.glob("/etc/nginx/sites-enabled/*")
        for path in (enabled or root.glob("/etc/nginx/sites-available/*")) + root.glob("/etc/nginx/conf.d/*.conf"):
            got = root.read_text(path)
            mail = got.text is not None and re.search(r"(?<![\w$])protocol\s+(smtp|imap|pop3)\s*;", got.text)
            reader.blocks.append(SourceRef(path, 0))
            reader.read(path, ["mail" if mail else "http"], 0)
            reader.blocks.pop()
        # the files such fragments include (snippets, mime.types) live beside the nginx.conf this snapshot
        # does not hold: their absence is the snapshot's shape, not a reading error
        reader.errors = [e for e in reader.errors if not e.endswith(f": {NOT_FOUND}")]
    logs: list[AccessLog] = []
    for target, fmt_name, ref, scope in reader.raw_logs:
        fmt = reader.formats.get(fmt_name)
        if fmt is None:
            reader.errors.append(err(ref.file, ref.line, f"access_log uses unknown log_format {fmt_name!r}"))
            fmt = ""
        fields, masked = nginx_fields(fmt, frozenset(reader.masked))
        logs.append(AccessLog("nginx", target, fmt_name, fields, masked, ref, scope))
    return WebLogConfig(
        tuple(logs),
        dict(reader.formats),
        tuple(reader.files),
        tuple(reader.disabled),
        tuple(reader.errors),
        tuple(reader.mail),
    )


class _Apache(IncludingReader):
    NATIVE = frozenset({"envsubst"})  # ${APACHE_LOG_DIR}: Apache's own environment variables

    def __init__(self, root: HostRoot, server_root: str) -> None:
        super().__init__(root)
        self.server_root = server_root
        self.formats = dict(_APACHE_DEFAULT_FORMATS)
        self.raw_logs: list[tuple[str, str, SourceRef, tuple[str, ...]]] = []

    def read(self, path: str, scope: list[str], depth: int) -> None:
        got = self.open_config(path)
        if got is None:
            return
        for number, line in logical_lines(got.text or "", " "):
            if line.startswith("</"):
                if scope:
                    scope.pop()
                continue
            if line.startswith("<"):
                scope.append(line.strip("<>"))
                continue
            words = re.findall(r"\"(?:\\.|[^\"\\])*\"|\S+", line)
            words = [w[1:-1] if w.startswith('"') else w for w in words]
            self._directive(got.path, number, words, scope, depth)

    def _directive(self, path: str, line: int, words: list[str], scope: list[str], depth: int) -> None:
        name = words[0].lower()
        if name in ("include", "includeoptional") and len(words) > 1:
            if depth >= _MAX_DEPTH:
                self.errors.append(err(path, line, "includes nested too deeply"))
                return
            pattern = words[1] if words[1].startswith("/") else posixpath.join(self.server_root, words[1])
            targets = self.root.glob(pattern) if any(c in pattern for c in "*?[") else [norm(pattern)]
            if self.root.is_dir(pattern):
                targets = self.root.glob(pattern.rstrip("/") + "/*")
            for target in targets:
                self.read(target, scope, depth + 1)
        elif name == "logformat" and len(words) >= 2:
            self.formats[words[2] if len(words) > 2 else "default"] = words[1]
        elif name in ("customlog", "transferlog") and len(words) >= 2:
            fmt = words[2] if name == "customlog" and len(words) > 2 else "default"
            self.raw_logs.append((words[1], fmt, SourceRef(path, line), tuple(scope)))


def read_apache(root: HostRoot, conf: str | None = None) -> WebLogConfig:
    conf = conf or next((c for c in APACHE_CONFS if root.exists(c)), APACHE_CONFS[0])
    reader = _Apache(root, posixpath.dirname(conf) if "apache2" in conf else "/etc/httpd")
    reader.read(conf, [], 0)
    env = _apache_envvars(root, posixpath.dirname(conf) + "/envvars")
    logs: list[AccessLog] = []
    for raw_target, fmt_ref, ref, scope in reader.raw_logs:
        target = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), m.group(0)), raw_target)
        fmt = reader.formats.get(fmt_ref, fmt_ref if "%" in fmt_ref else None)
        if fmt is None:
            reader.errors.append(err(ref.file, ref.line, f"CustomLog uses unknown LogFormat {fmt_ref!r}"))
            fmt = ""
        fields = apache_fields(fmt)
        masked = target.startswith("|") and "anonip" in target
        if masked:
            fields = tuple("ip-address (masked)" if f == "ip-address" else f for f in fields)
        logs.append(AccessLog("apache", target, fmt_ref, fields, masked, ref, scope))
    return WebLogConfig(tuple(logs), dict(reader.formats), tuple(reader.files), (), tuple(reader.errors))


def _apache_envvars(root: HostRoot, path: str) -> dict[str, str]:
    """``export NAME=value`` lines of Debian's ``envvars`` (``$SUFFIX`` is empty for the default instance).

    Read as data, never run: it is a shell script.
    """
    got = root.read_text(path)
    env: dict[str, str] = {}
    for line in (got.text or "").splitlines():
        m = re.match(r"^\s*export\s+(\w+)=(.*)$", line)
        if m:
            value = m.group(2).strip().strip("\"'")
            env[m.group(1)] = re.sub(r"\$\{?SUFFIX\}?", "", value)
    return env
