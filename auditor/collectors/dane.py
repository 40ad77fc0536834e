"""Collect TLSA records per MX with their DNSSEC status (RFC 7672 DANE for SMTP).

The records alone prove nothing: senders use them only when DNSSEC authenticates
them, so the evidence keeps the validation verdict next to the records. The verdict is
our own (:mod:`auditor.collectors.dnssec`, from the root anchors down); the resolver's
AD bit is only mentioned beside it. Matching the
records against the certificate chain the server really sends is the check's job
(it reads the TLS scans).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.exception
import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver

from auditor.collectors.dnsclient import DnsClient
from auditor.collectors.dnssec import validator_for
from auditor.deadline import DeadlineExpired
from auditor.evidence.network import DaneLookup, DnsAnswer, MxHost
from auditor.models import msg

MAX_TLSA = 16


def collect_dane(
    mx_hosts: Sequence[MxHost], dns_client: DnsClient, *, trust_anchor: Path | None = None, timeout: float = 3.0
) -> tuple[DaneLookup, ...]:
    """TLSA of every MX, validated by us from the root anchors (plus ``trust_anchor``)."""
    validator = validator_for(dns_client, trust_anchor, timeout)

    def lookup(host: MxHost) -> DaneLookup:
        name = f"_25._tcp.{host.name}"
        if validator is None:
            return DaneLookup(
                host.name, name, DnsAnswer(name, "TLSA", "error", error=msg("dnssec.no-server")), "indeterminate"
            )
        try:
            response = validator.query(name, "TLSA")
        except (dns.exception.Timeout, DeadlineExpired):
            timeout = msg("dns.answer.timeout-short", name=name)
            return DaneLookup(host.name, name, DnsAnswer(name, "TLSA", "timeout", error=timeout), "indeterminate")
        except (dns.exception.DNSException, OSError) as exc:
            return DaneLookup(
                host.name, name, DnsAnswer(name, "TLSA", "error", error=f"{name}: {exc}"), "indeterminate"
            )
        answer = _answer(response, name)
        if answer.status in ("servfail", "error"):
            return DaneLookup(host.name, name, answer, "indeterminate", answer.error or "")
        verdict = validator.verify(response, name, "TLSA")
        reason = msg("dnssec.ad-bit", reason=verdict.reason) if response.flags & dns.flags.AD else verdict.reason
        return DaneLookup(host.name, name, answer, verdict.state, reason)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return tuple(pool.map(lookup, mx_hosts))


def _answer(response: dns.message.Message, name: str) -> DnsAnswer:
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return DnsAnswer(name, "TLSA", "nxdomain", error=msg("dns.answer.nxdomain-short", name=name))
    if rcode != dns.rcode.NOERROR:
        return DnsAnswer(name, "TLSA", "servfail", error=f"{name}: {dns.rcode.to_text(rcode)}")
    owner = dns.name.from_text(name)
    records = [
        r.to_text()
        for rrset in response.answer
        if rrset.name == owner and rrset.rdtype == dns.rdatatype.TLSA
        for r in rrset
    ]
    if not records:
        return DnsAnswer(name, "TLSA", "nodata", error=msg("dns.answer.nodata", name=name, rdtype="TLSA"))
    return DnsAnswer(name, "TLSA", "ok", records=tuple(records[:MAX_TLSA]))
