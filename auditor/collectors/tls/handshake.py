"""Single handshakes with a chosen offer, and what each one reveals.

A handshake here always names its version, client (modern or legacy OpenSSL of nassl),
offered suites and, optionally, offered groups. Whatever the server chose is read
before the connection is closed: suite, ephemeral key, certificate chain, EMS,
compression and secure-renegotiation support (chain trust is checked offline later). Reading all of it every
time is what lets one handshake serve several observations.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from nassl.ephemeral_key_info import DhEphemeralKeyInfo, EcDhEphemeralKeyInfo, OpenSslEcNidEnum, OpenSslEvpPkeyEnum
from nassl.legacy_ssl_client import LegacySslClient
from nassl.ssl_client import (
    ExtendedMasterSecretSupportEnum,
    OpenSslDigestNidEnum,
    OpenSslVersionEnum,
    SslClient,
)
from sslyze.plugins.openssl_cipher_suites.cipher_suites import _OPENSSL_TO_RFC_NAMES_MAPPING
from sslyze.server_connectivity import TlsVersionEnum

from auditor.collectors.tls.probe import CountingServerInfo, Verdict, run_attempt
from auditor.evidence.tls import SSL3, TLS10, TLS11, TLS12, TLS13, KeyShare

SSLYZE_VERSION: dict[str, TlsVersionEnum] = {
    SSL3: TlsVersionEnum.SSL_3_0,
    TLS10: TlsVersionEnum.TLS_1_0,
    TLS11: TlsVersionEnum.TLS_1_1,
    TLS12: TlsVersionEnum.TLS_1_2,
    TLS13: TlsVersionEnum.TLS_1_3,
}

# Wire names (RFC 8422 / RFC 7027 / IANA registry) of the groups nassl can offer.
GROUP_NAMES: dict[OpenSslEcNidEnum, str] = {
    nid: (nid.name if nid.name.startswith("brainpool") else nid.name.lower()) for nid in OpenSslEcNidEnum
}
TLS13_GROUPS: tuple[OpenSslEcNidEnum, ...] = (
    OpenSslEcNidEnum.X25519,
    OpenSslEcNidEnum.SECP256R1,
    OpenSslEcNidEnum.SECP384R1,
    OpenSslEcNidEnum.SECP521R1,
    OpenSslEcNidEnum.X448,
)
#: Every suite an OpenSSL build of nassl can offer, PSK/SRP excluded (they need a shared secret).
ALL_SUITES = "ALL:COMPLEMENTOFALL:-PSK:-SRP"
#: Appended to every offer of nassl's modern client (OpenSSL 1.1.1). At its default
#: security level 1 OpenSSL silently leaves anonymous suites out of the ClientHello even
#: when the cipher string names them (and refuses tiny DH groups), so a probe at level 1
#: never sees TLS_DH_anon_* with SHA-256 or GCM, which only TLS 1.2 (the modern client's
#: pass) can carry. The legacy client (OpenSSL 1.0.2) has no security levels.
SECURITY_LEVEL_0 = "@SECLEVEL=0"
SigAlg = tuple[OpenSslDigestNidEnum, OpenSslEvpPkeyEnum]
#: TLS 1.2 signature algorithms with SHA-1, for every key type a server certificate may have.
SHA1_SIGALGS: tuple[SigAlg, ...] = tuple(
    (OpenSslDigestNidEnum.SHA1, key) for key in (OpenSslEvpPkeyEnum.RSA, OpenSslEvpPkeyEnum.EC, OpenSslEvpPkeyEnum.DSA)
)
_TLS13_SUITES = (
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
)


def iana_name(version: str, openssl_name: str) -> str:
    """IANA name of an OpenSSL suite name, from sslyze's mapping table."""
    if version == TLS13:
        return openssl_name
    return _OPENSSL_TO_RFC_NAMES_MAPPING[SSLYZE_VERSION[version]].get(openssl_name, openssl_name)


@functools.cache
def candidate_passes(version: str) -> tuple[tuple[bool, tuple[str, ...]], ...]:
    """The elimination passes for one version: (use legacy client, OpenSSL suite names).

    TLS 1.2 needs two passes because neither of nassl's OpenSSL builds knows every suite:
    the modern one first (it also reports EMS), then the legacy one for what only it
    knows (3DES, RC4, export, SEED, ...), de-duplicated by IANA name.
    """
    if version == TLS13:
        return ((False, _TLS13_SUITES),)
    legacy = LegacySslClient(ssl_version=OpenSslVersionEnum(SSLYZE_VERSION[version].value))
    legacy.set_cipher_list(ALL_SUITES)
    legacy_names = tuple(legacy.get_cipher_list())
    if version != TLS12:
        return ((True, legacy_names),)
    modern = SslClient(ssl_version=OpenSslVersionEnum.TLSV1_2)
    modern.set_cipher_list(f"{ALL_SUITES}:{SECURITY_LEVEL_0}")
    modern_names = tuple(n for n in modern.get_cipher_list() if n not in _TLS13_SUITES)
    known = {iana_name(TLS12, n) for n in modern_names}
    legacy_only = tuple(n for n in legacy_names if iana_name(TLS12, n) not in known)
    return ((False, modern_names), (True, legacy_only))


@dataclass(frozen=True)
class Handshake:
    """What one connection attempt showed."""

    verdict: Verdict
    version: str
    suite: str | None = None
    key_share: KeyShare | None = None
    chain_pem: tuple[str, ...] = ()
    ems: bool | None = None
    compression: bool | None = None
    secure_renegotiation: bool | None = None
    signature_digest: str | None = None  # digest of the server's handshake signature (modern client)

    @property
    def ok(self) -> bool:
        return self.verdict.kind == "ok"


def key_share_of(client: SslClient | LegacySslClient) -> KeyShare | None:
    try:
        info = client.get_ephemeral_key()
    except Exception:  # no key exchange info (RSA key transport) or a half-done handshake
        return None
    if isinstance(info, EcDhEphemeralKeyInfo):
        return KeyShare("ECDH", info.size, GROUP_NAMES.get(info.curve, info.curve_name))
    if isinstance(info, DhEphemeralKeyInfo):
        return KeyShare("DH", info.size, None)
    return None


def handshake(
    info: CountingServerInfo,
    version: str,
    *,
    legacy: bool,
    suites: tuple[str, ...] | None = None,
    groups: tuple[OpenSslEcNidEnum, ...] | None = None,
    sigalgs: tuple[SigAlg, ...] | None = None,
) -> Handshake:
    """One connection with exactly this offer; never raises for network or TLS errors."""
    assert info.state is not None
    try:
        connection = info.get_preconfigured_tls_connection(
            override_tls_version=SSLYZE_VERSION[version],
            should_use_legacy_openssl=legacy,
        )
    except Exception as exc:  # a client-side set-up error (bad cipher string, ...)
        return Handshake(Verdict("client-error", f"{type(exc).__name__}: {exc}"), version)
    client = connection.ssl_client
    try:
        below13 = suites if suites is not None and version != TLS13 else None
        if isinstance(client, SslClient):
            # Level 0 for the whole connection (in a TLS 1.3 handshake the list is not sent).
            client.set_cipher_list(":".join((*(below13 or (ALL_SUITES,)), SECURITY_LEVEL_0)))
        elif below13 is not None:
            client.set_cipher_list(":".join(below13))
        if suites is not None and version == TLS13:
            assert isinstance(client, SslClient)
            client.set_ciphersuites(":".join(suites))
        if groups is not None:
            assert isinstance(client, SslClient)
            client.set_groups(list(groups))
        if sigalgs is not None:
            assert isinstance(client, SslClient)
            client.set_signature_algorithms(list(sigalgs))
    except Exception as exc:
        connection.close()
        return Handshake(Verdict("client-error", f"{type(exc).__name__}: {exc}"), version)
    try:
        verdict, _ = run_attempt(info.state, connection)
        if verdict.kind != "ok":
            return Handshake(verdict, version)
        assert isinstance(client, SslClient | LegacySslClient)
        return _observe(verdict, version, client)
    finally:
        connection.close()


def _observe(verdict: Verdict, version: str, client: SslClient | LegacySslClient) -> Handshake:
    suite: str | None
    try:
        suite = client.get_current_cipher_name()
    except Exception:
        suite = None
    chain: tuple[str, ...] = ()
    ems: bool | None = None
    compression: bool | None = None
    reneg: bool | None = None
    try:
        chain = tuple(client.get_received_chain())
    except Exception:
        chain = ()
    if isinstance(client, SslClient) and version == TLS12:
        support = client.get_extended_master_secret_support()
        if support != ExtendedMasterSecretSupportEnum.UNKNOWN:
            ems = support == ExtendedMasterSecretSupportEnum.USED_IN_CURRENT_SESSION
    digest: str | None = None
    if isinstance(client, SslClient) and version in (TLS12, TLS13):
        try:
            digest = client.get_peer_signature_nid().name
        except Exception:  # no signature in this handshake (RSA key transport) or an unknown NID
            digest = None
    if isinstance(client, LegacySslClient):
        compression = bool(client.get_current_compression_method())
        reneg = client.get_secure_renegotiation_support()
    return Handshake(
        verdict=verdict,
        version=version,
        suite=suite,
        key_share=key_share_of(client),
        chain_pem=chain,
        ems=ems,
        compression=compression,
        secure_renegotiation=reneg,
        signature_digest=digest,
    )
