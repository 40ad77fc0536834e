"""Small hostile servers on 127.x for the hardening tests: a programmable DNS server and
an HTTPS server with a throw-away CA, both in threads, both stopped by the fixture."""

from __future__ import annotations

import datetime as dt
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# A behaviour gets the parsed query and returns the response message, or None to stay silent.
DnsBehaviour = Callable[[dns.message.Message], dns.message.Message | None]


def zone_behaviour(records: dict[tuple[str, str], list[str]], *, truncate: bool = False) -> DnsBehaviour:
    """Answer from a dict {(name, type): [rdata...]}; NXDOMAIN otherwise."""

    def answer(query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        key = (question.name.to_text().rstrip(".").lower(), dns.rdatatype.to_text(question.rdtype))
        cname_key = (key[0], "CNAME")
        if key in records:
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", key[1], records[key]))
        elif cname_key in records:
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", "CNAME", records[cname_key]))
        elif not any(k[0] == key[0] for k in records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        if truncate:
            response.flags |= dns.flags.TC
            response.answer = []
        return response

    return answer


class _Udp(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Tcp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def dns_server(address: str, behaviour: DnsBehaviour, *, tcp_behaviour: DnsBehaviour | None = None) -> Iterator[str]:
    """Serve ``behaviour`` on UDP (and TCP, for truncation fallbacks) at ``address``:53."""

    class Udp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            response = behaviour(dns.message.from_wire(data))
            if response is not None:
                sock.sendto(response.to_wire(), self.client_address)

    class Tcp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            length = int.from_bytes(self.request.recv(2), "big")
            data = self.request.recv(length)
            response = (tcp_behaviour or behaviour)(dns.message.from_wire(data))
            if response is not None:
                wire = response.to_wire(max_size=65535)  # TCP: not bound by the EDNS buffer size
                self.request.sendall(len(wire).to_bytes(2, "big") + wire)

    udp, tcp = _Udp((address, 53), Udp), _Tcp((address, 53), Tcp)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (udp, tcp)]
    for thread in threads:
        thread.start()
    try:
        yield f"{address}:53"
    finally:
        for server in (udp, tcp):
            server.shutdown()
            server.server_close()


def make_ca_and_cert(directory: Path, hostname: str) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for ``hostname``: (ca.pem, cert.pem, key.pem)."""
    ca_path, issued = make_ca_and_certs(directory, {"cert": (hostname, [hostname])})
    return ca_path, *issued["cert"]


@contextmanager
def https_server(address: str, cert: Path, key: Path, handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer((address, 443), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield 443
    finally:
        server.shutdown()
        server.server_close()


def port_is_free(address: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((address, port)) != 0


def make_ca_and_certs(
    directory: Path, certs: dict[str, tuple[str, list[str]]]
) -> tuple[Path, dict[str, tuple[Path, Path]]]:
    """One throw-away CA issuing several server certificates.

    ``certs``: stem -> (subject common name, DNS SAN entries); either may be arbitrary text
    (e.g. a markup payload). Returns (ca.pem, {stem: (cert.pem, key.pem)}).
    """
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hardening test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    issued: dict[str, tuple[Path, Path]] = {}
    for stem, (common_name, names) in certs.items():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        issued[stem] = (cert_path, key_path)
    return ca_path, issued


@contextmanager
def https_server_at(
    address: str, port: int, cert: Path, key: Path, handler: type[BaseHTTPRequestHandler]
) -> Iterator[int]:
    """Like :func:`https_server`, on any port."""
    server = ThreadingHTTPServer((address, port), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
