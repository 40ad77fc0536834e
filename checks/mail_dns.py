"""MTA-STS and TLS-RPT: the DNS-published transport promises of a mail domain (SPF and DMARC
are in ``spf.py`` and ``dmarc.py``).

MTA-STS (RFC 8461) is how a domain without DNSSEC tells sending servers to insist on
authenticated TLS; without it (or DANE) inbound mail can be downgraded to plaintext by
anyone on the path, which the DSK guidance and BSI TR-03108 treat as insufficient
transport protection (GDPR Art. 32(1)(a), 5(1)(f)). TLS-RPT makes failures visible
(Art. 32(1)(d): regular evaluation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from auditor.dnspolicy import mx_matches, parse_sts_policy, parse_sts_record, parse_tlsrpt
from auditor.evidence.network import HttpFetch, MailDns
from auditor.models import Location, Need, Observation, Outcome, Severity, Status
from auditor.registry import CheckContext, check

from .dns_common import graded_record, lookup_failed, mail_dns_of, not_collected, record_obs, records_of


def _policy_obs(fetch: HttpFetch) -> tuple[Observation, ...]:
    where = Location(url=fetch.url)
    obs = [Observation("fetch", "ok" if fetch.ok else f"{fetch.error_kind}: {fetch.error}", where)]
    if fetch.peer_address:
        obs.append(Observation("connected to", fetch.peer_address, where))
    if fetch.body:
        obs.append(Observation("policy", fetch.body[:1000], where))
    return tuple(obs)


@check("mta-sts.record", needs=[Need.NETWORK], area="dns")
def mta_sts_record(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: exactly one valid ``v=STSv1`` TXT record at ``_mta-sts.<domain>`` with an id.
    Fail: no record (senders cannot know TLS is required) or a malformed one.
    Error: the lookup timed out or failed."""
    domain, answer, gate = graded_record(ctx, "mta_sts_record")
    if gate is not None or answer is None:
        yield gate or not_collected(domain, ctx)
        return
    if not answer.ok:
        yield Outcome(
            Status.FAIL,
            domain,
            f"no MTA-STS record at {answer.name}: senders will not insist on TLS",
            record_obs(answer),
        )
        return
    record = parse_sts_record(answer.records)
    if not record.usable:
        yield Outcome(Status.FAIL, domain, "MTA-STS record unusable: " + "; ".join(record.problems), record_obs(answer))
        return
    yield Outcome(Status.PASS, domain, f"MTA-STS record present, policy id {record.policy_id}", record_obs(answer))


def _policy(ctx: CheckContext) -> tuple[str, MailDns | None, Outcome | None]:
    """Shared gate for the checks that read the policy file itself."""
    domain, mail = mail_dns_of(ctx)
    if mail is None:
        return domain, None, not_collected(domain, ctx)
    if not mail.mta_sts_record.ok or mail.mta_sts_policy is None:
        reason = "no usable MTA-STS record (see mta-sts.record), so senders fetch no policy to examine"
        if (failed := lookup_failed(domain, mail.mta_sts_record)) is not None:
            return domain, mail, failed
        return domain, mail, Outcome(Status.SKIPPED, domain, reason, record_obs(mail.mta_sts_record))
    if not mail.mta_sts_policy.ok:
        # mta-sts.policy already grades this (fail, or error when unreachable); repeating it
        # here as four more errors would bury the one actionable finding.
        return (
            domain,
            mail,
            Outcome(
                Status.SKIPPED,
                domain,
                f"no usable policy to examine (see mta-sts.policy: {mail.mta_sts_policy.error_kind})",
                _policy_obs(mail.mta_sts_policy),
            ),
        )
    return domain, mail, None


@check("mta-sts.policy", needs=[Need.NETWORK], area="dns")
def mta_sts_policy(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: the policy is served over HTTPS with a valid certificate, as text/plain, and parses.
    Fail: certificate expired/untrusted/wrong name, redirect, wrong content type, syntax errors —
    sending servers then ignore the policy and MTA-STS protects nothing.
    Error: the host could not be reached (timeout, refused, no address)."""
    domain, mail = mail_dns_of(ctx)
    if mail is None:
        yield not_collected(domain, ctx)
        return
    fetched = mail.mta_sts_policy
    if fetched is None:
        yield Outcome(
            Status.SKIPPED,
            domain,
            "no usable MTA-STS record (see mta-sts.record), so senders fetch no policy and none was fetched",
            record_obs(mail.mta_sts_record),
        )
        return
    if not fetched.ok:
        if fetched.error_kind in ("connect", "timeout", "dns"):
            yield Outcome(Status.ERROR, fetched.url, f"policy host unreachable: {fetched.error}", _policy_obs(fetched))
        else:
            severity = Severity.HIGH if (fetched.error_kind or "").startswith("cert") else None
            yield Outcome(
                Status.FAIL,
                fetched.url,
                f"policy not usable by senders: {fetched.error}",
                _policy_obs(fetched),
                severity=severity,
            )
        return
    policy = parse_sts_policy(fetched.body or "")
    if policy.problems:
        yield Outcome(Status.FAIL, fetched.url, "policy syntax: " + "; ".join(policy.problems), _policy_obs(fetched))
        return
    yield Outcome(
        Status.PASS,
        fetched.url,
        f"policy valid (mode {policy.mode}, {len(policy.mx)} mx pattern(s))",
        _policy_obs(fetched),
    )


@check("mta-sts.mode", needs=[Need.NETWORK], area="dns")
def mta_sts_mode(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: ``mode: enforce``. Fail: ``testing`` (failures are only reported, mail still goes
    out in plaintext or to unauthenticated servers) or ``none``. Error/skip: no usable policy."""
    domain, mail, gate = _policy(ctx)
    if gate is not None or mail is None or mail.mta_sts_policy is None:
        if gate is not None:
            yield gate
        return
    policy = parse_sts_policy(mail.mta_sts_policy.body or "")
    obs = _policy_obs(mail.mta_sts_policy)
    if policy.mode == "enforce":
        yield Outcome(Status.PASS, domain, "MTA-STS mode is enforce", obs)
    elif policy.mode == "testing":
        yield Outcome(
            Status.FAIL,
            domain,
            "MTA-STS mode is testing: TLS failures are reported but mail is still "
            "delivered without authenticated encryption",
            obs,
        )
    elif policy.mode == "none":
        yield Outcome(Status.FAIL, domain, "MTA-STS mode is none: the policy is withdrawn", obs, severity=Severity.HIGH)
    else:
        yield Outcome(Status.ERROR, domain, f"policy mode unreadable: {policy.mode!r}", obs)


@check("mta-sts.mx-coverage", needs=[Need.NETWORK], area="dns")
def mta_sts_mx_coverage(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: every MX host is matched by an ``mx:`` pattern. Fail: an MX is not listed —
    in enforce mode senders refuse to deliver to it, in testing mode they report failures.
    Error: no MX list (discovery failed) or no usable policy."""
    domain, mail, gate = _policy(ctx)
    if gate is not None or mail is None or mail.mta_sts_policy is None:
        if gate is not None:
            yield gate
        return
    discovery = ctx.evidence.discovery
    if discovery is None or not discovery.mx_hosts:
        yield Outcome(Status.ERROR, domain, "no MX hosts were discovered to compare with the policy")
        return
    policy = parse_sts_policy(mail.mta_sts_policy.body or "")
    for host in discovery.mx_hosts:
        matched = [p for p in policy.mx if mx_matches(p, host.name)]
        obs = (
            Observation("mx patterns", ", ".join(policy.mx) or "(none)", Location(url=mail.mta_sts_policy.url)),
            Observation("MX", f"{host.preference} {host.name}", Location(dns_name=f"{domain} MX")),
        )
        if matched:
            yield Outcome(Status.PASS, host.name, f"{host.name} matches policy pattern {matched[0]}", obs)
        else:
            yield Outcome(Status.FAIL, host.name, f"MX {host.name} is not covered by any mx: line of the policy", obs)


@check("mta-sts.max-age", needs=[Need.NETWORK], area="dns")
def mta_sts_max_age(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: ``max_age`` ≥ 1 week (RFC 8461 advises weeks or more, so a cached policy outlives
    an attacker's window). Warn: 1 day to 1 week. Fail: under 1 day. Error: no usable policy."""
    domain, mail, gate = _policy(ctx)
    if gate is not None or mail is None or mail.mta_sts_policy is None:
        if gate is not None:
            yield gate
        return
    policy = parse_sts_policy(mail.mta_sts_policy.body or "")
    obs = _policy_obs(mail.mta_sts_policy)
    if policy.max_age is None:
        yield Outcome(Status.ERROR, domain, "max_age missing or unreadable", obs)
    elif policy.max_age < 86400:
        yield Outcome(Status.FAIL, domain, f"max_age {policy.max_age} s is under one day", obs)
    elif policy.max_age < 604800:
        yield Outcome(Status.WARN, domain, f"max_age {policy.max_age} s is under one week", obs, severity=Severity.LOW)
    else:
        yield Outcome(Status.PASS, domain, f"max_age {policy.max_age} s ({policy.max_age // 86400} days)", obs)


@check("mta-sts.policy-id", needs=[Need.NETWORK], area="dns")
def mta_sts_policy_id(ctx: CheckContext) -> Iterator[Outcome]:
    """Fail: the policy body changed since the previous run but the record's id did not, so
    senders keep their cached, outdated policy. Pass: unchanged, or changed together with the id.
    Skipped: no previous run on record (use ``--state-dir``)."""
    domain, mail, gate = _policy(ctx)
    if gate is not None or mail is None or mail.mta_sts_policy is None:
        if gate is not None:
            yield gate
        return
    record = parse_sts_record(mail.mta_sts_record.records)
    body_hash = hashlib.sha256((mail.mta_sts_policy.body or "").encode()).hexdigest()
    previous = mail.previous_policy
    obs: tuple[Observation, ...] = (
        Observation("policy id now", record.policy_id or "-", Location(dns_name=f"_mta-sts.{domain} TXT")),
        Observation("policy sha256 now", body_hash),
    )
    if previous is None or previous.body_sha256 is None:
        yield Outcome(Status.SKIPPED, domain, "no previous run on record to compare the policy id with", obs)
        return
    obs += (
        Observation("previous run", f"id {previous.policy_id}, sha256 {previous.body_sha256}, seen {previous.seen_at}"),
    )
    if previous.body_sha256 != body_hash and previous.policy_id == record.policy_id:
        yield Outcome(
            Status.FAIL,
            domain,
            f"policy changed since {previous.seen_at} but id {record.policy_id} did "
            "not: senders will keep the old policy",
            obs,
        )
    elif previous.body_sha256 != body_hash:
        yield Outcome(
            Status.PASS, domain, f"policy changed and id changed ({previous.policy_id} → {record.policy_id})", obs
        )
    else:
        yield Outcome(Status.PASS, domain, "policy unchanged since the previous run", obs)


@check("tls-rpt.record", needs=[Need.NETWORK], area="dns")
def tlsrpt_record(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: exactly one ``v=TLSRPTv1`` record at ``_smtp._tls`` (RFC 8460 §3) with a valid
    ``mailto:`` rua (BSI TR-03108 requires mailto). Warn: reports only over https, or some rua
    URIs invalid (senders skip them). Fail: no record, several (senders then assume no
    TLS-RPT), a version other than ``TLSRPTv1``, broken grammar or no valid rua — nobody learns
    that senders could not deliver securely. Error: the lookup failed."""
    domain, answer, gate = graded_record(ctx, "tlsrpt_record")
    if gate is not None or answer is None:
        yield gate or not_collected(domain, ctx)
        return
    if not answer.ok:
        yield Outcome(
            Status.FAIL, domain, f"no TLS-RPT record at {answer.name}: senders send no reports", record_obs(answer)
        )
        return
    record = parse_tlsrpt(records_of(answer))
    if not record.usable:
        yield Outcome(Status.FAIL, domain, "TLS-RPT record unusable: " + "; ".join(record.problems), record_obs(answer))
    elif record.problems:
        detail = "; ".join(record.problems)
        yield Outcome(
            Status.WARN,
            domain,
            f"senders skip part of the rua list: {detail}; reports go to {', '.join(record.rua)}",
            record_obs(answer),
            severity=Severity.LOW,
        )
    elif not any(u.lower().startswith("mailto:") for u in record.rua):
        yield Outcome(
            Status.WARN,
            domain,
            "TLS-RPT reports go only to https: BSI TR-03108 expects a mailto: rua",
            record_obs(answer),
            severity=Severity.LOW,
        )
    else:
        yield Outcome(Status.PASS, domain, f"TLS-RPT reports go to {', '.join(record.rua)}", record_obs(answer))
