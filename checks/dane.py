"""DANE for SMTP (RFC 7672): TLSA records per MX, authenticated by DNSSEC, matching the
certificate chain the MX actually serves.

DANE is how a sending MTA knows, without trusting the WebPKI, that it talks to the
right server over TLS; BSI TR-03108 makes it mandatory for secure e-mail transport and
the DSK guidance expects it (or equivalent) where the risk is high. A published but
wrong TLSA record is worse than none: DANE-validating senders stop delivering.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from auditor.evidence.network import DaneLookup, MxHost
from auditor.models import Location, Need, Observation, Outcome, Severity, Status, msg
from auditor.registry import CheckContext, check


def _tlsa_fields(record: str) -> tuple[int, int, int, str] | None:
    parts = record.split()
    if len(parts) < 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2]), "".join(parts[3:]).lower()


def tlsa_matches(record: str, der: bytes) -> bool:
    """Does one TLSA record (``usage selector mtype data``) match one DER certificate?"""
    fields = _tlsa_fields(record)
    if fields is None:
        return False
    _, selector, mtype, data = fields
    if selector == 0:
        material = der
    elif selector == 1:
        material = (
            x509.load_der_x509_certificate(der)
            .public_key()
            .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        )
    else:
        return False
    digest: Callable[[bytes], str] | None = {
        0: lambda b: b.hex(),
        1: lambda b: hashlib.sha256(b).hexdigest(),
        2: lambda b: hashlib.sha512(b).hexdigest(),
    }.get(mtype)
    return digest is not None and digest(material) == data


def _scans_for(ctx: CheckContext, host: str) -> list[Any]:
    scans = getattr(ctx.evidence, "tls", ())
    return [s for s in scans if s.host == host and s.port == 25]


def _obs(lookup: DaneLookup) -> tuple[Observation, ...]:
    where = Location(dns_name=f"{lookup.name} TLSA")
    records = [Observation("TLSA", r, where) for r in lookup.answer.records] or [
        Observation("TLSA", lookup.answer.error or lookup.answer.status, where)
    ]
    dnssec = msg("dane.obs.dnssec", state=lookup.dnssec, reason=lookup.validation)
    return (*records, Observation("DNSSEC", dnssec, where))


@check("dane.tlsa", needs=[Need.NETWORK, Need.ENDPOINTS], area="dns")
def dane_tlsa(ctx: CheckContext) -> Iterator[Outcome]:
    """Per MX. Pass: DNSSEC-authenticated TLSA records of usage 2 or 3, one of which matches
    the chain served on port 25 (every address). Fail: records without DNSSEC (ignored by
    senders), bogus signatures, or no record matching the served chain (DANE senders stop
    delivering). Warn: no TLSA at all (DANE not deployed), or only usage 0/1, which RFC 7672
    §3.1.3 says not to use for SMTP. Error: lookup failed, or no chain to compare with."""
    discovery = ctx.evidence.discovery
    if discovery is None or not discovery.mx_hosts:
        yield Outcome(Status.ERROR, ctx.evidence.target.domain or "-", msg("dane.no-mx"))
        return
    lookups = {d.mx_host: d for d in ctx.evidence.dane}
    for host in discovery.mx_hosts:
        lookup = lookups.get(host.name)
        if lookup is None:
            yield Outcome(Status.ERROR, host.name, msg("dane.not-collected"))
            continue
        obs = _obs(lookup)
        answer = lookup.answer
        if answer.status in ("timeout", "servfail", "error") or lookup.dnssec == "indeterminate":
            yield Outcome(
                Status.ERROR, host.name, msg("dane.lookup-failed", why=answer.error or lookup.validation), obs
            )
            continue
        if lookup.dnssec == "bogus":
            yield Outcome(
                Status.FAIL,
                host.name,
                msg("dane.bogus", name=lookup.name, why=lookup.validation),
                obs,
                severity=Severity.HIGH,
            )
            continue
        if not answer.ok:
            yield Outcome(Status.WARN, host.name, msg("dane.none", name=lookup.name), obs)
            continue
        if lookup.dnssec != "secure":
            yield Outcome(
                Status.FAIL,
                host.name,
                msg("dane.insecure"),
                obs,
            )
            continue
        records = [r for r in answer.records if _tlsa_fields(r) is not None]
        dane_records = [r for r in records if _tlsa_fields(r)[0] in (2, 3)]  # type: ignore[index]
        if not dane_records:
            yield Outcome(
                Status.WARN,
                host.name,
                msg("dane.pkix-only"),
                obs,
                severity=Severity.LOW,
            )
            continue
        yield from _match(ctx, host, dane_records, obs)


def _match(ctx: CheckContext, mx: MxHost, records: list[str], obs: tuple[Observation, ...]) -> Iterator[Outcome]:
    host = mx.name
    chains = {s.ip: s for s in _scans_for(ctx, host) if s.certificate is not None and s.certificate.chain_der_b64}
    if not chains:
        yield Outcome(
            Status.ERROR,
            host,
            msg("dane.no-chain"),
            obs,
        )
        return
    # Every address of the MX: a sender may reach any of them, so one without a chain is
    # unverified, not left out.
    for ip in mx.addresses or tuple(chains):
        scan = chains.get(ip)
        if scan is None:
            yield Outcome(
                Status.ERROR,
                f"{host}[{ip}]:25",
                msg("dane.no-chain-address"),
                obs,
                key=ip,
            )
            continue
        assert scan.certificate is not None
        chain = [base64.b64decode(c) for c in scan.certificate.chain_der_b64]
        matched = []
        for record in records:
            usage = _tlsa_fields(record)[0]  # type: ignore[index]
            # DANE-EE (3) pins the server's own certificate; DANE-TA (2) a CA certificate
            # the server sends in its chain (RFC 7672 §3.1.2 requires it to be sent).
            candidates = chain[:1] if usage == 3 else chain[1:]
            if any(tlsa_matches(record, der) for der in candidates):
                matched.append(record)
        subject = f"{host}[{scan.ip}]:25"
        where = Location(host=scan.ip, port=25)
        served = Observation(msg("dane.obs.served-leaf"), hashlib.sha256(chain[0]).hexdigest(), where)
        if matched:
            yield Outcome(Status.PASS, subject, msg("dane.match", record=matched[0]), (*obs, served), key=scan.ip)
        else:
            yield Outcome(
                Status.FAIL,
                subject,
                msg("dane.mismatch"),
                (*obs, served),
                severity=Severity.HIGH,
                key=scan.ip,
            )
