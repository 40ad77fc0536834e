"""dane.tlsa on evidence fixtures: real certificates, real TLSA digests, no network."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import replace

import pytest
from auditor.checks.dane import tlsa_matches
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from auditor.evidence.network import DaneLookup, DnsAnswer
from auditor.evidence.tls import CertificateObservation, TlsScan
from auditor.metadata import packaged_metadata
from auditor.models import Severity, Status
from auditor.registry import load_checks
from auditor.runner import evaluate
from tests.checks.evidence_factory import discovery, evidence

DANE = [c for c in load_checks(packaged_metadata()) if c.meta.id == "dane.tlsa"]


def _cert(name: str, issuer_key: ec.EllipticCurvePrivateKey | None = None) -> tuple[bytes, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(issuer_key or key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER), key


LEAF, _ = _cert("mx1.example.org")
CA, _ = _cert("Example CA")


def spki_sha256(der: bytes) -> str:
    spki = (
        x509.load_der_x509_certificate(der).public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.sha256(spki).hexdigest()


def scan(host: str, chain: list[bytes]) -> TlsScan:
    observation = CertificateObservation(
        hostname=host,
        chain=(),
        chain_der_b64=tuple(base64.b64encode(c).decode() for c in chain),
        trust_store="system",
        trusted=False,
    )
    return TlsScan(host=host, ip="192.0.2.25", port=25, proto="smtp", tls_mode="starttls", certificate=observation)


def lookup(host: str, *records: str, dnssec: str = "secure", status: str = "ok") -> DaneLookup:
    name = f"_25._tcp.{host}"
    answer = DnsAnswer(name, "TLSA", status if records or status != "ok" else "nodata", records=records)
    return DaneLookup(host, name, answer, dnssec, "test")


def run(*lookups: DaneLookup, chain: list[bytes] | None = None):  # type: ignore[no-untyped-def]
    ev = evidence(
        discovery=discovery("mx1.example.org"), dane=lookups, tls=(scan("mx1.example.org", chain or [LEAF, CA]),)
    )
    return evaluate(DANE, ev)


def test_digest_forms() -> None:
    assert tlsa_matches(f"3 1 1 {spki_sha256(LEAF)}", LEAF)
    assert tlsa_matches(f"3 0 1 {hashlib.sha256(LEAF).hexdigest()}", LEAF)
    assert tlsa_matches(f"3 0 2 {hashlib.sha512(LEAF).hexdigest()}", LEAF)
    assert not tlsa_matches(f"3 1 1 {spki_sha256(CA)}", LEAF)
    assert not tlsa_matches("3 1 9 00", LEAF) and not tlsa_matches("garbage", LEAF)


def test_matching_ee_record_passes() -> None:
    [finding] = run(lookup("mx1.example.org", f"3 1 1 {spki_sha256(LEAF)}"))
    assert finding.status == Status.PASS and finding.subject == "mx1.example.org[192.0.2.25]:25"


def test_dane_ta_matches_a_ca_in_the_chain_but_not_the_leaf() -> None:
    assert run(lookup("mx1.example.org", f"2 1 1 {spki_sha256(CA)}"))[0].status == Status.PASS
    assert run(lookup("mx1.example.org", f"2 1 1 {spki_sha256(LEAF)}"))[0].status == Status.FAIL


def test_wrong_pin_fails_high() -> None:
    [finding] = run(lookup("mx1.example.org", "3 1 1 " + "ab" * 32))
    assert (finding.status, finding.severity) == (Status.FAIL, Severity.HIGH)


@pytest.mark.parametrize(
    ("record_lookup", "status"),
    [
        (lookup("mx1.example.org", "3 1 1 " + "ab" * 32, dnssec="insecure"), Status.FAIL),
        (lookup("mx1.example.org", "3 1 1 " + "ab" * 32, dnssec="bogus"), Status.FAIL),
        (lookup("mx1.example.org"), Status.WARN),
        (lookup("mx1.example.org", "1 1 1 " + "ab" * 32), Status.WARN),
        (lookup("mx1.example.org", status="timeout"), Status.ERROR),
    ],
)
def test_dnssec_and_absence_cases(record_lookup: DaneLookup, status: Status) -> None:
    assert [f.status for f in run(record_lookup)] == [status]


def test_no_chain_is_error_never_pass() -> None:
    ev = evidence(
        discovery=discovery("mx1.example.org"), dane=(lookup("mx1.example.org", f"3 1 1 {spki_sha256(LEAF)}"),)
    )
    [finding] = evaluate(DANE, ev)
    assert finding.status == Status.ERROR and "chain" in finding.detail


def test_an_address_without_a_chain_is_an_error_beside_the_verified_one() -> None:
    disc = discovery("mx1.example.org")
    two = replace(disc.mx_hosts[0], addresses=("192.0.2.25", "2001:db8::25"))
    records = (lookup("mx1.example.org", f"3 1 1 {spki_sha256(LEAF)}"),)
    ev = evidence(discovery=replace(disc, mx_hosts=(two,)), dane=records, tls=(scan("mx1.example.org", [LEAF, CA]),))
    by_subject = {f.subject: f.status for f in evaluate(DANE, ev)}
    assert by_subject == {
        "mx1.example.org[192.0.2.25]:25": Status.PASS,
        "mx1.example.org[2001:db8::25]:25": Status.ERROR,
    }
