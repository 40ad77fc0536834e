"""Decode the served chain and match the host name, separately from trust.

sslyze 6 validates the path *with* the host name, which folds "untrusted" and "wrong
name" into one failure; for mail (opportunistic TLS on port 25, DANE) the two must be
reported apart. Trust comes from nassl's chain verification during the handshake (no
name check); the name check is done here on the decoded leaf.
"""

from __future__ import annotations

import base64
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from auditor.evidence.tls import CertificateObservation, CertInfo


def _key(cert: x509.Certificate) -> tuple[str, int, str | None]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size, key.curve.name
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    return type(key).__name__, 0, None


def _sig_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def describe(cert: x509.Certificate) -> CertInfo:
    key_type, key_bits, curve = _key(cert)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        san_dns = tuple(san.get_values_for_type(x509.DNSName)) + tuple(
            str(ip) for ip in san.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        san_dns = ()
    try:
        sig_hash = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    except Exception:  # unsupported algorithm: keep the OID name, no hash
        sig_hash = None
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        key_type=key_type,
        key_bits=key_bits,
        curve=curve,
        signature_algorithm=_sig_name(cert),
        signature_hash=sig_hash,
        san_dns=san_dns,
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
        self_issued=cert.subject == cert.issuer,
    )


def _name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 §6.4: exact match, or one left-most ``*`` label covering exactly one label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if not pattern.startswith("*.") or pattern.count("*") != 1:
        return False
    suffix = pattern[1:]
    return host.endswith(suffix) and "." not in host[: -len(suffix)] and len(host) > len(suffix)


def hostname_matches(cert: x509.Certificate, hostname: str) -> bool:
    """Whether the leaf names ``hostname`` (SAN; the CN only when there is no SAN)."""
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        address = None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        if address is not None:
            return address in san.get_values_for_type(x509.IPAddress)
        return any(_name_matches(name, hostname) for name in san.get_values_for_type(x509.DNSName))
    common_names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return any(_name_matches(name, hostname) for name in common_names)


def observe_chain(
    chain_pem: tuple[str, ...],
    hostname: str,
    trust_store: str,
    verified: bool | None,
    verify_error: str | None,
) -> CertificateObservation:
    """Build the evidence for a served chain (leaf first)."""
    certs = [x509.load_pem_x509_certificate(pem.encode("ascii")) for pem in chain_pem]
    ders = tuple(base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in certs)
    return CertificateObservation(
        hostname=hostname,
        chain=tuple(describe(c) for c in certs),
        chain_der_b64=ders,
        trust_store=trust_store,
        trusted=verified,
        trust_error=verify_error,
        hostname_matches=hostname_matches(certs[0], hostname) if certs else None,
    )
