"""Builders for evidence fixtures: realistic bundles without any network."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from auditor.evidence import Evidence, Target
from auditor.evidence.network import Discovery, DnsAnswer, Endpoint, HttpFetch, MailDns, MxHost, PreviousPolicy
from auditor.models import msg

DOMAIN = "example.org"
GOOD_POLICY = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmx: *.example.org\nmax_age: 1209600\n"


def txt(name: str, *records: str) -> DnsAnswer:
    if not records:
        return DnsAnswer(name, "TXT", "nodata", error=msg("dns.answer.nodata", name=name, rdtype="TXT"))
    return DnsAnswer(name, "TXT", "ok", records=records, ttl=300)


def policy_fetch(body: str = GOOD_POLICY, **changes: Any) -> HttpFetch:
    fetched = HttpFetch(
        url=f"https://mta-sts.{DOMAIN}/.well-known/mta-sts.txt",
        ok=True,
        http_status=200,
        content_type="text/plain",
        body=body,
        peer_address="192.0.2.80",
    )
    return replace(fetched, **changes)


def spf_answers(*answers: tuple[str, str, tuple[str, ...]]) -> tuple[DnsAnswer, ...]:
    """Recorded answers for the SPF evaluation: (name, type, records); no records = NODATA."""
    return tuple(
        DnsAnswer(name, rdtype, "ok", records=records, ttl=300) if records else DnsAnswer(name, rdtype, "nodata")
        for name, rdtype, records in answers
    )


# What evaluating the factory's "v=spf1 mx -all" looks up: the MX set, then each MX host.
GOOD_SPF_LOOKUPS = spf_answers(
    (DOMAIN, "MX", ("10 mx1.example.org.", "20 mx2.example.org.")),
    ("mx1.example.org", "A", ("192.0.2.25",)),
    ("mx2.example.org", "A", ("192.0.2.25",)),
    ("mx1.example.org", "AAAA", ("2001:db8::25",)),
    ("mx2.example.org", "AAAA", ("2001:db8::25",)),
)


def mail_dns(**changes: Any) -> MailDns:
    base = MailDns(
        mta_sts_record=txt(f"_mta-sts.{DOMAIN}", "v=STSv1; id=20261101;"),
        tlsrpt_record=txt(f"_smtp._tls.{DOMAIN}", "v=TLSRPTv1; rua=mailto:tlsrpt@example.org"),
        spf_record=txt(DOMAIN, "v=spf1 mx -all"),
        dmarc_record=txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject; rua=mailto:dmarc@example.org"),
        mta_sts_policy=policy_fetch(),
        spf_lookups=GOOD_SPF_LOOKUPS,
    )
    return replace(base, **changes)


def discovery(*mx_names: str) -> Discovery:
    names = mx_names or ("mx1.example.org", "mx2.example.org")
    hosts = tuple(MxHost(n, 10 * (i + 1), ("192.0.2.25",)) for i, n in enumerate(names))
    return Discovery(
        domain=DOMAIN,
        resolver="system",
        mx=DnsAnswer(DOMAIN, "MX", "ok", records=tuple(f"{h.preference} {h.name}." for h in hosts)),
        mx_hosts=hosts,
        endpoints=tuple(Endpoint(h.name, 25, "smtp", "starttls", "mx", h.addresses) for h in hosts),
    )


def evidence(**changes: Any) -> Evidence:
    base = Evidence(
        schema_version="1",
        collected_at="2026-11-23T10:00:00+00:00",
        target=Target(domain=DOMAIN),
        network=True,
        discovery=discovery(),
        mail_dns=mail_dns(),
    )
    return replace(base, **changes)


__all__ = [
    "DOMAIN",
    "GOOD_POLICY",
    "GOOD_SPF_LOOKUPS",
    "spf_answers",
    "PreviousPolicy",
    "discovery",
    "evidence",
    "mail_dns",
    "policy_fetch",
    "txt",
]
