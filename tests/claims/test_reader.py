"""Reading statements: formats, language, and hostile input (binary, empty, huge, scripts)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from auditor.claims import StatementError, extract_claims, load_statement, statement_from_bytes
from auditor.claims.reader import detect_language, html_to_text

HTML = """<!DOCTYPE html><html><head><title>Datenschutz</title>
<script>document.write('Logdateien werden 999 Tage gespeichert.'); fetch('https://evil.example/')</script>
<style>p { color: red } /* Die Logdateien des Webservers werden 500 Tage gespeichert. */</style></head>
<body><h1>Datenschutzerkl&auml;rung</h1>
<p>Die Logdateien des Webservers werden <b>14&nbsp;Tage</b> gespeichert.</p>
<noscript>Zugriffsprotokolle werden 300 Tage aufbewahrt.</noscript>
<ul><li>IP-Adresse</li><li>User-Agent</li></ul>
<img src=x onerror="alert(1)"><iframe src="https://evil.example/">Server-Logs 77 Tage gespeichert.</iframe>
</body></html>"""


def test_html_drops_scripts_styles_and_keeps_visible_text() -> None:
    statement = statement_from_bytes(HTML.encode(), "https://example.org/datenschutz.html")
    assert statement.media_type == "text/html"
    assert "999" not in statement.text and "500" not in statement.text and "300" not in statement.text
    assert "77" not in statement.text and "alert" not in statement.text
    assert "Datenschutzerklärung" in statement.text
    claims = extract_claims(statement)
    assert [(c.kind, c.subject, c.period) for c in claims.claims] == [("retention", "web-access-logs", "P14D")]


def test_script_only_html_is_a_clear_error() -> None:
    page = "<html><head><script>" + "var x = 'Logs 7 Tage gespeichert';" * 1000 + "</script></head></html>"
    with pytest.raises(StatementError, match="no readable text"):
        statement_from_bytes(page.encode(), "page.html")


def test_unclosed_head_does_not_swallow_the_body() -> None:
    assert "Hallo Welt" in html_to_text("<html><head><title>x</title><body><p>Hallo Welt</p></body>")


def test_markdown_is_rendered_to_text_without_markup() -> None:
    source = (
        "# Datenschutz\n\n**Server-Logdateien** werden [sieben Tage](https://x.example) gespeichert.\n\n"
        "<script>x</script>\n"
    )
    statement = statement_from_bytes(source.encode(), "statement.md")
    assert statement.media_type == "text/markdown"
    assert "**" not in statement.text and "](" not in statement.text
    claims = extract_claims(statement)
    assert [(c.subject, c.period) for c in claims.claims] == [("web-access-logs", "P7D")]


def test_binary_input_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "statement.pdf"
    path.write_bytes(b"%PDF-1.7\n\x00\x01\x02\xff" * 1000)
    with pytest.raises(StatementError, match="binary"):
        load_statement(str(path))


@pytest.mark.parametrize("content", [b"", b"   \n\t\n"])
def test_empty_input_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(StatementError, match="empty"):
        load_statement(str(path))


def test_50_mb_file_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: no 50 MB written to disk
    with pytest.raises(StatementError, match="more than the limit"):
        load_statement(str(path))


def test_50_mb_in_memory_statement_is_rejected() -> None:
    with pytest.raises(StatementError, match="more than the limit"):
        statement_from_bytes(b"Logdateien werden 7 Tage gespeichert. " * 1_400_000, "huge.txt")


def test_millions_of_tiny_sentences_are_bounded() -> None:
    statement = statement_from_bytes(b"Ja. " * 300_000, "tiny.txt")
    started = time.perf_counter()
    claims = extract_claims(statement)
    assert time.perf_counter() - started < 20  # bounded by MAX_UNITS, not by the input
    assert claims.claims == ()
    assert claims.not_understood[-1].text.startswith("[not read: 290000 more sentences]")


def test_missing_file_and_plain_http_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StatementError, match="no such file"):
        load_statement(str(tmp_path / "nope.txt"))
    with pytest.raises(StatementError, match="only https"):
        load_statement("http://example.org/privacy")


class _FakeResponse:
    def __init__(self, chunks: list[bytes], headers: dict[str, str], status: int = 200) -> None:
        self.chunks, self.headers, self.status_code, self.is_redirect = chunks, headers, status, False
        self.raw = self  # the body is read through urllib3's response (``raw.read1``)

    def read1(self, amt: int) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""

    def __enter__(self) -> _FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _OneAddress:
    """Stands in for the scan's DnsClient: example.org resolves to one documentation address."""

    def addresses(self, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("192.0.2.80",), ()


DNS: Any = _OneAddress()


def test_https_download_is_bounded_while_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_get(session: requests.Session, method: str, url: str, **kwargs: Any) -> _FakeResponse:
        seen.update(kwargs)
        return _FakeResponse([b"x" * 65536] * 100, {"content-type": "text/plain"})

    monkeypatch.setattr(requests.Session, "request", fake_get)
    with pytest.raises(StatementError, match="more than the limit"):
        load_statement("https://example.org/privacy", ca_file="/etc/ca.pem", max_bytes=1_000_000, dns_client=DNS)
    assert seen["verify"] == "/etc/ca.pem" and seen["stream"] is True and seen["allow_redirects"] is False


def test_https_statement_is_read_as_html(monkeypatch: pytest.MonkeyPatch) -> None:
    body = b"<p>Web server access logs are kept for seven days.</p>"
    served = _FakeResponse([body], {"content-type": "text/html"})
    monkeypatch.setattr(requests.Session, "request", lambda s, method, url, **kw: served)
    statement = load_statement("https://example.org/privacy", dns_client=DNS)
    assert statement.media_type == "text/html" and statement.language == "en"
    assert [c.period for c in extract_claims(statement).claims] == ["P7D"]


def test_https_statement_keeps_its_own_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "Die Logdateien des Webservers werden für 7 Tage gespeichert.".encode("utf-16")
    served = _FakeResponse([body], {"content-type": "text/plain"})
    monkeypatch.setattr(requests.Session, "request", lambda s, method, url, **kw: served)
    statement = load_statement("https://example.org/datenschutz", dns_client=DNS)
    assert "für 7 Tage" in statement.text and statement.sha256 == hashlib.sha256(body).hexdigest()


def test_tls_failure_is_a_statement_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(session: requests.Session, method: str, url: str, **kwargs: Any) -> None:
        raise requests.exceptions.SSLError("certificate verify failed")

    monkeypatch.setattr(requests.Session, "request", fail)
    with pytest.raises(StatementError, match="certificate not valid"):
        load_statement("https://example.org/privacy", dns_client=DNS)


def test_long_text_without_punctuation_is_read_quickly() -> None:
    blob = ("gespeichert Logdateien Tage " * 200_000).encode()  # ~5.6 MB, one endless "sentence"
    statement = statement_from_bytes(blob, "blob.txt", max_bytes=6_000_000)
    claims = extract_claims(statement)
    assert claims.claims == ()


def test_language_detection() -> None:
    assert detect_language("Wir speichern die Daten nicht und geben sie nicht an Dritte.") == "de"
    assert detect_language("We do not store the data and we never share it with third parties.") == "en"
    assert detect_language("12345 !!!") == "unknown"


def test_cp1252_text_is_decoded() -> None:
    statement = statement_from_bytes(
        "Die Logdateien des Webservers werden für 7 Tage gespeichert.".encode("cp1252"), "legacy.txt"
    )
    assert "für" in statement.text


def test_soft_wrapped_markdown_and_html_paragraphs_are_one_sentence() -> None:
    """Editors wrap Markdown at ~80 columns and HTML source has line breaks inside <p>:
    neither is a sentence boundary, so the claim must be the same as for one long line."""
    sentence = (
        "Die Verbindungsdaten gesendeter und empfangener E-Mails speichern unsere Mailserver sieben Tage "
        "lang in Logdateien; danach werden sie automatisch gelöscht."
    )
    one_line = sentence
    wrapped = sentence.replace(" speichern unsere", "\nspeichern unsere").replace(" lang in", "\nlang in")
    wrapped_md = f"# Protokolle\n\n{wrapped}\n"
    wrapped_html = f"<html><body><p>{wrapped}</p></body></html>"
    expected = extract_claims(statement_from_bytes(one_line.encode(), "a.txt"))
    assert [c.period for c in expected.claims] == ["P7D"]
    for name, data in (("b.md", wrapped_md), ("c.html", wrapped_html)):
        got = extract_claims(statement_from_bytes(data.encode(), name))
        assert [(c.kind, c.subject, c.period) for c in got.claims] == [
            (c.kind, c.subject, c.period) for c in expected.claims
        ], name
        assert "\n" not in got.claims[0].quote
