"""The TLS collector and checks against the lab's real Postfix/Dovecot hosts.

The lab is required (fixture ``lab`` from tests/conftest.py): without it these tests
fail, they never skip. Hosts: 127.0.25.1 clean, .2 weak (planted defects), .3 throttled
(Postfix anvil, 10 connections a minute), .4 the clean host behind a 1 s greeting delay.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace

import pytest
from auditor.checks import tls as tls_checks

from auditor.collectors.tls.collector import collect_tls
from auditor.evidence import Evidence, Target
from auditor.evidence.network import Endpoint
from auditor.evidence.tls import TlsScan
from auditor.messages import render
from auditor.models import Outcome, Status
from auditor.registry import CheckContext
from tests.lab_ports import MAIL_PORTS

pytestmark = pytest.mark.lab

PORTS = MAIL_PORTS
CLEAN_TLS13 = {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"}
CLEAN_TLS12 = {
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}
# Anonymous DH with SHA-256 and GCM (TLS 1.2 only), anonymous ECDH, Camellia, ARIA, CCM_8.
WEAK_TLS12_SAMPLES = {
    "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
    "TLS_DH_anon_WITH_AES_256_CBC_SHA256",
    "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256",
    "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA",
    "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_128_CCM_8",
    "TLS_DHE_RSA_WITH_AES_256_CCM_8",
}
CHECKS: tuple[Callable[[CheckContext], Iterable[Outcome]], ...] = (
    tls_checks.tls_protocols,
    tls_checks.tls_cipher_suites,
    tls_checks.tls_key_exchange,
    tls_checks.tls_certificate,
    tls_checks.tls_vulnerabilities,
    tls_checks.tls_handshake_signatures,
)


def scan_host(lab, name: str, ip: str, ports=PORTS, **kw: int) -> dict[int, TlsScan]:  # type: ignore[no-untyped-def]
    endpoints = [Endpoint(name, port, proto, mode, "test", (ip,)) for port, proto, mode in ports]
    results = collect_tls(endpoints, ca_file=str(lab.ca_file), deadline=time.monotonic() + 120, **kw)
    return {r.port: r for r in results}


def outcomes(scans: Iterable[TlsScan]) -> dict[str, list[Outcome]]:
    evidence = Evidence(
        schema_version="1",
        collected_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        target=Target(domain="lab.test"),
        network=True,
        tls=tuple(scans),
    )
    ctx = CheckContext(evidence=evidence)
    # rendered as the runner renders them, so the assertions read the English sentences
    return {func.__name__: [replace(o, detail=render(o.detail, "en")) for o in func(ctx)] for func in CHECKS}


def names(scan: TlsScan, version: str) -> set[str]:
    return {s.name for s in scan.suites.get(version, ())}


def test_clean_host_complete_economical_and_without_failures(lab) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    scans = scan_host(lab, "mx.clean.lab.test", "127.0.25.1")
    elapsed = time.monotonic() - started
    for port, scan in scans.items():
        assert scan.errors == () and scan.incomplete == () and scan.throttled_after is None, (port, scan)
        assert scan.protocols == {
            "SSLv3": False,
            "TLSv1.0": False,
            "TLSv1.1": False,
            "TLSv1.2": True,
            "TLSv1.3": True,
        }, port
        assert names(scan, "TLSv1.3") == CLEAN_TLS13 and names(scan, "TLSv1.2") == CLEAN_TLS12, port
        # accepted+1 per version (3+1, 3+1+1 legacy pass, 3 refused old versions), groups
        # 5 (all offered were accepted) +1 (TLS 1.2 leftovers), one renegotiation/compression
        # connection, one SHA-1 signature offer: 20. Bare sslyze's cipher commands alone need 535.
        assert scan.connections == 20, (port, scan.connections)
        # Debian 12's Postfix signs with SHA-1 when asked to (also checked with openssl
        # s_client -sigalgs RSA+SHA1); Dovecot at OpenSSL's default security level refuses.
        assert scan.sha1_signatures is (port in (25, 587, 465)), port
        assert scan.certificate is not None and scan.certificate.trusted and scan.certificate.hostname_matches
    assert elapsed < 30
    for check, found in outcomes(scans.values()).items():
        assert found and all(o.status in (Status.PASS, Status.WARN) for o in found), (check, found)


def test_weak_host_planted_defects_are_found(lab) -> None:  # type: ignore[no-untyped-def]
    # Default options: no connection cap, so the weak host is enumerated completely.
    scans = scan_host(lab, "mx.weak.lab.test", "127.0.25.2")
    for port, scan in scans.items():
        assert scan.incomplete == () and scan.throttled_after is None and scan.errors == (), (port, scan.errors, scan)
        assert scan.protocols["TLSv1.0"] and scan.protocols["TLSv1.1"], port
        assert "TLS_RSA_WITH_AES_128_CBC_SHA" in names(scan, "TLSv1.0"), port
        assert any(
            s.key_share and s.key_share.kind == "DH" and s.key_share.bits == 1024 for s in scan.suites["TLSv1.2"]
        ), port
        legacy = sum(len(scan.suites[v]) for v in ("TLSv1.0", "TLSv1.1", "TLSv1.2"))
        assert legacy >= 50, (port, legacy)
        # The suites a security-level-1 client never offers, and the rare ciphers.
        assert names(scan, "TLSv1.2") >= WEAK_TLS12_SAMPLES, (port, WEAK_TLS12_SAMPLES - names(scan, "TLSv1.2"))
        accepted = sum(len(v) for v in scan.suites.values())
        versions = sum(1 for ok in scan.protocols.values() if ok)
        # About one handshake per accepted suite, version and group, plus the probes.
        assert scan.connections <= 1.3 * (accepted + versions + len(scan.groups)), (port, scan.connections)
        assert scan.sha1_signatures is True, port  # @SECLEVEL=0 on both daemons
    found = outcomes(scans.values())
    for check in ("tls_protocols", "tls_cipher_suites", "tls_key_exchange"):
        assert all(o.status is Status.FAIL for o in found[check]), found[check]
    assert all(o.status is Status.WARN and "SHA-1" in o.detail for o in found["tls_handshake_signatures"])
    cert = {(o.subject.rsplit(":", 1)[1], o.key): o for o in found["tls_certificate"]}
    # Postfix serves an expired certificate, Dovecot one for another host name.
    for port in ("25", "587", "465"):
        assert cert[(port, "validity")].status is Status.FAIL and "expired" in cert[(port, "validity")].detail
    for port in ("143", "993", "110", "995"):
        assert cert[(port, "hostname")].status is Status.FAIL and cert[(port, "trust")].status is Status.PASS


def test_throttled_host_reports_throttling_and_no_false_refusal(lab) -> None:  # type: ignore[no-untyped-def]
    truth = scan_host(lab, "mx.clean.lab.test", "127.0.25.1", ports=PORTS[:1])[25]
    scan = scan_host(lab, "mx.throttled.lab.test", "127.0.25.3", ports=PORTS[:1])[25]
    # anvil allows 10 a minute (fewer if others used the window); one more may be in flight.
    assert scan.throttled_after is not None and scan.throttled_after <= 12, scan
    assert any("too many connections" in render(e, "en") for e in scan.errors), scan.errors
    # Nothing after the 421 except what the second worker had already opened.
    assert scan.throttled_after + 1 <= scan.connections <= scan.throttled_after + 2
    for version, accepted in scan.protocols.items():
        if accepted is not None:
            assert accepted == truth.protocols[version], version  # never a false "not accepted"
        assert names(scan, version) <= names(truth, version)
    found = outcomes([scan])
    for check in ("tls_protocols", "tls_cipher_suites", "tls_key_exchange", "tls_vulnerabilities"):
        assert [o.status for o in found[check]] == [Status.ERROR], found[check]
        assert "throttled after" in found[check][0].detail


def test_delayed_greeting_host_is_scanned_completely(lab) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    scans = scan_host(lab, "mx.delayed.lab.test", "127.0.25.4", ports=PORTS[:2])
    elapsed = time.monotonic() - started
    for port, scan in scans.items():
        assert scan.incomplete == () and names(scan, "TLSv1.2") == CLEAN_TLS12, (port, scan.errors, scan)
        assert scan.connections == 20
    # 40 connections, 1 s each, two at a time on this IP: about 20 s, never ~40 s.
    assert elapsed < 30, elapsed
