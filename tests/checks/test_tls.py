"""TLS checks on canned evidence: no network, every status path exercised."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from auditor.checks import tls as tls_checks

from auditor.evidence import Evidence, Target, evidence_from_json, evidence_to_json
from auditor.evidence.outcomes import ErrorKind, Failure
from auditor.evidence.tls import (
    AcceptedSuite,
    CertificateObservation,
    CertInfo,
    KeyShare,
    Negotiated,
    TlsScan,
    VulnResult,
)
from auditor.messages import render, render_observation
from auditor.models import Observation, Outcome, Severity, Status
from auditor.profiles import load_profile
from auditor.registry import CheckContext

NOW = "2026-11-23T10:00:00+00:00"
X25519 = KeyShare("ECDH", 253, "x25519")


def leaf(**changes: Any) -> CertInfo:
    base = CertInfo(
        subject="CN=mx.example.org",
        issuer="CN=Example CA",
        serial="1a2b",
        not_before="2026-06-01T00:00:00+00:00",
        not_after="2027-06-01T00:00:00+00:00",
        key_type="RSA",
        key_bits=2048,
        signature_algorithm="sha256WithRSAEncryption",
        signature_hash="sha256",
        san_dns=("mx.example.org",),
        sha256="00" * 32,
    )
    return replace(base, **changes)


def certificate(**changes: Any) -> CertificateObservation:
    base = CertificateObservation(
        hostname="mx.example.org",
        chain=(leaf(),),
        chain_der_b64=("MIIB",),
        trust_store="system",
        trusted=True,
        hostname_matches=True,
    )
    return replace(base, **changes)


OK_VULNS = (
    VulnResult("heartbleed", "ok", "TLS 1.3 accepted"),
    VulnResult("compression", "ok", "no compression", 1),
    VulnResult("secure-renegotiation", "ok", "RFC 5746 supported", 1),
    VulnResult("client-renegotiation", "ok", "refused", 1),
    VulnResult("fallback-scsv", "not-applicable", "no lower version"),
    VulnResult("robot", "not-applicable", "no RSA key transport"),
)


def clean_scan(**changes: Any) -> TlsScan:
    suites13 = tuple(AcceptedSuite(n, n, X25519) for n in ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"))
    suites12 = (
        AcceptedSuite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", X25519),
        AcceptedSuite("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", X25519),
    )
    base = TlsScan(
        host="mx.example.org",
        ip="192.0.2.25",
        port=587,
        proto="submission",
        tls_mode="starttls",
        protocols={"SSLv3": False, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True},
        suites={"TLSv1.3": suites13, "TLSv1.2": suites12},
        groups=("x25519", "secp256r1", "secp384r1"),
        groups_version="TLSv1.3,TLSv1.2",
        certificate=certificate(),
        negotiated=Negotiated("TLSv1.3", "TLS_AES_256_GCM_SHA384", X25519, True),
        sha1_signatures=False,
        vulnerabilities=OK_VULNS,
        connections=21,
    )
    return replace(base, **changes)


def weak_scan(**changes: Any) -> TlsScan:
    dh1024 = KeyShare("DH", 1024)
    cbc = (
        AcceptedSuite("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA", dh1024),
        AcceptedSuite("TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"),
    )
    weak = clean_scan(
        protocols={"SSLv3": False, "TLSv1.0": True, "TLSv1.1": True, "TLSv1.2": True, "TLSv1.3": True},
        suites={**clean_scan().suites, "TLSv1.0": cbc, "TLSv1.1": cbc},
        certificate=certificate(
            chain=(leaf(not_after="2026-11-22T00:00:00+00:00"),), trusted=False, trust_error="certificate has expired"
        ),
    )
    return replace(weak, **changes)


def _rendered(observations: tuple[Observation, ...]) -> tuple[Observation, ...]:
    return tuple(render_observation(x, "en") for x in observations)


def run(func: Any, *scans: TlsScan, profile: str = "bsi-tr-02102-2") -> list[Outcome]:
    evidence = Evidence(
        schema_version="1", collected_at=NOW, target=Target(domain="example.org"), network=True, tls=scans
    )
    # Checks grade what a saved bundle holds, so grade the JSON round-tripped copy.
    evidence = evidence_from_json(evidence_to_json(evidence))
    outcomes = func(CheckContext(evidence=evidence, profile=load_profile(profile)))
    # rendered as the runner renders them, so the tests read the English sentences
    return [
        replace(
            o, detail=render(o.detail, "en"), observations=tuple(render_observation(x, "en") for x in o.observations)
        )
        for o in outcomes
    ]


def statuses(outcomes: list[Outcome]) -> list[Status]:
    return [o.status for o in outcomes]


def test_clean_scan_has_no_failure_under_the_default_profile() -> None:
    for func in (
        tls_checks.tls_protocols,
        tls_checks.tls_cipher_suites,
        tls_checks.tls_key_exchange,
        tls_checks.tls_vulnerabilities,
        tls_checks.tls_handshake_signatures,
    ):
        assert statuses(run(func, clean_scan())) == [Status.PASS], func.__name__
    cert = {o.key: o for o in run(tls_checks.tls_certificate, clean_scan())}
    assert {k: o.status for k, o in cert.items()} == {
        "validity": Status.PASS,
        "trust": Status.PASS,
        "hostname": Status.PASS,
        "crypto": Status.WARN,
    }
    # RSA-2048 is past BSI's transition rule and PKCS#1 v1.5 past 2025: phase-out, named.
    assert "RSA 2048" in cert["crypto"].detail and "sha256WithRSAEncryption" in cert["crypto"].detail


def test_strict_bsi_mode_fails_rsa_pkcs1_after_2025() -> None:
    (crypto,) = [
        o for o in run(tls_checks.tls_certificate, clean_scan(), profile="bsi-tr-02102-2:strict") if o.key == "crypto"
    ]
    assert crypto.status is Status.FAIL and "sha256WithRSAEncryption" in crypto.detail


def test_weak_scan_defects_are_failures_with_the_values() -> None:
    (protocols,) = run(tls_checks.tls_protocols, weak_scan())
    assert protocols.status is Status.FAIL and "TLSv1.0" in protocols.detail and "TLSv1.1" in protocols.detail
    (suites,) = run(tls_checks.tls_cipher_suites, weak_scan())
    assert suites.status is Status.FAIL
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in suites.detail and "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" in suites.detail
    (kex,) = run(tls_checks.tls_key_exchange, weak_scan())
    assert kex.status is Status.FAIL and "DH 1024 bit" in kex.detail
    cert = {o.key: o for o in run(tls_checks.tls_certificate, weak_scan())}
    assert cert["validity"].status is Status.FAIL and "2026-11-22" in cert["validity"].detail
    assert cert["trust"].status is Status.FAIL and cert["trust"].severity is Severity.HIGH


def test_wrong_name_is_separate_from_trust() -> None:
    scan = clean_scan(
        port=993,
        proto="imaps",
        tls_mode="implicit",
        certificate=certificate(hostname_matches=False, chain=(leaf(san_dns=("other.example",)),)),
    )
    cert = {o.key: o for o in run(tls_checks.tls_certificate, scan)}
    assert cert["trust"].status is Status.PASS
    assert cert["hostname"].status is Status.FAIL and "mx.example.org" in cert["hostname"].detail


def test_port_25_untrusted_or_misnamed_is_a_warning() -> None:
    scan = clean_scan(
        port=25,
        proto="smtp",
        certificate=certificate(trusted=False, trust_error="self-signed certificate", hostname_matches=False),
    )
    cert = {o.key: o for o in run(tls_checks.tls_certificate, scan)}
    assert cert["trust"].status is Status.WARN and "DANE" in cert["trust"].detail
    assert cert["hostname"].status is Status.WARN


def test_expiry_within_30_days_warns() -> None:
    scan = clean_scan(certificate=certificate(chain=(leaf(not_after="2026-12-03T10:00:00+00:00"),)))
    (validity,) = [o for o in run(tls_checks.tls_certificate, scan) if o.key == "validity"]
    assert validity.status is Status.WARN and "10 days" in validity.detail


def test_throttled_scan_is_an_error_never_a_pass() -> None:
    scan = clean_scan(
        protocols={"SSLv3": None, "TLSv1.0": None, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True},
        groups=(),
        vulnerabilities=(),
        throttled_after=9,
        errors=("STARTTLS dialogue failed: ... 4.7.0 too many connections", "throttled after 9 connections"),
        incomplete=("protocol:SSLv3", "protocol:TLSv1.0", "suites:TLSv1.2", "groups", "vulnerabilities"),
    )
    for func in (
        tls_checks.tls_protocols,
        tls_checks.tls_cipher_suites,
        tls_checks.tls_key_exchange,
        tls_checks.tls_vulnerabilities,
    ):
        (outcome,) = run(func, scan)
        assert outcome.status is Status.ERROR, func.__name__
        assert "throttled after 9 connections" in outcome.detail


def test_throttled_scan_still_reports_what_it_did_see_as_a_failure() -> None:
    scan = weak_scan(
        throttled_after=12,
        incomplete=("protocol:SSLv3",),
        protocols={"SSLv3": None, "TLSv1.0": True, "TLSv1.1": True, "TLSv1.2": True, "TLSv1.3": True},
    )
    (protocols,) = run(tls_checks.tls_protocols, scan)
    assert protocols.status is Status.FAIL and "throttled after 12 connections" in protocols.detail


def test_why_a_scan_stopped_comes_from_its_kind_not_from_server_text() -> None:
    # An error message quoting the server ("deadline" in an alert text) must not be taken for
    # our own time budget; the scan's recorded stop kind says it was the connection budget.
    scan = clean_scan(
        protocols={"SSLv3": None, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True},
        incomplete=("protocol:SSLv3",),
        errors=("SSLv3: server alert 'handshake deadline exceeded'", "connection budget of 40 exhausted"),
        stopped=Failure(ErrorKind.BUDGET, "connection budget of 40 exhausted"),
    )
    (protocols,) = run(tls_checks.tls_protocols, scan)
    connections = scan.connections
    assert f"connection budget exhausted after {connections} connections (protocol:SSLv3 not established)" in (
        protocols.detail
    )
    assert "alert" not in protocols.detail
    evidence = Evidence(
        schema_version="1", collected_at=NOW, target=Target(domain="example.org"), network=True, tls=(scan,)
    )
    [german] = tls_checks.tls_protocols(CheckContext(evidence=evidence, profile=load_profile("bsi-tr-02102-2")))
    assert f"Verbindungsbudget nach {connections} Verbindungen aufgebraucht" in render(german.detail, "de")
    deadline = replace(scan, stopped=Failure(ErrorKind.DEADLINE, "deadline reached"))
    (stopped,) = run(tls_checks.tls_protocols, deadline)
    assert "the run's time budget ended" in stopped.detail


def test_unreachable_endpoint_is_an_error_in_every_check() -> None:
    scan = TlsScan(
        host="mx.example.org",
        ip="192.0.2.25",
        port=465,
        proto="submissions",
        tls_mode="implicit",
        protocols={v: None for v in ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")},
        connections=1,
        errors=("no TLS session could be opened: Server rejected the connection",),
    )
    for func in (
        tls_checks.tls_protocols,
        tls_checks.tls_cipher_suites,
        tls_checks.tls_key_exchange,
        tls_checks.tls_certificate,
        tls_checks.tls_vulnerabilities,
        tls_checks.tls_handshake_signatures,
    ):
        (outcome,) = run(func, scan)
        assert outcome.status is Status.ERROR and "rejected the connection" in outcome.detail


def test_vulnerabilities_fail_with_the_worst_severity_and_error_when_unrun() -> None:
    found = clean_scan(vulnerabilities=(*OK_VULNS[1:], VulnResult("heartbleed", "vulnerable", "leak", 1)))
    (outcome,) = run(tls_checks.tls_vulnerabilities, found)
    assert outcome.status is Status.FAIL and outcome.severity is Severity.CRITICAL and "heartbleed" in outcome.detail
    unrun = clean_scan(vulnerabilities=(*OK_VULNS[:-1], VulnResult("robot", "not-run", "budget exhausted")))
    (outcome,) = run(tls_checks.tls_vulnerabilities, unrun)
    assert outcome.status is Status.ERROR and "robot" in outcome.detail


def test_profiles_change_the_grade() -> None:
    (modern,) = run(tls_checks.tls_protocols, clean_scan(), profile="mozilla-modern")
    assert modern.status is Status.FAIL and "TLSv1.2" in modern.detail
    (intermediate,) = run(tls_checks.tls_cipher_suites, clean_scan(), profile="mozilla-intermediate")
    assert intermediate.status is Status.PASS
    (ncsc,) = run(tls_checks.tls_protocols, clean_scan(), profile="ncsc-nl")
    assert ncsc.status is Status.PASS
    (dhe,) = run(tls_checks.tls_key_exchange, weak_scan(), profile="ncsc-nl")
    assert dhe.status is Status.FAIL


def test_dane_check_reads_the_chain_of_port_25_scans() -> None:
    scan = clean_scan(port=25, proto="smtp")
    assert scan.certificate is not None and scan.certificate.chain_der_b64 == ("MIIB",)
    assert scan.subject == "mx.example.org[192.0.2.25]:25"


def test_sha1_handshake_signatures_warn_low_naming_the_algorithm() -> None:
    (rsa,) = run(tls_checks.tls_handshake_signatures, clean_scan(sha1_signatures=True))
    assert rsa.status is Status.WARN and rsa.severity is Severity.LOW and "sha1WithRSAEncryption" in rsa.detail
    ec = clean_scan(sha1_signatures=True, certificate=certificate(chain=(leaf(key_type="EC", key_bits=256),)))
    (outcome,) = run(tls_checks.tls_handshake_signatures, ec)
    assert "ecdsa-with-SHA1" in outcome.detail


def test_sha1_handshake_signatures_unknown_is_an_error_not_applicable_a_pass() -> None:
    throttled = clean_scan(sha1_signatures=None, throttled_after=15, incomplete=("signatures:TLSv1.2",))
    (outcome,) = run(tls_checks.tls_handshake_signatures, throttled)
    assert outcome.status is Status.ERROR and "throttled after 15 connections" in outcome.detail
    unsure = clean_scan(
        sha1_signatures=None,
        throttled_after=9,
        incomplete=("suites:TLSv1.2",),
        suites={**clean_scan().suites, "TLSv1.2": ()},
    )
    (outcome,) = run(tls_checks.tls_handshake_signatures, unsure)
    assert outcome.status is Status.ERROR, outcome  # suites not all known: no "not applicable" pass
    only13 = clean_scan(
        sha1_signatures=None,
        protocols={**clean_scan().protocols, "TLSv1.2": False},
        suites={"TLSv1.3": clean_scan().suites["TLSv1.3"]},
    )
    (outcome,) = run(tls_checks.tls_handshake_signatures, only13)
    assert outcome.status is Status.PASS and "TLS 1.2 is not accepted" in outcome.detail
    static_rsa = clean_scan(
        sha1_signatures=None,
        suites={
            **clean_scan().suites,
            "TLSv1.2": (AcceptedSuite("TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"),),
        },
    )
    (outcome,) = run(tls_checks.tls_handshake_signatures, static_rsa)
    assert outcome.status is Status.PASS and "no forward-secret TLS 1.2 suite" in outcome.detail
