"""Helpers shared by the checks of the mail domain's DNS records (MTA-STS, TLS-RPT, SPF, DMARC).

Pure functions over evidence values: which answer a check grades, how a failed lookup
is reported (an error, never a fail), and the observations that show the records.
"""

from __future__ import annotations

from auditor.evidence.network import DnsAnswer, MailDns
from auditor.models import Location, Observation, Outcome, Status, msg
from auditor.registry import CheckContext


def mail_dns_of(ctx: CheckContext) -> tuple[str, MailDns | None]:
    domain = ctx.evidence.target.domain or "-"
    return domain, ctx.evidence.mail_dns


def record_obs(answer: DnsAnswer) -> tuple[Observation, ...]:
    where = Location(dns_name=f"{answer.name} {answer.rdtype}")
    if answer.ok:
        return tuple(Observation(msg("dns.obs.record"), r, where) for r in answer.records)
    return (Observation(msg("dns.obs.lookup"), answer.error or answer.status, where),)


def not_collected(domain: str, ctx: CheckContext | None = None) -> Outcome:
    discovery = ctx.evidence.discovery if ctx is not None else None
    if discovery is not None and discovery.fatal:
        return Outcome(Status.ERROR, domain, msg("dns.not-verifiable", reason=discovery.fatal))
    return Outcome(Status.ERROR, domain, msg("dns.not-collected"))


def lookup_failed(domain: str, answer: DnsAnswer) -> Outcome | None:
    """NXDOMAIN/NODATA are answers; timeouts and SERVFAIL mean we could not verify."""
    if answer.status in ("ok", "nxdomain", "nodata"):
        return None
    failed = msg("dns.lookup-failed", name=answer.name, rdtype=answer.rdtype, error=answer.error or answer.status)
    return Outcome(Status.ERROR, domain, failed, record_obs(answer))


def graded_record(ctx: CheckContext, field: str) -> tuple[str, DnsAnswer | None, Outcome | None]:
    """The DNS answer a check grades, or the outcome to report when there is none to grade:
    not collected, or a lookup that failed (timeouts are errors, NXDOMAIN/NODATA are answers)."""
    domain, mail = mail_dns_of(ctx)
    if mail is None:
        return domain, None, not_collected(domain, ctx)
    answer: DnsAnswer = getattr(mail, field)
    return domain, answer, lookup_failed(domain, answer)


def records_of(answer: DnsAnswer) -> tuple[str, ...]:
    """The records of an answer; NXDOMAIN/NODATA have none."""
    return answer.records if answer.ok else ()
