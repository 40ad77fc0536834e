"""HTTPS GETs with requests that connect to the address *our* resolver returned.

``--resolver`` must govern every connection, including the MTA-STS policy fetch, or a
test or private domain could not be audited and a split-horizon setup would be probed
at the wrong host. requests has no resolver hook, so a small adapter swaps the pool's
host for the resolved address while keeping SNI, the Host header and certificate
host-name verification on the real name (urllib3's ``server_hostname`` and
``assert_hostname`` pool options exist for exactly this).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from auditor.collectors.dnsclient import DnsClient
from auditor.evidence import HttpFetch

USER_AGENT = "auditor (privacy-compliance audit; +https://example.invalid/auditor)"


class _PinnedAddressAdapter(HTTPAdapter):
    def __init__(self, address: str, hostname: str) -> None:
        self._address = address
        self._hostname = hostname
        super().__init__(max_retries=0)

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
) -> HttpFetch:
    """GET ``url`` without following redirects; the body is cut at ``max_bytes``.

    Certificate problems are classified (expired / untrusted / host name) because the
    findings and their remedies differ.
    """
    return _get(url, dns_client, ca_file, timeout, max_bytes, expect_content_type, "text/plain", bytearray())


def fetch_bytes(
    url: str, dns_client: DnsClient, *, ca_file: str | None = None, timeout: float = 10.0, max_bytes: int = 65536,
    accept: str = "text/plain",
) -> tuple[HttpFetch, bytes]:  # fmt: skip
    """:func:`fetch`, plus the body as the bytes that arrived (empty unless ``ok``): a
    document whose encoding the caller decodes itself (a privacy statement in UTF-16 or
    cp1252) must not go through the UTF-8 text kept for the evidence."""
    body = bytearray()
    result = _get(url, dns_client, ca_file, timeout, max_bytes, None, accept, body)
    return result, bytes(body) if result.ok else b""


def _get(
    url: str, dns_client: DnsClient, ca_file: str | None, timeout: float, max_bytes: int,
    expect_content_type: str | None, accept: str, body: bytearray,
) -> HttpFetch:  # fmt: skip
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    addresses, problems = dns_client.addresses(hostname)
    if not addresses:
        reason = "; ".join(problems) or f"{hostname} has no address"
        return HttpFetch(url=url, ok=False, error_kind="dns", error=reason)
    address = addresses[0]
    session = requests.Session()
    session.trust_env = False  # an environment proxy would bypass --resolver
    adapter = _PinnedAddressAdapter(address, hostname)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    host_header = hostname if parts.port is None else f"{hostname}:{parts.port}"
    started = time.monotonic()
    try:
        with session.get(
            url,
            headers={"Host": host_header, "User-Agent": USER_AGENT, "Accept": accept},
            verify=ca_file or True,
            timeout=(min(5.0, timeout), timeout),
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
            for chunk in response.iter_content(chunk_size=8192):
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
                if time.monotonic() - started > timeout:
                    return HttpFetch(
                        url=url,
                        ok=False,
                        http_status=response.status_code,
                        error_kind="timeout",
                        peer_address=address,
                        error=f"body not complete within {timeout:g} s",
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
    except requests.exceptions.SSLError as exc:
        kind, reason = classify_tls_error(exc)
        return HttpFetch(url=url, ok=False, error_kind=kind, error=reason, peer_address=address)
    except requests.exceptions.Timeout:
        return HttpFetch(
            url=url,
            ok=False,
            error_kind="timeout",
            peer_address=address,
            error=f"no answer from {address} within {timeout:g} s",
        )
    except requests.exceptions.ConnectionError as exc:
        return HttpFetch(
            url=url,
            ok=False,
            error_kind="connect",
            peer_address=address,
            error=f"cannot connect to {address}:{parts.port or 443}: {_root_message(exc)}",
        )
    except requests.exceptions.RequestException as exc:
        return HttpFetch(url=url, ok=False, error_kind="connect", peer_address=address, error=_root_message(exc))
    finally:
        session.close()


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
