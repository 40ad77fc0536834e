"""sslyze's vulnerability probes, run only where they can tell us something.

The enumeration already knows which versions and suites the server accepts, so several
probes are decided without a connection: Heartbleed cannot affect a TLS 1.3-capable
OpenSSL (sslyze's own rule), compression and renegotiation do not exist in TLS 1.3,
a fallback-SCSV test needs a lower version to fall back to, and ROBOT is an oracle on
RSA key transport, so without an accepted ``TLS_RSA_*`` suite there is nothing to test.

ROBOT is the expensive one (sslyze runs it three times, 6-12 connections each, to rule
out flukes). We run one round: a strong or weak oracle seen once is already worth a
finding, and three rounds would take most of a 40-connection budget on the very hosts
(old RSA servers) that also have the most suites to enumerate. The price is that an
intermittent oracle can go unseen; the detail text says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nassl._nassl import OpenSSLError
from nassl.legacy_ssl_client import LegacySslClient
from sslyze.plugins.fallback_scsv_plugin import _test_scsv
from sslyze.plugins.heartbleed_plugin import _test_heartbleed
from sslyze.plugins.robot._robot_tester import (
    RobotScanResultEnum,
    RobotServerResponsesAnalyzer,
    ServerDoesNotSupportRsa,
    test_robot,
)

from auditor.collectors.tls.handshake import ALL_SUITES, SSLYZE_VERSION
from auditor.collectors.tls.probe import CountingServerInfo, classify, run_attempt
from auditor.evidence.tls import TLS13, VERSIONS, AcceptedSuite, VulnResult
from auditor.models import Message, msg

_RENEGOTIATIONS = 3  # a server that honours three in a row has no effective limit


def _attempt(info: CountingServerInfo, name: str, func: Callable[[], Any]) -> tuple[Any, VulnResult | None]:
    """Run one sslyze probe; a failure becomes an ``error`` result (or throttling)."""
    assert info.state is not None
    before = info.state.connections
    try:
        return func(), None
    except Exception as exc:
        verdict = classify(exc)
        if verdict.kind == "failed":
            info.state.connection_failed(verdict.reason, verdict.temporary_reply)
        status = "not-run" if verdict.kind == "stopped" else "error"
        reason = verdict.reason or f"{type(exc).__name__}: {exc}"
        return None, VulnResult(name, status, reason, info.state.connections - before)


def _seen(name: str, value: bool) -> VulnResult:
    if name == "compression":
        return VulnResult(name, "vulnerable" if value else "ok", msg("tls.vuln.d.compression-seen"))
    return VulnResult(name, "ok" if value else "vulnerable", msg("tls.vuln.d.rfc5746-seen"))


def _renegotiation_probe(info: CountingServerInfo, version: str) -> tuple[bool, bool, int] | None:
    """Compression, RFC 5746 support and client-initiated renegotiation in ONE connection.

    Hand-written instead of sslyze's two renegotiation jobs plus its compression job
    (three connections asking one legacy-client handshake three questions). Any error
    while renegotiating counts as a refusal, as in sslyze's own list of refusal errors.
    Returns None when the legacy client shares no suite with the server.
    """
    assert info.state is not None
    connection = info.get_preconfigured_tls_connection(
        override_tls_version=SSLYZE_VERSION[version], should_use_legacy_openssl=True
    )
    client = connection.ssl_client
    assert isinstance(client, LegacySslClient)
    client.set_cipher_list(ALL_SUITES)
    try:
        verdict, exc = run_attempt(info.state, connection)
        if verdict.kind == "refused":
            return None
        if verdict.kind != "ok":
            raise exc if exc is not None else RuntimeError(verdict.reason)
        compression = bool(client.get_current_compression_method())
        secure = client.get_secure_renegotiation_support()
        honoured = 0
        try:
            for _ in range(_RENEGOTIATIONS):
                client.do_renegotiate()
                honoured += 1
        except (OSError, OpenSSLError):
            pass  # refused (alert, reset or timeout)
        return compression, secure, honoured
    finally:
        connection.close()


def run_vulnerabilities(
    info: CountingServerInfo,
    protocols: dict[str, bool | None],
    suites: dict[str, tuple[AcceptedSuite, ...]],
    compression: bool | None,
    secure_reneg: bool | None,
) -> tuple[VulnResult, ...]:
    """Heartbleed, ROBOT, compression, renegotiation and fallback SCSV for one scan.

    ``compression`` / ``secure_reneg``: what earlier handshakes already showed, used when
    the dedicated probe cannot run."""
    assert info.state is not None
    state = info.state
    results: list[VulnResult] = []
    accepted = [v for v in VERSIONS if protocols.get(v)]
    legacy_versions = [v for v in accepted if v != TLS13]

    def counted(name: str, func: Callable[[], Any], judge: Callable[[Any], tuple[str, Message]]) -> Any:
        before = state.connections
        value, failure = _attempt(info, name, func)
        if failure is not None:
            results.append(failure)
            return None
        status, detail = judge(value)
        results.append(VulnResult(name, status, detail, state.connections - before))
        return value

    if protocols.get(TLS13):
        results.append(VulnResult("heartbleed", "ok", msg("tls.vuln.d.tls13-post-dates-heartbleed")))
    else:
        counted(
            "heartbleed",
            lambda: _test_heartbleed(info),
            lambda v: ("vulnerable", msg("tls.vuln.d.heartbleed-leak")) if v else ("ok", msg("tls.vuln.d.no-leak")),
        )

    if not legacy_versions:
        for name in ("compression", "secure-renegotiation", "client-renegotiation", "fallback-scsv"):
            results.append(VulnResult(name, "not-applicable", msg("tls.vuln.d.only-tls13")))
        results.append(VulnResult("robot", "not-applicable", msg("tls.vuln.d.only-tls13")))
        return tuple(results)

    before = state.connections
    value, failure = _attempt(info, "renegotiation", lambda: _renegotiation_probe(info, legacy_versions[-1]))
    spent = state.connections - before
    if failure is not None or value is None:
        reason = failure.detail if failure is not None else msg("tls.vuln.d.no-shared-suite")
        status = failure.status if failure is not None else "error"
        for name in ("compression", "secure-renegotiation", "client-renegotiation"):
            seen = {"compression": compression, "secure-renegotiation": secure_reneg}.get(name)
            if seen is None:
                results.append(VulnResult(name, status, reason, spent))
            else:
                results.append(_seen(name, seen))
    else:
        compression, secure_reneg, honoured = value
        results.append(
            VulnResult(
                "compression",
                "vulnerable" if compression else "ok",
                msg("tls.vuln.d.compression") if compression else msg("tls.vuln.d.no-compression"),
                spent,
            )
        )
        results.append(
            VulnResult(
                "secure-renegotiation",
                "ok" if secure_reneg else "vulnerable",
                msg("tls.vuln.d.rfc5746-supported" if secure_reneg else "tls.vuln.d.rfc5746-unsupported"),
            )
        )
        results.append(
            VulnResult(
                "client-renegotiation",
                "vulnerable" if honoured else "ok",
                msg("tls.vuln.d.renegotiations-honoured", count=honoured)
                if honoured
                else msg("tls.vuln.d.renegotiation-refused"),
            )
        )

    highest_legacy = legacy_versions[-1]
    lower = VERSIONS[VERSIONS.index(highest_legacy) - 1] if VERSIONS.index(highest_legacy) > 0 else None
    if lower is not None and protocols.get(lower):
        counted(
            "fallback-scsv",
            lambda: _test_scsv(info),
            lambda v: ("ok", msg("tls.vuln.d.fallback-refused")) if v else ("vulnerable", msg("tls.vuln.d.downgrade")),
        )
    else:
        results.append(
            VulnResult("fallback-scsv", "not-applicable", msg("tls.vuln.d.no-lower-version", version=highest_legacy))
        )

    rsa_kx = [s.name for v in legacy_versions for s in suites.get(v, ()) if s.name.startswith("TLS_RSA_WITH_")]
    if not rsa_kx:
        results.append(VulnResult("robot", "not-applicable", msg("tls.vuln.d.no-rsa-suite")))
    else:

        def judge_robot(responses: Any) -> tuple[str, Message]:
            verdict = RobotServerResponsesAnalyzer({k: [v] for k, v in responses.items()}, 1).compute_result_enum()
            if verdict in (RobotScanResultEnum.VULNERABLE_STRONG_ORACLE, RobotScanResultEnum.VULNERABLE_WEAK_ORACLE):
                return "vulnerable", msg("tls.vuln.d.robot-one-round", verdict=verdict.value.lower())
            return "ok", msg("tls.vuln.d.robot-one-round-ok", verdict=verdict.value.lower())

        def robot() -> Any:
            try:
                return test_robot(info)
            except ServerDoesNotSupportRsa:
                return None

        before = state.connections
        value, failure = _attempt(info, "robot", robot)
        if failure is not None:
            results.append(failure)
        elif value is None:
            results.append(VulnResult("robot", "ok", msg("tls.vuln.d.rsa-refused"), state.connections - before))
        else:
            status, detail = judge_robot(value)
            results.append(VulnResult("robot", status, detail, state.connections - before))
    return tuple(results)
