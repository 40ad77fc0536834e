"""Fixtures for collector tests. Shared file: dialog fixtures carry a ``dialog_`` prefix."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

DialogHandler = Callable[[socket.socket], None]


class DialogServer:
    """A tiny scripted TCP server on 127.0.0.1: one thread per connection runs ``handler``.

    It counts the connections it accepted, so tests can assert how many were made.
    """

    def __init__(self, handler: DialogHandler, ip: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(16)
        self.ip, self.port = self.sock.getsockname()
        self.connections = 0
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with self._lock:
            self.connections += 1
        try:
            conn.settimeout(10)
            self.handler(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._closed = True
        self.sock.close()


@pytest.fixture
def dialog_server() -> Iterator[Callable[[DialogHandler], DialogServer]]:
    """Factory: ``dialog_server(handler)`` starts a scripted server, closed at teardown."""
    servers: list[DialogServer] = []

    def start(handler: DialogHandler) -> DialogServer:
        server = DialogServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _san(hostname: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(hostname))
    except ValueError:
        return x509.DNSName(hostname)


def write_self_signed(
    directory: Path, hostname: str, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, *, days: int, ca: bool = False
) -> tuple[Path, Path]:
    """A self-signed leaf for ``hostname`` (its own trust anchor when ``ca``): (cert.pem, key.pem)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_san(hostname)]), critical=False)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    cert = builder.sign(key, hashes.SHA256())
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="session")
def dialog_tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """Server-side TLS context with a fresh self-signed certificate for mx.test.example."""
    cert, key = write_self_signed(
        tmp_path_factory.mktemp("dialog-tls"), "mx.test.example", ec.generate_private_key(ec.SECP256R1()), days=2
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
