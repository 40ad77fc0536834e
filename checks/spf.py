"""SPF (RFC 7208): does the domain's record tell receivers which servers may send for it?

SPF protects the integrity of the sender identity (GDPR Art. 32(1)(b), 5(1)(f)): without a
record that ends in a fail for strangers, anyone can send mail as the domain, and DMARC
(which needs an aligned SPF or DKIM pass) cannot reject it. The record is evaluated as a
receiver would (pyspf's ``check_host()`` over the DNS answers collected once in the run),
for an address no record should authorise: that walks every include and redirect, applies
the 10-lookup and 2-void-lookup limits, and yields the domain's answer to strangers.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.dnspolicy.spf import STRANGERS, SpfErrorKind, SpfEvaluation, evaluate, lint_record, replay, spf_records
from auditor.evidence.network import DnsAnswer, MailDns
from auditor.models import Message, Need, Observation, Outcome, ParamValue, Severity, Status, joined, msg
from auditor.registry import CheckContext, check

from .dns_common import graded_record, not_collected, record_obs, records_of

_RESTRICTS = {"fail": 0, "softfail": 1}  # results for strangers, best first


@check("spf.record", needs=[Need.NETWORK], area="dns")
def spf_record(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: exactly one SPF record (§4.5) that evaluates without error (§4.6 syntax, §4.6.4
    limits, §5.2/§6.1 targets) to ``fail`` for addresses it does not list. Warn: ``softfail``
    (``~all``), ``ptr`` (§5.5), or ranges far larger than a mail service's. Fail: no record
    (result none), several records or any error that makes receivers return permerror, or a
    result other than fail/softfail for strangers (``+all``, ``?all``, no ``all``,
    ``ip4:0.0.0.0/0``). Error: a lookup failed (temperror), so the record could not be judged."""
    domain, answer, gate = graded_record(ctx, "spf_record")
    mail = ctx.evidence.mail_dns
    if gate is not None or answer is None or mail is None:
        yield gate or not_collected(domain, ctx)
        return
    obs = record_obs(answer)
    found = spf_records(records_of(answer))
    if not found:
        yield Outcome(Status.FAIL, domain, _no_record(records_of(answer)), obs)
        return
    if len(found) > 1:
        yield Outcome(
            Status.FAIL,
            domain,
            msg("spf.several", count=len(found)),
            obs,
        )
        return
    source = replay((answer, *mail.spf_lookups))
    results = [(ip, evaluate(source, ip=ip, domain=domain)) for ip in STRANGERS]
    obs += tuple(Observation(msg("spf.obs.evaluation"), _describe(ip, ev)) for ip, ev in results)
    obs += _included(mail, domain)
    yield _grade(domain, found[0], results, mail, obs)


def _no_record(records: tuple[str, ...]) -> Message:
    near = [r for r in records if r.strip().lower().startswith("v=spf")]
    return msg("spf.none", near=msg("spf.near-miss", record=repr(near[0][:60])) if near else "")


def _describe(ip: str, ev: SpfEvaluation) -> Message:
    return msg("spf.describe", ip=ip, result=ev.result, lookups=ev.lookups, void=ev.void_lookups)


def _included(mail: MailDns, domain: str) -> tuple[Observation, ...]:
    """The SPF records that include/redirect reached, as evidence of what was evaluated."""
    reached = [a for a in mail.spf_lookups if a.rdtype == "TXT" and spf_records(records_of(a))]
    return tuple(o for a in reached[:20] for o in record_obs(_only_spf(a)))


def _only_spf(answer: DnsAnswer) -> DnsAnswer:
    return DnsAnswer(answer.name, answer.rdtype, answer.status, spf_records(answer.records))


def _failed_evaluation(
    domain: str, results: list[tuple[str, SpfEvaluation]], obs: tuple[Observation, ...]
) -> Outcome | None:
    """An error when the record could not be judged, a fail when receivers get permerror."""
    for ip, ev in results:
        if ev.error_kind is SpfErrorKind.EVALUATOR:
            return Outcome(Status.ERROR, domain, msg("spf.evaluator-failed", ip=ip, why=ev.explanation), obs)
        if ev.result == "temperror":
            failed = ev.failed
            why: ParamValue = ev.explanation
            if failed is not None:
                error = failed.error or failed.status
                name, rdtype, status = failed.name, failed.rdtype, failed.status
                why = msg("spf.lookup-failed", name=name, rdtype=rdtype, status=status, error=error)
            return Outcome(Status.ERROR, domain, msg("spf.temperror", ip=ip, why=why), obs)
    for _ip, ev in results:
        if ev.result == "permerror":
            why = ev.explanation.removeprefix("SPF Permanent Error: ")
            return Outcome(
                Status.FAIL,
                domain,
                msg("spf.permerror", section=ev.section or "", why=why),
                obs,
                severity=Severity.HIGH,
            )
    return None


def _grade(
    domain: str, record: str, results: list[tuple[str, SpfEvaluation]], mail: MailDns, obs: tuple[Observation, ...]
) -> Outcome:
    failed = _failed_evaluation(domain, results, obs)
    if failed is not None:
        return failed
    notes = [
        n
        for a in (DnsAnswer(domain, "TXT", "ok", (record,)), *mail.spf_lookups)
        for r in spf_records(records_of(a))
        for n in lint_record(r, a.name)
    ]
    worst = max(results, key=lambda item: _RESTRICTS.get(item[1].result, 9))
    ip, ev = worst
    if ev.result not in _RESTRICTS or any(n.severe for n in notes):
        severe = [n.text for n in notes if n.severe]
        why = joined(severe) if severe else msg("spf.unlisted-result", ip=ip, result=ev.result)
        return Outcome(
            Status.FAIL,
            domain,
            msg("spf.unrestricted", why=why),
            obs,
            severity=Severity.HIGH if ev.result == "pass" or any(n.severe for n in notes) else None,
        )
    lint = joined([n.text for n in notes])
    if ev.result == "softfail":
        extra = msg("spf.also", lint=lint) if notes else ""
        return Outcome(
            Status.WARN,
            domain,
            msg("spf.softfail", extra=extra),
            obs,
            severity=Severity.LOW,
        )
    if notes:
        return Outcome(Status.WARN, domain, msg("spf.fails-but", lint=lint), obs, severity=Severity.LOW)
    lookups = max(e.lookups for _i, e in results)
    return Outcome(Status.PASS, domain, msg("spf.ok", lookups=lookups), obs)
