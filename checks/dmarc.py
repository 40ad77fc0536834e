"""DMARC (RFC 7489, DMARCbis tags recognised): what receivers do with spoofed mail from the domain.

A DMARC policy of ``reject``/``quarantine`` is what turns SPF and DKIM into protection of the
sender identity (GDPR Art. 32(1)(b), 5(1)(f)). The record is read as a receiver reads it:
exactly one record beginning with ``v=DMARC1`` (§6.6.3), invalid ``p``/``sp`` downgrade to
``p=none`` or to no DMARC (§6.6.3 step 6), malformed optional tags fall back to defaults
(§6.3), and a domain without a record of its own inherits its organizational domain's
(§6.6.3 step 3, organizational domain from the public suffix list, §3.2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.dnspolicy import DmarcRecord, parse_dmarc
from auditor.evidence.network import DnsAnswer, MailDns
from auditor.models import Need, Observation, Outcome, Severity, Status
from auditor.registry import CheckContext, check

from .dns_common import graded_record, lookup_failed, not_collected, record_obs, records_of

_STRONG = ("quarantine", "reject")


@dataclass(frozen=True, slots=True)
class _Applied:
    """The record receivers apply to the domain's mail, where it was found, and the evidence."""

    record: DmarcRecord
    source: str  # the domain whose _dmarc record it is
    inherited: bool
    obs: tuple[Observation, ...]


def _applied(domain: str, answer: DnsAnswer, mail: MailDns) -> tuple[_Applied | None, Outcome | None]:
    """The record that applies (own, else the organizational domain's), or the outcome saying why none does."""
    own = parse_dmarc(records_of(answer))
    obs = record_obs(answer)
    if own.status != "absent":
        return _Applied(own, domain, False, obs), None
    org, org_answer = mail.dmarc_org_domain, mail.dmarc_org_record
    why_own = "; ".join(own.problems)
    if org is None or org_answer is None or org == domain:
        detail = f"no DMARC record at {answer.name} ({why_own}): receivers apply no DMARC policy to mail from {domain}"
        return None, Outcome(Status.FAIL, domain, detail, obs)
    obs += record_obs(org_answer)
    failed = lookup_failed(domain, org_answer)
    if failed is not None:
        return None, Outcome(Status.ERROR, domain, f"{failed.detail} (organizational domain, RFC 7489 §6.6.3)", obs)
    inherited = parse_dmarc(records_of(org_answer))
    if inherited.status == "absent":
        detail = (
            f"no DMARC record at {answer.name} ({why_own}) nor at its organizational domain's {org_answer.name} "
            f"(RFC 7489 §6.6.3): receivers apply no DMARC policy to mail from {domain}"
        )
        return None, Outcome(Status.FAIL, domain, detail, obs)
    return _Applied(inherited, org, True, obs), None


def _gate(ctx: CheckContext) -> tuple[str, _Applied | None, Outcome | None]:
    domain, answer, gate = graded_record(ctx, "dmarc_record")
    mail = ctx.evidence.mail_dns
    if gate is not None or answer is None or mail is None:
        return domain, None, gate or not_collected(domain, ctx)
    applied, outcome = _applied(domain, answer, mail)
    return domain, applied, outcome


@check("dmarc.policy", needs=[Need.NETWORK], area="dns")
def dmarc_policy(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: receivers apply ``p=reject`` or ``quarantine`` to all of the domain's mail, from
    its own record or its organizational domain's. Warn: ``p=none`` (monitoring only),
    ``pct`` < 100, ``t=y``, ``sp``/``np=none`` under a strong ``p``, or tags receivers
    ignore. Fail: no record applies (none, several, a version other than exactly
    ``DMARC1``, leading space, invalid ``p`` without ``rua``), or receivers downgrade it to
    ``p=none`` (invalid or duplicate ``p``/``sp``). Error: a lookup failed."""
    domain, applied, outcome = _gate(ctx)
    if applied is None:
        yield outcome or not_collected(domain)
        return
    record, obs = applied.record, applied.obs
    where = (
        f" (inherited from the organizational domain {applied.source}, RFC 7489 §6.6.3)" if applied.inherited else ""
    )
    if not record.applies:
        yield Outcome(Status.FAIL, domain, f"DMARC record unusable{where}: " + "; ".join(record.problems), obs)
        return
    if record.status == "downgraded":
        yield Outcome(Status.FAIL, domain, f"DMARC record broken{where}: " + "; ".join(record.problems), obs)
        return
    policy = record.policy_for(own_domain=not applied.inherited)
    weak = _weaknesses(record, policy, inherited=applied.inherited)
    notes = "; ".join((*record.notes, *record.advice))
    if policy not in _STRONG:
        detail = f"DMARC policy p={policy}{where} only monitors: receivers still deliver spoofed mail"
        yield Outcome(Status.WARN, domain, _join(detail, weak, notes), obs)
    elif weak or notes:
        detail = f"DMARC p={policy}{where}, but"
        yield Outcome(Status.WARN, domain, _join(detail, weak, notes, sep=" "), obs, severity=Severity.LOW)
    else:
        yield Outcome(Status.PASS, domain, f"DMARC p={policy}{where} for all mail", obs)


def _weaknesses(record: DmarcRecord, policy: str | None, *, inherited: bool) -> list[str]:
    weak: list[str] = []
    if record.pct < 100:
        weak.append(f"pct={record.pct}: the policy applies to only {record.pct} % of failing mail")
    if record.testing:
        weak.append("t=y: receivers treat the policy as a test and apply one step less (DMARCbis)")
    if not inherited and policy in _STRONG:
        if record.subdomain_policy == "none":
            weak.append("sp=none: mail from subdomains is only monitored")
        if record.nonexistent_policy == "none":
            weak.append("np=none: mail from non-existent subdomains is only monitored (DMARCbis)")
    return weak


def _join(head: str, weak: list[str], notes: str, sep: str = "; ") -> str:
    parts = [*weak, *([notes] if notes else [])]
    return head + (sep + "; ".join(parts) if parts else "")


@check("dmarc.reporting", needs=[Need.NETWORK], area="dns")
def dmarc_reporting(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: aggregate reports (``rua``) go to valid ``mailto:`` addresses that accept them:
    inside the domain's organization, or outside it and authorized by a
    ``<domain>._report._dmarc.<host>`` record (RFC 7489 §7.1). Warn: no rua (nobody sees
    spoofing or broken SPF/DKIM). Fail: an external destination without authorization —
    receivers send it nothing. Skipped: no DMARC record applies. Error: a lookup failed."""
    domain, applied, outcome = _gate(ctx)
    mail = ctx.evidence.mail_dns
    if applied is None or mail is None:
        reason = outcome.detail if outcome is not None else "not collected"
        status = Status.ERROR if outcome is not None and outcome.status == Status.ERROR else Status.SKIPPED
        yield Outcome(status, domain, f"no DMARC record applies, so no reports are sent ({reason})")
        return
    record, obs = applied.record, applied.obs
    if not record.applies:
        yield Outcome(Status.SKIPPED, domain, "no usable DMARC record (see dmarc.policy), so no reports are sent", obs)
        return
    if not record.rua:
        yield Outcome(
            Status.WARN,
            domain,
            "no valid rua= address: receivers send no aggregate reports, so spoofing and broken SPF/DKIM go unseen",
            obs,
            severity=Severity.LOW,
        )
        return
    by_name = {a.name.lower().rstrip("."): a for a in mail.dmarc_report_auth}
    unauthorized: list[str] = []
    for uri in (*record.rua, *record.ruf):
        host = uri.rpartition("@")[2].lower().rstrip(".")
        auth = by_name.get(f"{applied.source}._report._dmarc.{host}".lower())
        if auth is None:
            continue  # inside the organization: no authorization needed
        obs += record_obs(auth)
        failed = lookup_failed(domain, auth)
        if failed is not None:
            yield Outcome(Status.ERROR, domain, f"{failed.detail} (report authorization, RFC 7489 §7.1)", obs)
            return
        if parse_dmarc(records_of(auth)).status == "absent":
            unauthorized.append(uri)
    if unauthorized:
        yield Outcome(
            Status.FAIL,
            domain,
            f"{', '.join(unauthorized)}: outside {applied.source}'s organization and not authorized by a "
            f"{applied.source}._report._dmarc.<host> record, so receivers send it no reports (RFC 7489 §7.1)",
            obs,
        )
        return
    yield Outcome(Status.PASS, domain, f"aggregate reports go to {', '.join(record.rua)}", obs)
