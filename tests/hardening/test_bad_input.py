"""Bad input: config readers and the statement reader never crash, never hang.

Property tests (hypothesis) feed every host config reader and the statement reader
random bytes, truncated and mutated real files, deep nesting and 1 MB lines. Each call
must return its result (problems in ``errors``; ``StatementError`` for the statement)
within a time bound and raise nothing else. Real files come from tests/fixtures/hostroot.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from auditor.claims import StatementError, extract_claims, statement_from_bytes
from auditor.collectors.host.collect import collect_host
from auditor.collectors.host.readers.backups import read_backups
from auditor.collectors.host.readers.dovecot import read_dovecot
from auditor.collectors.host.readers.journald import read_journald
from auditor.collectors.host.readers.logrotate import read_logrotate
from auditor.collectors.host.readers.postfix import read_postfix
from auditor.collectors.host.readers.rsyslog import read_rsyslog
from auditor.collectors.host.readers.sqlconf import read_sql_lookup
from auditor.collectors.host.readers.webapps import read_nextcloud, read_roundcube
from auditor.collectors.host.readers.weblogs import read_apache, read_nginx
from auditor.collectors.host.root import HostRoot
from auditor.evidence.claims import ClaimSet

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hostroot"
STATEMENTS = Path(__file__).resolve().parents[1] / "lab" / "statement"
CALL_BOUND_S = 10.0  # one reader call on at most ~1 MB of input, on a busy CI core
# No shrinking: a failing example is reported as found, so one hanging reader costs one bound, not dozens.
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MB = 1024 * 1024


def _sql(root: HostRoot) -> Any:
    return read_sql_lookup(root, "/etc/dovecot/dovecot-sql.conf.ext", "dovecot")


# reader name -> (file it reads, call, nesting template (open, close) for deep nesting)
READERS: dict[str, tuple[str, Callable[[HostRoot], Any], tuple[str, str]]] = {
    "postfix-main": ("etc/postfix/main.cf", read_postfix, ("a = ${b:{c ", "}}\n")),
    "postfix-master": ("etc/postfix/master.cf", read_postfix, ("smtp inet n - y - - smtpd -o a=${x:", "}\n")),
    "dovecot": ("etc/dovecot/dovecot.conf", read_dovecot, ("protocol imap {\n", "}\n")),
    "dovecot-sql": ("etc/dovecot/dovecot-sql.conf.ext", _sql, ("password_query = SELECT (", ")\n")),
    "logrotate": ("etc/logrotate.conf", read_logrotate, ("/var/log/a.log {\n", "}\n")),
    "rsyslog": ("etc/rsyslog.conf", read_rsyslog, ("if $programname == 'x' then {\n", "}\n")),
    "journald": ("etc/systemd/journald.conf", read_journald, ("[Journal", "]\n")),
    "nginx": ("etc/nginx/nginx.conf", read_nginx, ("http { server { location / {\n", "}}}\n")),
    "apache": ("etc/apache2/apache2.conf", read_apache, ("<VirtualHost *:80>\n", "</VirtualHost>\n")),
    "roundcube": ("etc/roundcube/config.inc.php", read_roundcube, ("$config['a'] = array(", ");\n")),
    "nextcloud": ("var/www/nextcloud/config/config.php", read_nextcloud, ("array('a' => array(", "));\n")),
    "borgmatic": ("etc/borgmatic/config.yaml", read_backups, ("- [", "]\n")),
    "rsnapshot": ("etc/rsnapshot.conf", read_backups, ("retain\tdaily\t", "\n")),
}


def _real(rel: str) -> bytes:
    path = FIXTURES / rel
    return path.read_bytes() if path.is_file() else b""


def _check(result: Any, name: str) -> None:
    errors = getattr(result, "errors", ())
    assert isinstance(errors, (tuple, list)), f"{name}: errors is {type(errors).__name__}"
    assert all(isinstance(e, str) for e in errors)


def _child(name: str, tmp: str, conn: Any) -> None:
    try:
        result = READERS[name][1](HostRoot(tmp))
        _check(result, name)
        conn.send("ok")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        conn.send(f"{type(exc).__name__}: {str(exc)[:300]}")


def bounded(target: Callable[..., None], *args: Any, limit: float = CALL_BOUND_S) -> tuple[str, float]:
    """Run ``target(*args, conn)`` in a forked child; kill it after ``limit`` seconds.

    A reader stuck in a regular expression cannot be interrupted in-process, so the bound
    is enforced from outside and the suite's run time stays bounded even when one hangs.
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(*args, child), daemon=True)
    started = time.monotonic()
    proc.start()
    child.close()
    outcome = parent.recv() if parent.poll(limit) else f"still running after {limit:g} s (killed)"
    elapsed = time.monotonic() - started
    proc.kill()
    proc.join(5)
    return outcome, elapsed


def _run(name: str, data: bytes) -> None:
    rel = READERS[name][0]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / rel
        target.parent.mkdir(parents=True)
        target.write_bytes(data)
        if name == "postfix-master":
            (Path(tmp) / "etc/postfix/main.cf").write_bytes(_real("etc/postfix/main.cf"))
        outcome, elapsed = bounded(_child, name, tmp)
    assert outcome == "ok", f"{name} on {len(data)} bytes ({data[:60]!r}...): {outcome}"
    assert elapsed < CALL_BOUND_S, f"{name}: {elapsed:.1f} s on {len(data)} bytes"


def _content(name: str) -> st.SearchStrategy[bytes]:
    rel, _, (open_, close) = READERS[name]
    real = _real(rel)
    truncated = st.integers(0, max(len(real), 1)).map(lambda n: real[:n])
    mutated = st.tuples(st.integers(0, max(len(real), 1)), st.binary(min_size=1, max_size=64)).map(
        lambda t: real[: t[0]] + t[1] + real[t[0] :]
    )
    nested = st.integers(50, 3000).map(lambda depth: (open_ * depth + close * (depth // 2)).encode())
    long_line = st.sampled_from([b"x", b"{", b"$", b"(", b"'", b"\\", b"#"]).map(
        lambda ch: real[: len(real) // 2] + ch * MB + b"\n" + real[len(real) // 2 :]
    )
    return st.one_of(st.binary(max_size=4096), truncated, mutated, nested, long_line)


@pytest.mark.parametrize("name", list(READERS))
def test_config_reader_survives_bad_input(name: str) -> None:
    @SETTINGS
    @given(data=_content(name))
    def prop(data: bytes) -> None:
        _run(name, data)

    prop()


@pytest.mark.parametrize("name", list(READERS))
def test_config_reader_survives_deepest_nesting(name: str) -> None:
    """The worst case outright (not left to chance): 20 000 levels, then 1 MB of one character."""
    _, _, (open_, close) = READERS[name]
    _run(name, (open_ * 20000 + close * 3).encode())


# ---------------------------------------------------------------- statements


def _statement_sources() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(STATEMENTS.glob("*.md"))]


def _statement(data: bytes, name: str, ctype: str | None) -> ClaimSet | None:
    """The claims read from ``data``, or None when the reader refused it with a StatementError.

    Whatever comes out must point into the text it came from: every quote and every
    not-understood sentence is exactly the text at its offsets (never invented).
    """
    started = time.monotonic()
    try:
        text = statement_from_bytes(data, name, ctype)
        claims = extract_claims(text)
    except StatementError as exc:
        assert name in str(exc), f"the message must name the source: {exc}"
        return None
    except Exception as exc:
        raise AssertionError(f"statement {name} ({ctype}) raised {type(exc).__name__}: {str(exc)[:300]}") from exc
    elapsed = time.monotonic() - started
    assert elapsed < 20.0, f"statement of {len(data)} bytes took {elapsed:.1f} s"
    for claim in claims.claims:
        assert text.text[claim.start : claim.end] == claim.quote, claim
    for span in claims.not_understood:
        assert span.text.startswith("[not read:") or text.text[span.start : span.end] == span.text, span
    return claims


STATEMENT_BYTES = st.one_of(
    st.binary(max_size=4096),
    st.sampled_from(_statement_sources()).flatmap(lambda src: st.integers(0, len(src[1])).map(lambda n: src[1][:n])),
    st.integers(100, 5000).map(lambda d: ("<div>" * d + "Logs sieben Tage" + "</div>" * (d // 3)).encode()),
    st.integers(100, 5000).map(lambda d: ("> " * d + "- " * d + "Logs 7 Tage\n").encode()),
    st.sampled_from([b"a", b"7 ", b"Tage ", b"<", b"*"]).map(lambda ch: ch * (MB // len(ch))),
)


@SETTINGS
@given(
    data=STATEMENT_BYTES,
    kind=st.sampled_from(
        [("s.md", None), ("s.html", "text/html"), ("s.txt", "text/plain"), ("s", "application/octet-stream")]
    ),
)
def test_statement_reader_survives_bad_input(data: bytes, kind: tuple[str, str | None]) -> None:
    _statement(data, *kind)


def test_statement_reader_survives_the_worst_cases() -> None:
    for data in (
        b"\xff\xfe" + "Logs sieben Tage".encode("utf-16-le"),
        b"\x00" * MB,
        "\u202e".encode() * 200000,
        b"<" * MB,
        ("<b>" * 100000).encode(),
        ("sieben Tage " * 90000).encode(),
    ):
        for name, ctype in (("s.html", "text/html"), ("s.md", None)):
            _statement(data, name, ctype)
    # Well-formed but odd input is read, not refused: a UTF-16 statement with a BOM and
    # one buried in markup both give their retention claim.
    sentence = "Die Logdateien des Webservers werden sieben Tage gespeichert."
    readable = (
        (b"\xff\xfe" + sentence.encode("utf-16-le"), "s.txt", None),
        (("<div>" * 3000 + sentence + "</div>" * 3000).encode(), "s.html", "text/html"),
    )
    for data, name, ctype in readable:
        claims = _statement(data, name, ctype)
        assert claims is not None and [c.period for c in claims.claims if c.kind == "retention"] == ["P7D"], name


# ---------------------------------------------------------------- a whole fuzzed host root


@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(payloads=st.lists(st.binary(max_size=2048), min_size=len(READERS), max_size=len(READERS)))
def test_host_collector_survives_a_root_of_garbage(payloads: list[bytes]) -> None:
    from datetime import UTC, datetime

    with tempfile.TemporaryDirectory() as tmp:
        for (rel, _, _), data in zip(READERS.values(), payloads, strict=True):
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        started = time.monotonic()
        evidence = collect_host(Path(tmp), collected_at=datetime.now(UTC), timeout=20)
        assert time.monotonic() - started < 30
    assert evidence.root
    # Every complaint names the file it is about (and its line where it has one).
    assert all(e.message.startswith("/") for e in evidence.errors), [e.message[:80] for e in evidence.errors]
