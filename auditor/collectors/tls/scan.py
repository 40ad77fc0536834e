"""One endpoint on one IP: versions, suites and groups by elimination, then the rest.

Elimination: offer every candidate suite of a version, note the suite the server picks,
drop it from the offer and repeat until the server refuses with a TLS answer. The first
step doubles as the version probe and its chain as the certificate sample, so a
version costs (accepted suites + 1) handshakes. A step that fails for a non-TLS reason
stops the chain and leaves the version marked incomplete, never "not accepted".
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from nassl._nassl import X509
from nassl.cert_chain_verifier import CertificateChainVerificationFailed, CertificateChainVerifier
from nassl.ephemeral_key_info import OpenSslEcNidEnum
from sslyze.connection_helpers.opportunistic_tls_helpers import ProtocolWithOpportunisticTlsEnum
from sslyze.server_connectivity import ClientAuthRequirementEnum, ServerTlsProbingResult
from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation

from auditor.collectors.limiter import Gate, Pace
from auditor.collectors.tls.certificate import observe_chain
from auditor.collectors.tls.handshake import (
    GROUP_NAMES,
    SHA1_SIGALGS,
    SSLYZE_VERSION,
    TLS13_GROUPS,
    Handshake,
    candidate_passes,
    handshake,
    iana_name,
)
from auditor.collectors.tls.probe import CountingServerInfo, ScanState
from auditor.collectors.tls.vulns import run_vulnerabilities
from auditor.evidence.tls import (
    TLS12,
    TLS13,
    VERSIONS,
    AcceptedSuite,
    CertificateObservation,
    Negotiated,
    TlsScan,
    VulnResult,
)
from auditor.models import Message, msg

STARTTLS_PROTOCOL: dict[str, ProtocolWithOpportunisticTlsEnum] = {
    "smtp": ProtocolWithOpportunisticTlsEnum.SMTP,
    "submission": ProtocolWithOpportunisticTlsEnum.SMTP,
    "imap": ProtocolWithOpportunisticTlsEnum.IMAP,
    "pop3": ProtocolWithOpportunisticTlsEnum.POP3,
}


@dataclass(frozen=True)
class ScanTarget:
    host: str
    ip: str
    port: int
    proto: str
    tls_mode: str


@dataclass
class _Chain:
    """Result of one elimination pass."""

    version: str
    accepted: list[AcceptedSuite] = field(default_factory=list)
    first: Handshake | None = None
    refused: bool = False  # ended with a TLS-level refusal: the list is complete
    problem: str | None = None


def _server_info(target: ScanTarget, state: ScanState, ehlo: str, timeout: int) -> CountingServerInfo:
    location = ServerNetworkLocation(hostname=target.host, port=target.port, ip_address=target.ip)
    starttls = STARTTLS_PROTOCOL.get(target.proto) if target.tls_mode == "starttls" else None
    config = ServerNetworkConfiguration(
        tls_server_name_indication=target.host,
        tls_opportunistic_encryption=starttls,
        smtp_ehlo_hostname=ehlo if starttls == ProtocolWithOpportunisticTlsEnum.SMTP else None,
        network_timeout=timeout,
        network_max_retries=1,
    )
    # We do our own version probing (it is the first elimination step), so sslyze's
    # connectivity test, which would cost several more connections, is not run; the
    # probing result is filled from what the enumeration found.
    probing = ServerTlsProbingResult(
        highest_tls_version_supported=SSLYZE_VERSION[TLS13],
        cipher_suite_supported="",
        client_auth_requirement=ClientAuthRequirementEnum.DISABLED,
        supports_ecdh_key_exchange=True,
    )
    return CountingServerInfo(location, config, probing, state=state)


def _eliminate(
    info: CountingServerInfo,
    version: str,
    legacy: bool,
    candidates: tuple[str, ...],
    first_seen: tuple[threading.Event, list[Handshake]] | None = None,
) -> _Chain:
    """Elimination chain; ``first_seen`` receives the first handshake as soon as it is known."""
    try:
        return _eliminate_steps(info, version, legacy, candidates, first_seen)
    finally:
        if first_seen is not None:
            first_seen[0].set()


def _eliminate_steps(
    info: CountingServerInfo,
    version: str,
    legacy: bool,
    candidates: tuple[str, ...],
    first_seen: tuple[threading.Event, list[Handshake]] | None,
) -> _Chain:
    chain = _Chain(version)
    remaining = list(candidates)
    while remaining:
        result = handshake(info, version, legacy=legacy, suites=tuple(remaining))
        if chain.first is None:
            chain.first = result
            if first_seen is not None:
                first_seen[1].append(result)
                first_seen[0].set()
        if result.verdict.kind == "refused":
            chain.refused = True
            return chain
        if not result.ok:
            chain.problem = result.verdict.reason or result.verdict.kind
            return chain
        picked = result.suite
        if picked is None or picked not in remaining:
            chain.problem = f"server chose {picked!r}, which was not offered"
            return chain
        remaining.remove(picked)
        chain.accepted.append(AcceptedSuite(iana_name(version, picked), picked, result.key_share))
    chain.refused = True  # every candidate accepted: nothing left to find
    return chain


def _eliminate_groups(
    info: CountingServerInfo, version: str, candidates: tuple[OpenSslEcNidEnum, ...], ecdhe_suites: tuple[str, ...]
) -> tuple[list[str], str | None]:
    """Groups by elimination; returns (accepted group names, problem or None)."""
    remaining = list(candidates)
    found: list[str] = []
    while remaining:
        result = handshake(
            info, version, legacy=False, suites=ecdhe_suites if version != TLS13 else None, groups=tuple(remaining)
        )
        if result.verdict.kind == "refused":
            return found, None
        if not result.ok:
            return found, result.verdict.reason or result.verdict.kind
        share = result.key_share
        if share is None or share.kind != "ECDH":
            return found, None  # fell back to a non-EC key exchange: no offered group is supported
        match = [nid for nid in remaining if GROUP_NAMES[nid] == share.group]
        if not match:
            return found, f"server chose group {share.group!r}, which was not offered"
        remaining.remove(match[0])
        found.append(GROUP_NAMES[match[0]])
    return found, None


def _sha1_signatures(
    info: CountingServerInfo, state: ScanState, accepted12: tuple[AcceptedSuite, ...]
) -> tuple[bool | None, str | None]:
    """One handshake offering only SHA-1 signature algorithms with the server's own
    forward-secret TLS 1.2 suites: (signs with SHA-1?, problem). Not applicable (None,
    None) without such a suite: RSA key transport signs nothing, and suites only nassl's
    legacy client knows cannot carry a signature-algorithm offer."""
    modern = set(candidate_passes(TLS12)[0][1])
    signed = tuple(
        s.openssl_name for s in accepted12 if s.name.startswith(("TLS_ECDHE_", "TLS_DHE_")) and s.openssl_name in modern
    )
    if not signed:
        return None, None
    if (stopped := state.stop_reason()) is not None:
        return None, stopped
    result = handshake(info, TLS12, legacy=False, suites=signed, sigalgs=SHA1_SIGALGS)
    if result.verdict.kind == "refused":
        return False, None
    if not result.ok:
        return None, result.verdict.reason or result.verdict.kind
    return result.signature_digest == "SHA1", None


def _trust(chain_pem: tuple[str, ...], store: Path) -> tuple[bool | None, str | None]:
    """Chain validation against the trust store, without a name check (nassl/OpenSSL)."""
    try:
        verifier = CertificateChainVerifier.from_file(store)
        verifier.verify([X509(pem) for pem in chain_pem])
        return True, None
    except CertificateChainVerificationFailed as exc:
        return False, exc.openssl_error_string
    except Exception as exc:
        return None, f"could not validate the chain: {type(exc).__name__}: {exc}"


def _vulnerabilities(
    info: CountingServerInfo,
    state: ScanState,
    protocols: dict[str, bool | None],
    suites: dict[str, tuple[AcceptedSuite, ...]],
    compression: bool | None,
    reneg: bool | None,
) -> tuple[VulnResult, ...]:
    """sslyze's probes need a connectivity result: build it from what the enumeration found."""
    highest = max((v for v in VERSIONS if protocols.get(v)), key=VERSIONS.index)
    below13 = [v for v in VERSIONS if protocols.get(v) and v != TLS13]
    hint = suites[below13[-1]][0].openssl_name if below13 else ""
    probing = ServerTlsProbingResult(
        highest_tls_version_supported=SSLYZE_VERSION[highest],
        cipher_suite_supported=hint if highest != TLS13 else suites[TLS13][0].openssl_name,
        client_auth_requirement=ClientAuthRequirementEnum.DISABLED,
        supports_ecdh_key_exchange=True,
    )
    vinfo = CountingServerInfo(info.server_location, info.network_configuration, probing, state=state)
    return run_vulnerabilities(vinfo, protocols, suites, compression, reneg)


def scan_target(
    target: ScanTarget,
    *,
    trust_store: Path,
    trust_label: str,
    deadline: float,
    budget: int | None,
    gate: Gate,
    pacer: Pace | None = None,
    concurrency: int,
    ehlo: str,
    timeout: int,
) -> TlsScan:
    """Scan one IP:port; never raises, everything odd becomes an error or an incomplete item."""
    started = time.monotonic()
    state = ScanState(budget=budget, deadline=deadline, gate=gate, pacer=pacer)
    info = _server_info(target, state, ehlo, timeout)
    incomplete: list[str] = []
    protocols: dict[str, bool | None] = {}
    suites: dict[str, tuple[AcceptedSuite, ...]] = {}

    # Work-conserving schedule for the per-IP slots: suite chains best version first,
    # and the TLS 1.3 group chain as soon as the first TLS 1.3 handshake has answered.
    passes = [(v, legacy, names) for v in reversed(VERSIONS) for legacy, names in candidate_passes(v)]
    tls13_seen: tuple[threading.Event, list[Handshake]] = (threading.Event(), [])

    def groups13() -> tuple[list[str], str | None, bool]:
        tls13_seen[0].wait(timeout=max(deadline - time.monotonic(), 0.0))
        if not (tls13_seen[1] and tls13_seen[1][0].ok) or state.stop_reason() is not None:
            return [], None, False
        found, problem = _eliminate_groups(info, TLS13, TLS13_GROUPS, ())
        return found, problem, True

    def run_pass(p: tuple[str, bool, tuple[str, ...]]) -> _Chain:
        return _eliminate(info, p[0], p[1], p[2], tls13_seen if p[0] == TLS13 else None)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="tls-chain") as pool:
        futures = [pool.submit(run_pass, p) for p in passes[:2]]
        group_future = pool.submit(groups13)
        futures += [pool.submit(run_pass, p) for p in passes[2:]]
        chains = [f.result() for f in futures]
        groups13_result = group_future.result()

    for version in VERSIONS:
        mine = [c for c in chains if c.version == version]
        accepted = [s for c in mine for s in c.accepted]
        if accepted:
            protocols[version] = True
            suites[version] = tuple(accepted)
        elif all(c.refused for c in mine):
            protocols[version] = False
        else:
            protocols[version] = None
            incomplete.append(f"protocol:{version}")
        if accepted and not all(c.refused for c in mine):
            incomplete.append(f"suites:{version}")

    oks = [c.first for c in chains if c.first is not None and c.first.ok]
    certificate: CertificateObservation | None = None
    negotiated: Negotiated | None = None
    sample = next((h for h in oks if h.chain_pem), None)
    if sample is not None:
        try:
            trusted, why = _trust(sample.chain_pem, trust_store)
            certificate = observe_chain(sample.chain_pem, target.host, trust_label, trusted, why)
        except Exception as exc:
            state.errors.append(msg("tls.scan.cert-undecodable", error=f"{type(exc).__name__}: {exc}"))
    if oks:
        best = oks[0]  # passes run best version first
        ems = next((h.ems for h in oks if h.version == TLS12 and h.ems is not None), None)
        negotiated = Negotiated(best.version, iana_name(best.version, best.suite or ""), best.key_share, ems)
    elif state.fatal is None and state.throttled_after is None:
        state.errors.append(msg("tls.scan.no-version"))

    groups, problem13, ran13 = groups13_result
    group_versions = [TLS13] if ran13 else []
    if problem13:
        incomplete.append(f"groups:{TLS13}")
        state.errors.append(msg("tls.scan.groups-problem", version=TLS13, problem=problem13))
    if protocols.get(TLS13) is not False and not ran13:
        incomplete.append(f"groups:{TLS13}")

    def groups12() -> tuple[list[str], str | None, bool]:
        ecdhe = tuple(s.openssl_name for s in suites.get(TLS12, ()) if s.name.startswith("TLS_ECDHE_"))
        if not ecdhe or state.stop_reason() is not None:
            return [], None, bool(ecdhe)
        rest = tuple(nid for nid in OpenSslEcNidEnum if GROUP_NAMES[nid] not in groups)
        found, problem = _eliminate_groups(info, TLS12, rest, ecdhe)
        return found, problem, False

    vulns: tuple[VulnResult, ...] = ()
    compression = next((h.compression for h in oks if h.compression is not None), None)
    reneg = next((h.secure_renegotiation for h in oks if h.secure_renegotiation is not None), None)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="tls-post") as pool:
        group_future2 = pool.submit(groups12)
        sha1_future = pool.submit(_sha1_signatures, info, state, suites.get(TLS12, ()))
        if any(protocols.values()) and state.stop_reason() is None:
            vulns = _vulnerabilities(info, state, protocols, suites, compression, reneg)
            incomplete += [f"vulnerability:{v.name}" for v in vulns if v.status in ("not-run", "error")]
        elif any(protocols.values()):
            incomplete.append("vulnerabilities")
        found12, problem12, skipped12 = group_future2.result()
        sha1_signatures, sha1_problem = sha1_future.result()
    if sha1_problem:
        incomplete.append(f"signatures:{TLS12}")
        state.errors.append(msg("tls.scan.sha1-problem", version=TLS12, problem=sha1_problem))
    groups += found12
    if found12 or problem12 or (not skipped12 and any(s.name.startswith("TLS_ECDHE_") for s in suites.get(TLS12, ()))):
        group_versions.append(TLS12)
    if problem12 or skipped12:
        incomplete.append(f"groups:{TLS12}")
        if problem12:
            state.errors.append(msg("tls.scan.groups-problem", version=TLS12, problem=problem12))

    stop = state.stop()
    reason = stop.message if stop is not None else None
    errors: list[str | Message] = []
    for error in state.errors:  # messages are not hashable: no dict.fromkeys
        if error not in errors:
            errors.append(error)
    if state.fatal:
        errors.insert(0, msg("tls.scan.no-session", reason=state.fatal_reason or ""))
    elif reason and incomplete and reason not in errors:
        errors.append(reason)
    return TlsScan(
        host=target.host,
        ip=target.ip,
        port=target.port,
        proto=target.proto,
        tls_mode=target.tls_mode,
        protocols=protocols,
        suites=suites,
        groups=tuple(groups),
        groups_version=",".join(group_versions) or None,
        certificate=certificate,
        negotiated=negotiated,
        sha1_signatures=sha1_signatures,
        vulnerabilities=tuple(vulns),
        connections=state.connections,
        throttled_after=state.throttled_after,
        stopped=stop if incomplete else None,
        errors=tuple(errors),
        incomplete=tuple(dict.fromkeys(incomplete)),
        elapsed_s=round(time.monotonic() - started, 3),
    )
