"""Read a privacy statement (file or https URL; text, Markdown or HTML) into plain text.

Statements are untrusted input: size is bounded while reading or streaming, HTML is
only parsed (never rendered, scripts and styles dropped), and every failure becomes a
:class:`StatementError` with a message a user can act on.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from auditor.collectors.dnsclient import DnsClient
from auditor.collectors.https import fetch_bytes
from auditor.deadline import Deadline

MAX_BYTES = 5_000_000


class StatementError(Exception):
    """The statement could not be read; the message says why and names the source."""


@dataclass(frozen=True, slots=True)
class StatementText:
    """The normalised text every claim offset refers to, plus where it came from."""

    source: str
    text: str
    sha256: str
    media_type: str
    language: str


_DE_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "wir",
        "werden",
        "mit",
        "von",
        "für",
        "auf",
        "den",
        "dem",
        "ein",
        "eine",
        "zu",
        "bei",
        "ihre",
        "ihr",
        "deine",
        "dich",
        "uns",
        "unsere",
        "sind",
        "wird",
        "oder",
        "auch",
        "nur",
        "nach",
        "über",
    ]
)
_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "not",
        "we",
        "of",
        "to",
        "for",
        "with",
        "on",
        "our",
        "your",
        "that",
        "this",
        "be",
        "by",
        "or",
        "as",
        "from",
        "at",
        "will",
        "it",
        "you",
        "any",
    ]
)
_WORD = re.compile(r"[a-zäöüß]+", re.IGNORECASE)


def detect_language(text: str) -> str:
    """``de``, ``en`` or ``unknown`` by counting function words (enough for two languages)."""
    de = en = 0
    for match in _WORD.finditer(text[:200_000]):
        word = match.group().lower()
        de += word in _DE_WORDS
        en += word in _EN_WORDS
    if de == en == 0:
        return "unknown"
    return "de" if de >= en else "en"


class _TextExtractor(HTMLParser):
    """HTML to text with the stdlib parser: it never fetches or executes anything.

    Hand-written on purpose: the stdlib parser is robust on broken markup, has no
    dependency, and all we need is the visible text with block boundaries as newlines.
    """

    _SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "embed", "canvas"})
    _BLOCK = frozenset(
        [
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "tr",
            "table",
            "section",
            "article",
            "header",
            "footer",
            "blockquote",
            "pre",
            "dt",
            "dd",
            "dl",
            "main",
            "nav",
            "aside",
            "hr",
            "form",
            "fieldset",
            "figure",
            "figcaption",
            "address",
            "details",
            "summary",
            "title",
        ]
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []
        self._open_pre: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and "head" in self._skipping:
            self._skipping.clear()  # an unclosed <head> must not swallow the page
        if tag == "pre":
            self._open_pre.append(tag)
        if tag in self._SKIP:
            self._skipping.append(tag)
        elif tag == "li" and not self._skipping:
            self.parts.append("\n• ")  # a list item stays recognisable as one (see segment._blocks)
        elif tag in self._BLOCK and not self._skipping:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._open_pre:
            self._open_pre.pop()
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.pop()
            return
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # In HTML a line break inside a paragraph is only white space; block
            # boundaries come from the tags. Inside <pre> the breaks are meant.
            self.parts.append(data if "pre" in self._open_pre else data.replace("\n", " "))


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def markdown_to_text(markdown: str) -> str:
    """Markdown through markdown-it (CommonMark, raw HTML disabled), then HTML to text."""
    renderer = MarkdownIt("commonmark", {"html": False})
    return html_to_text(renderer.render(markdown))


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# C0 (but tab, newline, CR, form feed), DEL, C1 and lone surrogates: terminal escapes are not text.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def normalise(text: str) -> str:
    """NFC, no invisible or control characters, single spaces, at most one blank line between blocks."""
    text = _CONTROLS.sub("", unicodedata.normalize("NFC", text).translate(_INVISIBLE))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise StatementError(f"{source}: the statement is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    sample = data[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > len(sample) // 100:
        raise StatementError(f"{source}: binary data, not a text, Markdown or HTML statement")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_HTML_SNIFF = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<meta|<div|<p[\s>]|<h[1-6][\s>])", re.IGNORECASE)


def _media_type(source: str, content_type: str | None, text: str) -> str:
    ctype = (content_type or "").split(";")[0].strip().lower()
    suffix = Path(source.split("?")[0]).suffix.lower()
    if ctype in ("text/html", "application/xhtml+xml") or suffix in (".html", ".htm", ".xhtml"):
        return "text/html"
    if ctype == "text/markdown" or suffix in (".md", ".markdown"):
        return "text/markdown"
    if _HTML_SNIFF.match(text[:1000]):
        return "text/html"
    return "text/plain"


def _fetch(
    url: str, dns_client: DnsClient, ca_file: str | None, timeout: float, max_bytes: int, deadline: Deadline | None
) -> StatementText:
    """Fetched with the scan's own HTTPS client (``--resolver`` and ``--ca-file`` apply),
    decoded from the bytes that arrived."""
    fetched, data = fetch_bytes(
        url,
        dns_client,
        ca_file=ca_file,
        timeout=timeout,
        max_bytes=max_bytes,
        accept="text/html, text/markdown;q=0.9, text/plain;q=0.8",
        deadline=deadline,
    )
    if not fetched.ok:
        kind, error = fetched.error_kind or "", fetched.error or "could not fetch"
        if kind == "redirect":
            raise StatementError(f"{url}: redirected to {fetched.redirect_to!r}; give that URL instead")
        if kind == "too-large":
            raise StatementError(f"{url}: more than the limit of {max_bytes} bytes")
        if kind.startswith("cert"):
            raise StatementError(f"{url}: TLS certificate not valid: {error}")
        raise StatementError(f"{url}: could not fetch: {error}")
    return statement_from_bytes(data, url, fetched.content_type, max_bytes=max_bytes)


def _read_file(path_text: str, max_bytes: int) -> bytes:
    path = Path(path_text)
    try:
        if not path.is_file():
            raise StatementError(f"{path_text}: no such file")
        if path.stat().st_size > max_bytes:
            raise StatementError(f"{path_text}: {path.stat().st_size} bytes, more than the limit of {max_bytes}")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise StatementError(f"{path_text}: cannot read: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise StatementError(f"{path_text}: more than the limit of {max_bytes} bytes")
    return data


def statement_from_bytes(
    data: bytes, source: str, content_type: str | None = None, *, max_bytes: int = MAX_BYTES
) -> StatementText:
    """Decode, convert (HTML/Markdown) and normalise bytes already read (at most ``max_bytes``)."""
    if len(data) > max_bytes:
        raise StatementError(f"{source}: {len(data)} bytes, more than the limit of {max_bytes}")
    raw = _decode(data, source)
    media = _media_type(source, content_type, raw)
    if media == "text/html":
        text = html_to_text(raw)
    elif media == "text/markdown":
        text = markdown_to_text(raw)
    else:
        text = raw
    text = normalise(text)
    if not text:
        raise StatementError(f"{source}: no readable text in the statement ({media})")
    digest = hashlib.sha256(data).hexdigest()
    return StatementText(source=source, text=text, sha256=digest, media_type=media, language=detect_language(text))


def load_statement(
    source: str,
    *,
    ca_file: str | None = None,
    timeout: float = 10,
    max_bytes: int = MAX_BYTES,
    dns_client: DnsClient | None = None,
    deadline: Deadline | None = None,
) -> StatementText:
    """Read a statement from a file path or an ``https://`` URL (certificate validated).

    A fetch ends after ``timeout`` seconds or at the run's ``deadline``, whichever is first.

    Raises :class:`StatementError` for plain-http URLs, network or TLS failures, inputs
    larger than ``max_bytes``, binary data and statements without readable text.
    """
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
        if not source.lower().startswith("https://"):
            raise StatementError(f"{source}: only https:// URLs are fetched (the statement must be authentic)")
        return _fetch(source, dns_client or DnsClient(), ca_file, timeout, max_bytes, deadline)
    return statement_from_bytes(_read_file(source, max_bytes), source, max_bytes=max_bytes)
