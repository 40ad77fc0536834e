"""Collect the DNS side of a mail domain: MTA-STS (+ policy over HTTPS), TLS-RPT, SPF, DMARC.

Only raw answers are kept; parsing and grading happen in the checks so a saved bundle
can be re-graded offline.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from auditor.collectors.dnsclient import DnsClient
from auditor.collectors.https import fetch
from auditor.deadline import Deadline
from auditor.evidence import DnsAnswer, MailDns, PreviousPolicy

POLICY_MAX_BYTES = 65536  # RFC 8461 policies are a few lines; anything this large is hostile


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
    """The mail-policy records of ``domain`` and its MTA-STS policy, fetched within
    ``timeout`` seconds and by the run's ``deadline``."""
    names = {
        "mta_sts": (f"_mta-sts.{domain}", "TXT"),
        "tlsrpt": (f"_smtp._tls.{domain}", "TXT"),
        "spf": (domain, "TXT"),
        "dmarc": (f"_dmarc.{domain}", "TXT"),
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = dict(zip(names, pool.map(lambda item: dns.query(*item), names.values()), strict=True))
    mta_sts = answers["mta_sts"]
    policy = None
    if mta_sts.ok and any(r.strip().startswith("v=STSv1") for r in mta_sts.records):
        # RFC 8461 §3.3: fetched over HTTPS with a valid certificate, redirects not followed.
        policy = fetch(
            policy_url(domain),
            dns,
            ca_file=ca_file,
            timeout=timeout,
            max_bytes=POLICY_MAX_BYTES,
            expect_content_type="text/plain",
            deadline=deadline,
        )
    return MailDns(
        mta_sts_record=mta_sts,
        tlsrpt_record=answers["tlsrpt"],
        spf_record=_only_spf(answers["spf"]),
        dmarc_record=answers["dmarc"],
        mta_sts_policy=policy,
        previous_policy=previous,
    )


def _only_spf(answer: DnsAnswer) -> DnsAnswer:
    """The apex TXT set carries many unrelated records; keep the SPF ones (RFC 7208 §4.5)."""
    if not answer.ok:
        return answer
    spf = tuple(r for r in answer.records if r.lower().startswith("v=spf1"))
    if not spf:
        return DnsAnswer(
            answer.name, "TXT", "nodata", error=f"{answer.name} has no v=spf1 TXT record", dnssec=answer.dnssec
        )
    return DnsAnswer(answer.name, "TXT", "ok", records=spf, ttl=answer.ttl, dnssec=answer.dnssec)
