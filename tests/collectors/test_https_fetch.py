"""The HTTPS client on a local server: URLs that name an IP address need no DNS lookup."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.collectors.https import fetch
from tests.collectors.conftest import write_self_signed

IP = "127.0.9.44"


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = f"host={self.headers.get('Host')}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert, key = write_self_signed(tmp_path, IP, ec.generate_private_key(ec.SECP256R1()), days=30, ca=True)
    httpd = ThreadingHTTPServer((IP, 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], cert
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_ip_literal_url_is_fetched_without_a_lookup(server: tuple[int, Path]) -> None:
    port, cert = server
    # A resolver where nothing listens: any lookup would fail with a DNS error.
    dead_dns = DnsClient(ResolverSpec.parse("127.0.9.45:5353"), timeout=0.5, lifetime=1.0)
    result = fetch(f"https://{IP}:{port}/statement.txt", dead_dns, ca_file=str(cert), timeout=10)
    assert result.ok, result
    assert result.body == f"host={IP}:{port}", result.body
