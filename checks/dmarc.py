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
from auditor.models import Need, Observation, Outcome, ParamValue, Severity, Status, joined, msg
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
    why_own = joined(own.problems)
    if org is None or org_answer is None or org == domain:
        detail = msg("dmarc.none", name=answer.name, why=why_own, domain=domain)
        return None, Outcome(Status.FAIL, domain, detail, obs)
    obs += record_obs(org_answer)
    failed = lookup_failed(domain, org_answer)
    if failed is not None:
        return None, Outcome(Status.ERROR, domain, msg("dmarc.org-lookup-failed", failed=failed.detail), obs)
    inherited = parse_dmarc(records_of(org_answer))
    if inherited.status == "absent":
        detail = msg("dmarc.none-org", name=answer.name, why=why_own, org=org_answer.name, domain=domain)
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
    where = msg("dmarc.inherited", source=applied.source) if applied.inherited else ""
    problems = joined(record.problems)
    if not record.applies:
        yield Outcome(Status.FAIL, domain, msg("dmarc.unusable", where=where, problems=problems), obs)
        return
    if record.status == "downgraded":
        yield Outcome(Status.FAIL, domain, msg("dmarc.broken", where=where, problems=problems), obs)
        return
    policy = record.policy_for(own_domain=not applied.inherited)
    weak = _weaknesses(record, policy, inherited=applied.inherited)
    notes = (*record.notes, *record.advice)
    rest = joined([*weak, *notes])
    if policy not in _STRONG:
        tail = joined(["; ", rest], sep="") if weak or notes else ""
        detail = msg("dmarc.monitor-only", policy=str(policy), where=where, rest=tail)
        yield Outcome(Status.WARN, domain, detail, obs)
    elif weak or notes:
        detail = msg("dmarc.strong-but", policy=str(policy), where=where, rest=rest)
        yield Outcome(Status.WARN, domain, detail, obs, severity=Severity.LOW)
    else:
        yield Outcome(Status.PASS, domain, msg("dmarc.strong", policy=str(policy), where=where), obs)


def _weaknesses(record: DmarcRecord, policy: str | None, *, inherited: bool) -> list[ParamValue]:
    weak: list[ParamValue] = []
    if record.pct < 100:
        weak.append(msg("dmarc.weak.pct", pct=record.pct))
    if record.testing:
        weak.append(msg("dmarc.weak.testing"))
    if not inherited and policy in _STRONG:
        if record.subdomain_policy == "none":
            weak.append(msg("dmarc.weak.sp"))
        if record.nonexistent_policy == "none":
            weak.append(msg("dmarc.weak.np"))
    return weak


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
        reason = outcome.detail if outcome is not None else msg("dmarc.not-collected")
        status = Status.ERROR if outcome is not None and outcome.status == Status.ERROR else Status.SKIPPED
        yield Outcome(status, domain, msg("dmarc.no-record-no-reports", reason=reason))
        return
    record, obs = applied.record, applied.obs
    if not record.applies:
        yield Outcome(Status.SKIPPED, domain, msg("dmarc.unusable-no-reports"), obs)
        return
    if not record.rua:
        yield Outcome(
            Status.WARN,
            domain,
            msg("dmarc.no-rua"),
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
            yield Outcome(Status.ERROR, domain, msg("dmarc.auth-lookup-failed", failed=failed.detail), obs)
            return
        if parse_dmarc(records_of(auth)).status == "absent":
            unauthorized.append(uri)
    if unauthorized:
        yield Outcome(
            Status.FAIL,
            domain,
            msg("dmarc.unauthorized", uris=", ".join(unauthorized), source=applied.source),
            obs,
        )
        return
    yield Outcome(Status.PASS, domain, msg("dmarc.reports-ok", rua=", ".join(record.rua)), obs)
