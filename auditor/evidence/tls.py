"""Evidence types of the TLS collector: frozen dataclasses of plain values.

They are part of the evidence bundle, so they must round-trip through JSON via
pydantic's ``TypeAdapter`` (tuples, dicts of str, ``None``), and checks must be able to
grade them offline, long after the sockets are closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.evidence.outcomes import Failure
from auditor.models import Message

# Protocol version labels used as keys throughout the evidence (testssl.sh-like spelling).
SSL3 = "SSLv3"
TLS10 = "TLSv1.0"
TLS11 = "TLSv1.1"
TLS12 = "TLSv1.2"
TLS13 = "TLSv1.3"
VERSIONS: tuple[str, ...] = (SSL3, TLS10, TLS11, TLS12, TLS13)


@dataclass(frozen=True, slots=True)
class KeyShare:
    """The ephemeral key the server chose in one handshake (``kind``: ECDH | DH)."""

    kind: str
    bits: int
    group: str | None = None


@dataclass(frozen=True, slots=True)
class AcceptedSuite:
    """One cipher suite the server accepted, by IANA name, with the key share it used."""

    name: str
    openssl_name: str
    key_share: KeyShare | None = None


@dataclass(frozen=True, slots=True)
class CertInfo:
    """One certificate of the served chain, decoded with ``cryptography``.

    ``key_type``: RSA | EC | DSA | Ed25519 | Ed448; ``key_bits`` its size; dates are ISO 8601 UTC.
    """

    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    key_type: str
    key_bits: int
    signature_algorithm: str
    signature_hash: str | None = None
    curve: str | None = None
    san_dns: tuple[str, ...] = ()
    sha256: str = ""
    self_issued: bool = False


@dataclass(frozen=True, slots=True)
class CertificateObservation:
    """The chain one handshake served, its trust and its host-name match, kept apart.

    ``trusted`` is the chain validation against ``trust_store`` (``system`` or the CA file
    given by the user) without any name check; ``hostname_matches`` compares the leaf's
    names with ``hostname``. ``chain_der_b64`` keeps the exact bytes so DANE can match them.
    """

    hostname: str
    chain: tuple[CertInfo, ...]
    chain_der_b64: tuple[str, ...]
    trust_store: str
    trusted: bool | None
    trust_error: str | None = None
    hostname_matches: bool | None = None


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What a default handshake at the best version settled on (the "everyday" session)."""

    version: str
    suite: str
    key_share: KeyShare | None = None
    extended_master_secret: bool | None = None


@dataclass(frozen=True, slots=True)
class VulnResult:
    """One vulnerability probe. ``status``: vulnerable | ok | not-applicable | error | not-run.

    ``detail`` says why, as a message (a plain string in bundles written before messages)."""

    name: str
    status: str
    detail: str | Message = ""
    connections: int = 0


@dataclass(frozen=True, slots=True)
class TlsScan:
    """Everything the collector learnt about one endpoint on one IP address.

    ``protocols`` maps each version to True (accepted), False (refused with a TLS-level
    answer) or None (unknown: not probed, budget or deadline, throttled, connection
    failure). ``suites`` holds the accepted suites per accepted version; a version listed
    in ``incomplete`` (as ``suites:TLSv1.2`` etc.) may accept more. ``connections`` counts
    every TCP connection opened to this IP:port, ``throttled_after`` the number of
    connections after which the server started refusing us (421, resets, timeouts).
    ``sha1_signatures``: whether the server signs a TLS 1.2 key exchange with SHA-1 when
    the client offers nothing else (None: not applicable, no forward-secret TLS 1.2 suite,
    or unknown, then listed in ``incomplete`` as ``signatures:TLSv1.2``).
    ``stopped``: why an incomplete scan ended early, by kind (throttled, budget, deadline, error).
    """

    host: str
    ip: str
    port: int
    proto: str
    tls_mode: str
    protocols: dict[str, bool | None] = field(default_factory=dict)
    suites: dict[str, tuple[AcceptedSuite, ...]] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    groups_version: str | None = None
    certificate: CertificateObservation | None = None
    negotiated: Negotiated | None = None
    sha1_signatures: bool | None = None
    vulnerabilities: tuple[VulnResult, ...] = ()
    connections: int = 0
    throttled_after: int | None = None
    stopped: Failure | None = None
    errors: tuple[str | Message, ...] = ()
    incomplete: tuple[str, ...] = ()
    elapsed_s: float = 0.0

    @property
    def reachable(self) -> bool:
        """True when at least one TLS handshake completed on this IP:port."""
        return any(self.protocols.values())

    @property
    def subject(self) -> str:
        return f"{self.host}[{self.ip}]:{self.port}"
