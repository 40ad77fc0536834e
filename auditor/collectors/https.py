"""HTTPS GETs with requests that connect to the address *our* resolver returned.

``--resolver`` must govern every connection, including the MTA-STS policy fetch, or a
test or private domain could not be audited and a split-horizon setup would be probed
at the wrong host. requests has no resolver hook, so a small adapter swaps the pool's
host for the resolved address while keeping SNI, the Host header and certificate
host-name verification on the real name (urllib3's ``server_hostname`` and
``assert_hostname`` pool options exist for exactly this).
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from auditor.collectors.discovery import is_ip
from auditor.collectors.dnsclient import DnsClient
from auditor.deadline import Deadline, Watch
from auditor.evidence.network import HttpFetch

USER_AGENT = "auditor (privacy-compliance audit; +https://example.invalid/auditor)"


class _PinnedAddressAdapter(HTTPAdapter):
    """Connects to our resolver's address, and puts every socket under the fetch's deadline.

    The deadline guard is what bounds a peer that drips its TLS handshake, its headers or
    its body: urllib3's timeouts are per read, and each dripped byte restarts them.
    """

    def __init__(self, address: str, hostname: str, deadline: Deadline) -> None:
        self._address = address
        self._hostname = hostname
        self._watches: list[Watch] = []
        super().__init__(max_retries=0)
        watches = self._watches

        def guarded(base: type[HTTPConnection]) -> type[HTTPConnection]:
            def _new_conn(conn: HTTPConnection) -> socket.socket:
                sock = base._new_conn(conn)
                watches.append(deadline.watch(sock))
                return sock

            return type(f"Guarded{base.__name__}", (base,), {"_new_conn": _new_conn})

        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedPool", (HTTPConnectionPool,), {"ConnectionCls": guarded(HTTPConnection)}),
            "https": type("GuardedTlsPool", (HTTPSConnectionPool,), {"ConnectionCls": guarded(HTTPSConnection)}),
        }

    def close(self) -> None:
        super().close()
        for watch in self._watches:
            watch.cancel()

    def build_connection_pool_key_attributes(  # type: ignore[override]
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        base_host, base_pool = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params: dict[str, Any] = dict(base_host, host=self._address)
        pool_kwargs: dict[str, Any] = dict(base_pool)
        if host_params.get("scheme") == "https":
            pool_kwargs.update(server_hostname=self._hostname, assert_hostname=self._hostname)
        return host_params, pool_kwargs


def fetch(
    url: str,
    dns_client: DnsClient,
    *,
    ca_file: str | None = None,
    timeout: float = 10.0,
    max_bytes: int = 65536,
    expect_content_type: str | None = None,
    deadline: Deadline | None = None,
) -> HttpFetch:
    """GET ``url`` without following redirects; the body is cut at ``max_bytes``.

    The whole fetch (connect, handshake, headers, body) ends within ``timeout`` seconds
    and by the run's ``deadline``, whichever comes first. Certificate problems are
    classified (expired / untrusted / host name) because the findings and their
    remedies differ.
    """
    until = (deadline or Deadline()).within(timeout)
    return _get(url, dns_client, ca_file, until, max_bytes, expect_content_type, "text/plain", bytearray())


def fetch_bytes(
    url: str,
    dns_client: DnsClient,
    *,
    ca_file: str | None = None,
    timeout: float = 10.0,
    max_bytes: int = 65536,
    accept: str = "text/plain",
    deadline: Deadline | None = None,
    post: bytes | None = None,
) -> tuple[HttpFetch, bytes]:
    """:func:`fetch`, plus the body as the bytes that arrived (empty unless ``ok``): a
    document whose encoding the caller decodes itself (a privacy statement in UTF-16 or
    cp1252) must not go through the UTF-8 text kept for the evidence. With ``post`` the
    request is a POST of that XML body (Microsoft Autodiscover speaks only POST)."""
    body = bytearray()
    until = (deadline or Deadline()).within(timeout)
    result = _get(url, dns_client, ca_file, until, max_bytes, None, accept, body, post)
    return result, bytes(body) if result.ok else b""


def _get(
    url: str,
    dns_client: DnsClient,
    ca_file: str | None,
    deadline: Deadline,
    max_bytes: int,
    expect_content_type: str | None,
    accept: str,
    body: bytearray,
    post: bytes | None = None,
) -> HttpFetch:
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    # A URL may name an address (https://192.0.2.7/...): no lookup, and the certificate
    # must then carry that address (urllib3 matches IP SANs and sends no SNI for it).
    addresses, problems = ((hostname,), ()) if is_ip(hostname) else dns_client.addresses(hostname)
    if not addresses:
        reason = "; ".join(problems) or f"{hostname} has no address"
        return HttpFetch(url=url, ok=False, error_kind="dns", error=reason)
    address = addresses[0]
    session = requests.Session()
    session.trust_env = False  # an environment proxy would bypass --resolver
    adapter = _PinnedAddressAdapter(address, hostname, deadline)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    host_header = parts.netloc.rpartition("@")[2]  # keeps [v6] brackets and an explicit port
    timeout = deadline.remaining()
    try:
        if deadline.expired:
            raise requests.exceptions.Timeout("time budget exhausted before connecting")
        headers = {"Host": host_header, "User-Agent": USER_AGENT, "Accept": accept}
        if post is not None:
            headers["Content-Type"] = "text/xml; charset=utf-8"
        send = session.get if post is None else session.post
        with send(
            url,
            data=post,
            headers=headers,
            verify=ca_file or True,
            timeout=(min(5.0, timeout), timeout),  # per read; the deadline guard bounds the whole
            allow_redirects=False,
            stream=True,
        ) as response:
            content_type = response.headers.get("Content-Type")
            if response.is_redirect or 300 <= response.status_code < 400:
                return HttpFetch(
                    url=url,
                    ok=False,
                    http_status=response.status_code,
                    content_type=content_type,
                    error_kind="redirect",
                    peer_address=address,
                    redirect_to=(response.headers.get("Location") or "")[:500],
                    error=f"HTTP {response.status_code} redirect (not followed)",
                )
            # read1 returns what has arrived, so the deadline is checked after every read
            # (iter_content waits for whole 8 KB chunks: a dripping peer never ends one).
            # A response that ends at the deadline was cut by the guard, not complete.
            while (chunk := response.raw.read1(8192)) or deadline.expired:
                body.extend(chunk)
                if len(body) > max_bytes:
                    return HttpFetch(
                        url=url,
                        ok=False,
                        http_status=response.status_code,
                        content_type=content_type,
                        error_kind="too-large",
                        peer_address=address,
                        error=f"response larger than {max_bytes} bytes; not read further",
                    )
                if deadline.expired:
                    return HttpFetch(
                        url=url,
                        ok=False,
                        http_status=response.status_code,
                        error_kind="timeout",
                        peer_address=address,
                        error=f"response not complete within {timeout:.0f} s",
                    )
            text = body.decode("utf-8", "replace")
            if response.status_code != 200:
                return HttpFetch(
                    url=url,
                    ok=False,
                    http_status=response.status_code,
                    content_type=content_type,
                    error_kind="http-status",
                    peer_address=address,
                    body=text[:2000],
                    error=f"HTTP status {response.status_code}",
                )
            if expect_content_type and (content_type or "").split(";")[0].strip().lower() != expect_content_type:
                return HttpFetch(
                    url=url,
                    ok=False,
                    http_status=200,
                    content_type=content_type,
                    body=text,
                    error_kind="content-type",
                    peer_address=address,
                    error=f"Content-Type is {content_type!r}, expected {expect_content_type}",
                )
            return HttpFetch(
                url=url, ok=True, http_status=200, content_type=content_type, body=text, peer_address=address
            )
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        return _failed(url, address, parts.port or 443, exc, deadline, timeout)
    finally:
        session.close()


def _failed(url: str, address: str, port: int, exc: BaseException, deadline: Deadline, timeout: float) -> HttpFetch:
    """A fetch that raised: timed out (also when the deadline guard shut the socket
    mid-handshake or mid-body), a TLS/certificate failure, or no connection."""
    if deadline.expired or isinstance(
        exc, requests.exceptions.Timeout | urllib3.exceptions.TimeoutError | TimeoutError
    ):
        return HttpFetch(
            url=url,
            ok=False,
            error_kind="timeout",
            peer_address=address,
            error=f"{address} did not answer completely within {timeout:.0f} s",
        )
    if isinstance(exc, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        kind, reason = classify_tls_error(exc)
        return HttpFetch(url=url, ok=False, error_kind=kind, error=reason, peer_address=address)
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = f"cannot connect to {address}:{port}: {_root_message(exc)}"
        return HttpFetch(url=url, ok=False, error_kind="connect", peer_address=address, error=reason)
    return HttpFetch(url=url, ok=False, error_kind="connect", peer_address=address, error=_root_message(exc))


def classify_tls_error(exc: BaseException) -> tuple[str, str]:
    """Map the nested urllib3/ssl exception to expired / untrusted / host name / other."""
    message = _root_message(exc)
    lowered = message.lower()
    if "certificate has expired" in lowered or "certificate is not yet valid" in lowered:
        return "cert-expired", f"certificate not valid now: {message}"
    if "hostname" in lowered and ("match" in lowered or "mismatch" in lowered):
        return "cert-hostname", f"certificate does not match the host name: {message}"
    if any(
        s in lowered
        for s in (
            "unable to get local issuer",
            "self-signed",
            "self signed",
            "unknown ca",
            "unable to verify the first certificate",
        )
    ):
        return "cert-untrusted", f"certificate not issued by a trusted CA: {message}"
    if "certificate verify failed" in lowered:
        return "cert", message
    return "tls", f"TLS handshake failed: {message}"


def _root_message(exc: BaseException) -> str:
    """The innermost useful message of requests' exception chain, bounded."""
    seen: list[str] = []
    current: BaseException | None = exc
    depth = 0
    while current is not None and depth < 8:
        seen.append(str(current))
        reason = getattr(current, "reason", None)
        nxt = reason if isinstance(reason, BaseException) else None
        if nxt is None and current.args and isinstance(current.args[0], BaseException):
            nxt = current.args[0]
        current = nxt or current.__cause__ or current.__context__
        depth += 1
    best = next((s for s in reversed(seen) if s), type(exc).__name__)
    return best[:400]
