"""Client-side discovery: where mail clients are sent, and where the webmail is.

DNS (MX, SRV) names only part of a service. Clients mostly learn their servers from
Mozilla's autoconfig (``autoconfig.<domain>`` and the domain's ``.well-known`` path) or
Microsoft's Autodiscover (BSI TR-03108 tests E-13...E-20 ask that both enforce TLS), and
users reach the webmail by a name the statement or the MTA-STS host's front page gives,
or the usual ``webmail.`` / ``mail.`` names. Every endpoint found here says how (``source``) and where (``via``),
and every fetch is kept in the evidence, answered or not.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from auditor.collectors.discovery import is_ip
from auditor.collectors.dnsclient import DnsClient
from auditor.collectors.https import fetch_bytes
from auditor.deadline import Deadline
from auditor.evidence.network import Endpoint, HttpFetch

MAX_CONFIG_BYTES = 65536
MAX_PAGE_BYTES = 262144  # the MTA-STS host's front page, read for a webmail link
MAX_ENDPOINTS_PER_SOURCE = 16
FETCH_TIMEOUT_S = 8.0

#: (protocol type in the config, implicit TLS?) -> (our proto, tls mode)
_PROTOS: dict[tuple[str, bool], tuple[str, str]] = {
    ("imap", True): ("imaps", "implicit"),
    ("imap", False): ("imap", "starttls"),
    ("pop3", True): ("pop3s", "implicit"),
    ("pop3", False): ("pop3", "starttls"),
    ("smtp", True): ("submissions", "implicit"),
    ("smtp", False): ("submission", "starttls"),
}
_IMPLICIT_PORTS = frozenset({465, 993, 995})
_WEBMAIL_WORDS = re.compile(
    r"web[ -]?mail|webmailer|roundcube|sogo|rainloop|snappymail|horde|squirrelmail|web[ -]?(?:interface|client)"
    r"|weboberfl(?:ä|ae)che|webzugang",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?", re.IGNORECASE)
_NEARBY = 160  # characters around a webmail word in which a URL or host name counts
_GUESSES = ("webmail", "mail")


def autodiscover_request(address: str) -> bytes:
    """The POX request Outlook sends (outlook response schema 2006a)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
        f"<Request><EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>"
        "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
        "</AcceptableResponseSchema></Request></Autodiscover>"
    ).encode()


def _xml(text: str) -> ET.Element | None:
    """Parsed XML, or None for garbage and for any DTD/entity (defusedxml refuses them)."""
    try:
        return SafeET.fromstring(text, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException):
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(element: ET.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name.lower():
            return (child.text or "").strip()
    return ""


def parse_autoconfig(text: str, domain: str) -> list[tuple[str, int, str, str, str]]:
    """(host, port, proto, tls, note) per incoming/outgoing server of a config-v1.1.xml."""
    root = _xml(text)
    if root is None:
        return []
    found = []
    for server in root.iter():
        if _local(server.tag) not in ("incomingserver", "outgoingserver"):
            continue
        kind = (server.get("type") or "").lower()
        host = _child_text(server, "hostname").replace("%EMAILDOMAIN%", domain).lower()
        port_text = _child_text(server, "port")
        socket_type = _child_text(server, "socketType").upper()
        if not host or not port_text.isdigit() or (kind, True) not in _PROTOS:
            continue
        proto, tls = _PROTOS[(kind, socket_type == "SSL")]
        found.append((host, int(port_text), proto, tls, f"socketType {socket_type or '(none)'}"))
    return found[:MAX_ENDPOINTS_PER_SOURCE]


def parse_autodiscover(text: str) -> list[tuple[str, int, str, str, str]]:
    """(host, port, proto, tls, note) per IMAP/POP3/SMTP ``Protocol`` of an Autodiscover answer."""
    root = _xml(text)
    if root is None:
        return []
    found = []
    for protocol in root.iter():
        if _local(protocol.tag) != "protocol":
            continue
        kind = _child_text(protocol, "Type").lower()
        host = _child_text(protocol, "Server").lower()
        port_text = _child_text(protocol, "Port")
        if (kind, True) not in _PROTOS or not host or not port_text.isdigit():
            continue
        port = int(port_text)
        encryption = _child_text(protocol, "Encryption").upper()
        ssl = _child_text(protocol, "SSL").lower() != "off"
        implicit = encryption == "SSL" or (encryption in ("", "AUTO") and ssl and port in _IMPLICIT_PORTS)
        proto, tls = _PROTOS[(kind, implicit)]
        found.append((host, port, proto, tls, f"SSL {'on' if ssl else 'off'}, Encryption {encryption or '(none)'}"))
    return found[:MAX_ENDPOINTS_PER_SOURCE]


def statement_webmail_hosts(text: str, domain: str) -> list[tuple[str, str]]:
    """(host, quote) for URLs near a webmail word that point into the domain or at an address."""
    found: dict[str, str] = {}
    for word in _WEBMAIL_WORDS.finditer(text):
        start, end = max(0, word.start() - _NEARBY), min(len(text), word.end() + _NEARBY)
        window = text[start:end]
        for url in _URL.finditer(window):
            host = url.group(1).strip("[]").rstrip(".").lower()
            if _in_domain(host, domain) or is_ip(host):
                found.setdefault(host, " ".join(window.split())[:240])
    return list(found.items())[:MAX_ENDPOINTS_PER_SOURCE]


def _in_domain(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def discover_client_side(
    domain: str,
    dns: DnsClient,
    *,
    ca_file: str | None,
    deadline: Deadline,
    statement_text: str | None = None,
) -> tuple[tuple[Endpoint, ...], tuple[HttpFetch, ...]]:
    """Endpoints from autoconfig, Autodiscover, the statement and webmail names, and the fetches."""
    autoconfig_urls = [
        f"https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress=postmaster%40{domain}",
        f"https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    ]
    autodiscover_urls = [
        f"https://autodiscover.{domain}/autodiscover/autodiscover.xml",
        f"https://{domain}/autodiscover/autodiscover.xml",
    ]
    guesses = [f"{label}.{domain}" for label in _GUESSES]

    def get(
        url: str,
        post: bytes | None = None,
        accept: str = "text/xml, application/xml",
        max_bytes: int = MAX_CONFIG_BYTES,
    ) -> HttpFetch:
        result, _ = fetch_bytes(
            url,
            dns,
            ca_file=ca_file,
            timeout=FETCH_TIMEOUT_S,
            max_bytes=max_bytes,
            accept=accept,
            deadline=deadline,
            post=post,
        )
        return result

    request = autodiscover_request(f"postmaster@{domain}")
    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="clientconf") as pool:
        site = pool.submit(get, f"https://mta-sts.{domain}/", accept="text/html", max_bytes=MAX_PAGE_BYTES)
        configs = list(pool.map(get, autoconfig_urls))
        discovers = list(pool.map(lambda u: get(u, request), autodiscover_urls))
        answers = list(pool.map(lambda host: get(f"https://{host}/"), guesses))
        site_page = site.result()

    endpoints: list[Endpoint] = []

    def add(host: str, port: int, proto: str, tls: str, source: str, via: str) -> None:
        addresses, problems = ((host,), ()) if is_ip(host) else dns.addresses(host)
        endpoints.append(Endpoint(host, port, proto, tls, source, addresses, problems, via))

    for fetched in configs:
        if fetched.ok and fetched.body:
            for host, port, proto, tls, note in parse_autoconfig(fetched.body, domain):
                add(host, port, proto, tls, "autoconfig", f"{fetched.url} ({note})")
    for fetched in discovers:
        if fetched.ok and fetched.body:
            for host, port, proto, tls, note in parse_autodiscover(fetched.body):
                add(host, port, proto, tls, "autodiscover", f"{fetched.url} ({note})")
    for host, quote in statement_webmail_hosts(statement_text or "", domain):
        add(host, 443, "https", "implicit", "statement", quote)
    if site_page.ok and site_page.body:
        # The MTA-STS host's site (often a landing page of the provider): a link near a webmail
        # word that points into the domain names the webmail, as in a statement.
        for host, quote in statement_webmail_hosts(site_page.body, domain):
            add(host, 443, "https", "implicit", "mta-sts-site", quote)
    for host, fetched in zip(guesses, answers, strict=True):
        # "Answers": an HTTP status, or a TLS handshake that got as far as a certificate.
        if fetched.http_status is not None or (fetched.error_kind or "").startswith("cert"):
            add(host, 443, "https", "implicit", "name", f"https://{host}/ answered")
    return tuple(endpoints), (*configs, *discovers, *answers, site_page)


def merge_endpoints(known: Sequence[Endpoint], found: Sequence[Endpoint]) -> tuple[Endpoint, ...]:
    """Known endpoints first (their source wins), then new (host, port) pairs in order."""
    seen = {(e.host, e.port) for e in known}
    merged = list(known)
    for endpoint in found:
        if (endpoint.host, endpoint.port) not in seen:
            seen.add((endpoint.host, endpoint.port))
            merged.append(endpoint)
    return tuple(merged)


__all__ = [
    "discover_client_side",
    "merge_endpoints",
    "parse_autoconfig",
    "parse_autodiscover",
    "statement_webmail_hosts",
]
