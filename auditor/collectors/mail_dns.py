"""Collect the DNS side of a mail domain: MTA-STS (+ policy over HTTPS), TLS-RPT, SPF, DMARC.

Only raw answers are kept; parsing and grading happen in the checks so a saved bundle
can be re-graded offline. What the records lead to is collected here too, once, through
the scan's own resolver and under its deadline: every name the SPF evaluation looks up
(include, redirect, a, mx, ptr, exists, exp), the organizational domain's DMARC record
when the domain has none, and the authorization records of external report addresses.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cache

from publicsuffixlist import PublicSuffixList

from auditor.collectors.dnsclient import DnsClient
from auditor.collectors.https import fetch
from auditor.deadline import Deadline
from auditor.dnspolicy import parse_dmarc, parse_sts_record
from auditor.dnspolicy.spf import STRANGERS, evaluate
from auditor.evidence.network import DnsAnswer, HttpFetch, MailDns, PreviousPolicy
from auditor.models import msg

POLICY_MAX_BYTES = 65536  # RFC 8461 policies are a few lines; anything this large is hostile
MAX_REPORT_AUTH = 8  # external report destinations checked (RFC 7489 §7.1); more is hostile


def policy_url(domain: str) -> str:
    return f"https://mta-sts.{domain}/.well-known/mta-sts.txt"


def collect_mail_dns(
    domain: str,
    dns: DnsClient,
    *,
    ca_file: str | None = None,
    timeout: float = 10.0,
    previous: PreviousPolicy | None = None,
    deadline: Deadline | None = None,
) -> MailDns:
    """The mail-policy records of ``domain``, what they lead to (SPF lookups, DMARC fallback
    and report authorizations) and its MTA-STS policy, within ``timeout`` seconds and by the
    run's ``deadline``."""
    limit = (deadline or Deadline()).within(timeout)
    names = {
        "mta_sts": (f"_mta-sts.{domain}", "TXT"),
        "tlsrpt": (f"_smtp._tls.{domain}", "TXT"),
        "spf": (domain, "TXT"),
        "dmarc": (f"_dmarc.{domain}", "TXT"),
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = dict(zip(names, pool.map(lambda item: dns.query(*item), names.values()), strict=True))
        mta_sts = answers["mta_sts"]
        # RFC 8461 §3.1/§3.3: senders fetch the policy only for one valid record, over HTTPS
        # with a valid certificate, redirects not followed.
        policy = None
        if mta_sts.ok and parse_sts_record(mta_sts.records).usable:
            policy = pool.submit(
                fetch,
                policy_url(domain),
                dns,
                ca_file=ca_file,
                timeout=timeout,
                max_bytes=POLICY_MAX_BYTES,
                expect_content_type="text/plain",
                deadline=deadline,
            )
        spf_walk = pool.submit(spf_lookups, domain, answers["spf"], dns, limit)
        org_domain, org_record = dmarc_fallback(domain, answers["dmarc"], dns)
        auth = report_authorizations(domain, answers["dmarc"], org_domain, org_record, dns)
        fetched: HttpFetch | None = policy.result() if policy is not None else None
        lookups = spf_walk.result()
    return MailDns(
        mta_sts_record=mta_sts,
        tlsrpt_record=answers["tlsrpt"],
        spf_record=answers["spf"],
        dmarc_record=answers["dmarc"],
        mta_sts_policy=fetched,
        previous_policy=previous,
        spf_lookups=lookups,
        dmarc_org_domain=org_domain,
        dmarc_org_record=org_record,
        dmarc_report_auth=auth,
    )


def spf_lookups(domain: str, apex: DnsAnswer, dns: DnsClient, deadline: Deadline) -> tuple[DnsAnswer, ...]:
    """Every answer an RFC 7208 evaluation of the domain's record needs, for each address family.

    The evaluation runs for addresses no record should authorise (documentation ranges),
    so it walks every include and redirect; pyspf enforces the limits, so at most 10
    lookups plus their MX/PTR fan-out (§4.6.4) are made per family, through the scan's
    resolver and never past the scan's deadline.
    """
    if not apex.ok:
        return ()
    recorded: dict[tuple[str, str], DnsAnswer] = {(domain.lower().rstrip("."), "TXT"): apex}

    def source(name: str, rdtype: str) -> DnsAnswer:
        key = (name.lower().rstrip("."), rdtype)
        if key not in recorded:
            if deadline.expired:
                recorded[key] = DnsAnswer(name, rdtype, "timeout", error=msg("dns.answer.budget-out"))
            else:
                recorded[key] = dns.query(name, rdtype)
        return recorded[key]

    for stranger in STRANGERS:
        evaluate(source, ip=stranger, domain=domain)
    return tuple(answer for key, answer in recorded.items() if key != (domain.lower().rstrip("."), "TXT"))


@cache
def _public_suffixes() -> PublicSuffixList:
    """The PSL shipped in the ``publicsuffixlist`` package (ICANN and private sections)."""
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    """RFC 7489 §3.2: the public suffix plus one label; a public suffix is its own."""
    name = domain.lower().rstrip(".")
    return _public_suffixes().privatesuffix(name) or name


def dmarc_fallback(domain: str, own: DnsAnswer, dns: DnsClient) -> tuple[str | None, DnsAnswer | None]:
    """RFC 7489 §6.6.3 step 3: no record at the domain -> ``_dmarc`` of its organizational domain."""
    org = organizational_domain(domain)
    if org == domain.lower().rstrip("."):
        return org, None
    if own.status not in ("ok", "nxdomain", "nodata"):
        return org, None  # the domain's own lookup failed: the check reports that, not the parent
    if own.ok and parse_dmarc(own.records).status != "absent":
        return org, None
    return org, dns.query(f"_dmarc.{org}", "TXT")


def report_authorizations(
    domain: str, own: DnsAnswer, org: str | None, org_record: DnsAnswer | None, dns: DnsClient
) -> tuple[DnsAnswer, ...]:
    """RFC 7489 §7.1: ``<record domain>._report._dmarc.<host>`` for each external rua/ruf host."""
    source, answer = (domain, own) if org_record is None else (org or domain, org_record)
    if not answer.ok:
        return ()
    record = parse_dmarc(answer.records)
    hosts: list[str] = []
    for uri in (*record.rua, *record.ruf):
        host = uri.rpartition("@")[2].lower().rstrip(".")
        if organizational_domain(host) != organizational_domain(source) and host not in hosts:
            hosts.append(host)
    return tuple(dns.query(f"{source}._report._dmarc.{host}", "TXT") for host in hosts[:MAX_REPORT_AUTH])
