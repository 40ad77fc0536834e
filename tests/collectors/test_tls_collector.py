"""The TLS collector against local servers whose configuration we choose.

Servers: ``openssl s_server`` (implicit TLS, exact suite/group lists) on 127.0.9.x and
a small Python STARTTLS SMTP server (``ssl`` module) that can throttle with a 421
greeting after N connections. Each server counts the connections it accepted, so the
collector's own count and the "accepted + 1 per version" economy are checked against
the server side.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from auditor.collectors.tls.collector import collect_tls
from auditor.evidence import Evidence, Target, evidence_from_json, evidence_to_json
from auditor.evidence.network import Endpoint
from auditor.evidence.tls import TlsScan
from auditor.messages import render
from tests.collectors.conftest import DialogServer, write_self_signed

HOST = "mx.tls.test"


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed RSA-2048 leaf for ``mx.tls.test`` (it is its own trust anchor)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return write_self_signed(tmp_path_factory.mktemp("tlscert"), HOST, key, days=90, ca=True)


@contextlib.contextmanager
def s_server(ip: str, port: int, cert: tuple[Path, Path], *args: str) -> Iterator[None]:
    """``openssl s_server`` with the given cipher flags; fails loudly if openssl is missing."""
    binary = shutil.which("openssl")
    assert binary, "openssl binary is required for the TLS collector tests (Debian package openssl)"
    proc = subprocess.Popen(
        [
            binary,
            "s_server",
            "-accept",
            f"{ip}:{port}",
            "-cert",
            str(cert[0]),
            "-key",
            str(cert[1]),
            "-quiet",
            "-naccept",
            "1000",
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.1)
    try:
        for _ in range(100):
            # A server that died (e.g. address in use) must not be mistaken for a stale one.
            assert proc.poll() is None, f"openssl s_server exited: {proc.stderr.read() if proc.stderr else ''!r}"
            with contextlib.suppress(OSError), socket.create_connection((ip, port), timeout=0.2):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"openssl s_server did not start: {proc.stderr.read() if proc.stderr else ''!r}")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=5)


class SmtpStub(DialogServer):
    """STARTTLS SMTP server (one thread per connection) that can throttle with 421."""

    def __init__(self, ip: str, context: ssl.SSLContext, throttle_after: int | None = None) -> None:
        self.context = context
        self.throttle_after = throttle_after
        self._numbered = itertools.count(1)  # next() is atomic under the GIL
        super().__init__(self._smtp, ip)

    def _smtp(self, conn: socket.socket) -> None:
        if self.throttle_after is not None and next(self._numbered) > self.throttle_after:
            conn.sendall(b"421 4.7.0 mx.tls.test Error: too many connections from 127.0.0.1\r\n")
            return
        conn.sendall(b"220 mx.tls.test ESMTP stub\r\n")
        reader = conn.makefile("rb")
        while line := reader.readline(1024):
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250-mx.tls.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            elif verb == b"STARTTLS":
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                with contextlib.suppress(OSError, ssl.SSLError):
                    tls = self.context.wrap_socket(conn, server_side=True)
                    tls.recv(1)
                return
            else:
                conn.sendall(b"502 5.5.2 Error: command not recognized\r\n")


def tls12_context(cert: tuple[Path, Path], ciphers: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    ctx.set_ecdh_curve("prime256v1")
    return ctx


def scan(ip: str, port: int, proto: str, mode: str, ca: Path | None, **kw: int) -> TlsScan:
    endpoint = Endpoint(HOST, port, proto, mode, "test", (ip,))
    (result,) = collect_tls([endpoint], ca_file=str(ca) if ca else None, deadline=time.monotonic() + 60, **kw)
    return result


def names(result: TlsScan, version: str) -> set[str]:
    return {s.name for s in result.suites.get(version, ())}


def test_implicit_tls_exact_suites_groups_and_economy(cert_files: tuple[Path, Path]) -> None:
    with s_server(
        "127.0.9.1",
        4433,
        cert_files,
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:AES128-SHA",
        "-ciphersuites",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
        "-groups",
        "X25519:P-256:P-384",
    ):
        started = time.monotonic()
        result = scan("127.0.9.1", 4433, "imaps", "implicit", cert_files[0])
        elapsed = time.monotonic() - started

    assert result.errors == () and result.incomplete == () and result.throttled_after is None, result
    assert result.protocols == {"SSLv3": False, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True}
    assert names(result, "TLSv1.3") == {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}
    assert names(result, "TLSv1.2") == {
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
    }, result
    dhe = next(s for s in result.suites["TLSv1.2"] if s.name.startswith("TLS_DHE_"))
    assert dhe.key_share is not None and dhe.key_share.kind == "DH" and dhe.key_share.bits >= 2048
    assert set(result.groups) == {"x25519", "secp256r1", "secp384r1"}

    # Economy: TLS 1.3 2+1, TLS 1.2 4+1 (modern) +1 (legacy-only pass), 1.1/1.0/SSLv3 one each,
    # groups 3+1 (TLS 1.3) +1 (TLS 1.2 leftovers), one connection for compression and both
    # renegotiation questions, one offering only SHA-1 signatures (refused by OpenSSL 3's
    # default security level), ROBOT one round (an RSA key-transport suite is accepted).
    robot = next(v for v in result.vulnerabilities if v.name == "robot")
    assert result.sha1_signatures is False
    expected = 3 + 6 + 3 + 5 + 1 + 1 + robot.connections
    assert result.connections == expected, result
    assert 5 <= robot.connections <= 12
    assert elapsed < 20

    cert = result.certificate
    assert cert is not None and cert.trusted is True and cert.hostname_matches is True
    assert cert.chain[0].key_type == "RSA" and cert.chain[0].key_bits == 2048
    assert cert.chain[0].signature_hash == "sha256" and len(cert.chain_der_b64) == 1
    assert result.negotiated is not None and result.negotiated.version == "TLSv1.3"
    assert result.negotiated.extended_master_secret is True


def test_starttls_smtp_counts_match_server_side(cert_files: tuple[Path, Path]) -> None:
    stub = SmtpStub("127.0.9.2", tls12_context(cert_files, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305"))
    try:
        result = scan(stub.ip, stub.port, "smtp", "starttls", None)
    finally:
        stub.close()
    assert result.protocols["TLSv1.2"] is True and result.protocols["TLSv1.3"] is False
    assert names(result, "TLSv1.2") == {
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    }
    assert result.groups == ("secp256r1",)
    # Self-signed and not in the system store: untrusted, but the name matches.
    assert result.certificate is not None
    assert result.certificate.trusted is False and result.certificate.hostname_matches is True
    assert result.connections == stub.connections
    # 1.3:1, 1.2: 2+1 +1 legacy, 1.1/1.0/3: 3, groups 1+1 (TLS 1.2), Heartbleed (no TLS 1.3),
    # one renegotiation/compression connection, one SHA-1 signature offer (refused by
    # Python's server context); no ROBOT (no RSA key transport).
    assert result.sha1_signatures is False
    assert result.connections == 1 + 4 + 3 + 2 + 1 + 1 + 1


def test_throttling_is_reported_not_read_as_refusal(cert_files: tuple[Path, Path]) -> None:
    stub = SmtpStub(
        "127.0.9.3",
        tls12_context(cert_files, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"),
        throttle_after=3,
    )
    try:
        result = scan(stub.ip, stub.port, "smtp", "starttls", None, per_ip_concurrency=1)
    finally:
        stub.close()
    assert result.throttled_after == 3, result
    # sslyze's SMTP helper strips the reply code; the 421 text is what remains.
    assert any("too many connections" in render(e, "en") for e in result.errors), result.errors
    assert result.connections == 4  # three served, the fourth got 421, then we stopped
    # The only versions with a verdict are those the three served connections settled.
    assert result.protocols["TLSv1.3"] is False
    assert result.protocols["TLSv1.2"] is True
    assert all(result.protocols[v] is None for v in ("TLSv1.1", "TLSv1.0", "SSLv3"))
    assert "suites:TLSv1.2" in result.incomplete
    assert any(i.startswith("protocol:") for i in result.incomplete)


def test_closed_port_is_an_error_not_a_refusal() -> None:
    result = scan("127.0.9.4", 9, "submissions", "implicit", None)
    assert result.connections >= 1 and not result.reachable
    assert result.errors and "no TLS session could be opened" in render(result.errors[0], "en")
    assert all(v is None for v in result.protocols.values())
    assert result.throttled_after is None


def test_budget_exhaustion_is_recorded(cert_files: tuple[Path, Path]) -> None:
    with s_server(
        "127.0.9.5",
        4433,
        cert_files,
        "-ciphersuites",
        "TLS_AES_128_GCM_SHA256",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
    ):
        result = scan("127.0.9.5", 4433, "imaps", "implicit", cert_files[0], per_ip_budget=5, per_ip_concurrency=1)
    assert result.connections == 5
    assert any("budget of 5 exhausted" in render(e, "en") for e in result.errors)
    assert result.incomplete
    assert False not in [result.protocols.get(v) for v in ("TLSv1.1", "TLSv1.0", "SSLv3") if v in result.incomplete]


def test_scan_round_trips_through_the_evidence_bundle(cert_files: tuple[Path, Path]) -> None:
    with s_server("127.0.9.6", 4433, cert_files):
        result = scan("127.0.9.6", 4433, "imaps", "implicit", cert_files[0])
    evidence = Evidence(
        schema_version="1",
        collected_at="2026-11-23T10:00:00+00:00",
        target=Target(domain="tls.test"),
        network=True,
        tls=(result,),
    )
    again = evidence_from_json(evidence_to_json(evidence))
    assert again.tls == (result,)
