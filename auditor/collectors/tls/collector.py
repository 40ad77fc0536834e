"""Entry point: scan every IP of every TLS endpoint, in parallel, politely, in time.

Parallel across IPs and endpoints (one thread pool), but at most ``per_ip_concurrency``
open connections to any one IP address at any moment, whatever port they go to, and
connection starts to one IP at least ``per_ip_pace`` seconds apart: mail servers count
connections per client IP, not per port. There is no fixed connection cap by default:
the enumeration is bounded by itself (about one handshake per accepted suite), and a
scan stops at the first sign of throttling and names what stayed unknown. The optional
``per_ip_budget`` cap applies to each (IP, port) scan, since every service on a host is
a separate daemon with its own rate limits (Postfix anvil per smtpd service, Dovecot per
login process).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from auditor.collectors.limiter import IpLimiter, LocalLimiter
from auditor.collectors.tls.scan import ScanTarget, scan_target
from auditor.evidence.network import Endpoint
from auditor.evidence.outcomes import ErrorKind, Failure
from auditor.evidence.tls import TlsScan

DEFAULT_EHLO = "auditor.invalid"
#: Seconds between connection starts to one IP: at most 20 new connections a second,
#: so even a weak server's ~120-connection enumeration is spread over several seconds.
DEFAULT_PACE_S = 0.05
_FALLBACK_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def system_trust_store() -> Path:
    """The platform's CA bundle (what a mail client on this machine would trust)."""
    cafile = ssl.get_default_verify_paths().cafile
    return Path(cafile) if cafile else _FALLBACK_BUNDLE


def targets_of(endpoints: Sequence[Endpoint]) -> list[ScanTarget]:
    """One target per (endpoint, address); endpoints without TLS are not scanned here."""
    seen: set[tuple[str, str, int]] = set()
    targets: list[ScanTarget] = []
    for ep in endpoints:
        if ep.tls not in ("starttls", "implicit"):
            continue
        for ip in ep.addresses:
            key = (ep.host.lower(), ip, ep.port)
            if key in seen:
                continue
            seen.add(key)
            targets.append(ScanTarget(ep.host, ip, ep.port, ep.proto, ep.tls))
    return targets


def unreachable(target: ScanTarget, reason: str, kind: ErrorKind = ErrorKind.ERROR) -> TlsScan:
    return TlsScan(
        host=target.host,
        ip=target.ip,
        port=target.port,
        proto=target.proto,
        tls_mode=target.tls_mode,
        errors=(reason,),
        incomplete=("all",),
        stopped=Failure(kind, reason),
    )


def collect_tls(
    endpoints: Sequence[Endpoint],
    *,
    ca_file: str | None,
    deadline: float,
    per_ip_budget: int | None = None,
    per_ip_concurrency: int = 2,
    per_ip_pace: float = DEFAULT_PACE_S,
    ehlo_hostname: str = DEFAULT_EHLO,
    network_timeout: int = 10,
    max_workers: int = 16,
    limiter: IpLimiter | None = None,
) -> tuple[TlsScan, ...]:
    """Scan all TLS endpoints; ``deadline`` is an absolute ``time.monotonic()`` value.

    Returns one :class:`TlsScan` per (endpoint, IP) in input order. Nothing raises for
    network trouble: unreachable, throttled or cut-short scans say so in their fields.
    """
    targets = targets_of(endpoints)
    store = Path(ca_file) if ca_file else system_trust_store()
    label = f"ca-file:{ca_file}" if ca_file else "system"
    # One limiter for the whole run (a fleet shares it across domains and workers).
    ip_limiter = limiter or LocalLimiter(per_ip_concurrency, per_ip_pace)
    gates = {t.ip: ip_limiter.gate(t.ip) for t in targets}
    pacers = {t.ip: ip_limiter.pacer(t.ip) for t in targets}

    def one(target: ScanTarget) -> TlsScan:
        if time.monotonic() >= deadline:
            return unreachable(target, "deadline reached before the scan started", ErrorKind.DEADLINE)
        try:
            return scan_target(
                target,
                trust_store=store,
                trust_label=label,
                deadline=deadline,
                budget=per_ip_budget,
                gate=gates[target.ip],
                pacer=pacers[target.ip],
                concurrency=ip_limiter.per_ip_concurrency,
                ehlo=ehlo_hostname,
                timeout=network_timeout,
            )
        except Exception as exc:  # a bug or an unexpected library error: report, go on
            return unreachable(target, f"scanner error: {type(exc).__name__}: {exc}")

    if not targets:
        return ()
    with ThreadPoolExecutor(max_workers=min(max_workers, len(targets)), thread_name_prefix="tls") as pool:
        return tuple(pool.map(one, targets))
