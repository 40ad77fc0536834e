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
from auditor.models import Location, Need, Observation, Outcome, Severity, Status, joined, msg
from auditor.registry import CheckContext, check

from .dns_common import graded_record, lookup_failed, mail_dns_of, not_collected, record_obs, records_of


def _policy_obs(fetch: HttpFetch) -> tuple[Observation, ...]:
    where = Location(url=fetch.url)
    obs = [Observation(msg("sts.obs.fetch"), "ok" if fetch.ok else f"{fetch.error_kind}: {fetch.error}", where)]
    if fetch.peer_address:
        obs.append(Observation(msg("sts.obs.connected-to"), fetch.peer_address, where))
    if fetch.body:
        obs.append(Observation(msg("sts.obs.policy"), fetch.body[:1000], where))
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
            msg("sts.no-record", name=answer.name),
            record_obs(answer),
        )
        return
    record = parse_sts_record(answer.records)
    if not record.usable:
        unusable = msg("sts.record-unusable", problems=joined(record.problems))
        yield Outcome(Status.FAIL, domain, unusable, record_obs(answer))
        return
    yield Outcome(Status.PASS, domain, msg("sts.record-ok", id=record.policy_id or ""), record_obs(answer))


def _policy(ctx: CheckContext) -> tuple[str, MailDns | None, Outcome | None]:
    """Shared gate for the checks that read the policy file itself."""
    domain, mail = mail_dns_of(ctx)
    if mail is None:
        return domain, None, not_collected(domain, ctx)
    if not mail.mta_sts_record.ok or mail.mta_sts_policy is None:
        reason = msg("sts.no-policy-record")
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
                msg("sts.no-usable-policy", kind=mail.mta_sts_policy.error_kind or ""),
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
            msg("sts.none-fetched"),
            record_obs(mail.mta_sts_record),
        )
        return
    if not fetched.ok:
        if fetched.error_kind in ("connect", "timeout", "dns"):
            unreachable = msg("sts.unreachable", error=fetched.error or "")
            yield Outcome(Status.ERROR, fetched.url, unreachable, _policy_obs(fetched))
        else:
            severity = Severity.HIGH if (fetched.error_kind or "").startswith("cert") else None
            yield Outcome(
                Status.FAIL,
                fetched.url,
                msg("sts.unusable", error=fetched.error or ""),
                _policy_obs(fetched),
                severity=severity,
            )
        return
    policy = parse_sts_policy(fetched.body or "")
    if policy.problems:
        syntax = msg("sts.syntax", problems=joined(policy.problems))
        yield Outcome(Status.FAIL, fetched.url, syntax, _policy_obs(fetched))
        return
    yield Outcome(
        Status.PASS,
        fetched.url,
        msg("sts.valid", mode=policy.mode or "", count=len(policy.mx)),
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
        yield Outcome(Status.PASS, domain, msg("sts.mode-enforce"), obs)
    elif policy.mode == "testing":
        yield Outcome(
            Status.FAIL,
            domain,
            msg("sts.mode-testing"),
            obs,
        )
    elif policy.mode == "none":
        yield Outcome(Status.FAIL, domain, msg("sts.mode-none"), obs, severity=Severity.HIGH)
    else:
        yield Outcome(Status.ERROR, domain, msg("sts.mode-unreadable", mode=repr(policy.mode)), obs)


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
        yield Outcome(Status.ERROR, domain, msg("sts.no-mx"))
        return
    policy = parse_sts_policy(mail.mta_sts_policy.body or "")
    for host in discovery.mx_hosts:
        matched = [p for p in policy.mx if mx_matches(p, host.name)]
        obs = (
            Observation(
                msg("sts.obs.patterns"), ", ".join(policy.mx) or msg("sts.none"), Location(url=mail.mta_sts_policy.url)
            ),
            Observation("MX", f"{host.preference} {host.name}", Location(dns_name=f"{domain} MX")),
        )
        if matched:
            yield Outcome(Status.PASS, host.name, msg("sts.mx-matches", host=host.name, pattern=matched[0]), obs)
        else:
            yield Outcome(Status.FAIL, host.name, msg("sts.mx-uncovered", host=host.name), obs)


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
        yield Outcome(Status.ERROR, domain, msg("sts.max-age-missing"), obs)
    elif policy.max_age < 86400:
        yield Outcome(Status.FAIL, domain, msg("sts.max-age-day", seconds=policy.max_age), obs)
    elif policy.max_age < 604800:
        week = msg("sts.max-age-week", seconds=policy.max_age)
        yield Outcome(Status.WARN, domain, week, obs, severity=Severity.LOW)
    else:
        ok = msg("sts.max-age-ok", seconds=policy.max_age, days=policy.max_age // 86400)
        yield Outcome(Status.PASS, domain, ok, obs)


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
        Observation(msg("sts.obs.id-now"), record.policy_id or "-", Location(dns_name=f"_mta-sts.{domain} TXT")),
        Observation(msg("sts.obs.sha-now"), body_hash),
    )
    if previous is None or previous.body_sha256 is None:
        yield Outcome(Status.SKIPPED, domain, msg("sts.no-previous"), obs)
        return
    obs += (
        Observation(
            msg("sts.obs.previous"),
            msg("sts.previous-value", id=str(previous.policy_id), sha=previous.body_sha256, seen=str(previous.seen_at)),
        ),
    )
    if previous.body_sha256 != body_hash and previous.policy_id == record.policy_id:
        yield Outcome(
            Status.FAIL,
            domain,
            msg("sts.id-stale", seen=str(previous.seen_at), id=str(record.policy_id)),
            obs,
        )
    elif previous.body_sha256 != body_hash:
        yield Outcome(
            Status.PASS, domain, msg("sts.id-changed", old=str(previous.policy_id), new=str(record.policy_id)), obs
        )
    else:
        yield Outcome(Status.PASS, domain, msg("sts.unchanged"), obs)


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
        yield Outcome(Status.FAIL, domain, msg("tlsrpt.none", name=answer.name), record_obs(answer))
        return
    record = parse_tlsrpt(records_of(answer))
    if not record.usable:
        unusable = msg("tlsrpt.unusable", problems=joined(record.problems))
        yield Outcome(Status.FAIL, domain, unusable, record_obs(answer))
    elif record.problems:
        detail = joined(record.problems)
        yield Outcome(
            Status.WARN,
            domain,
            msg("tlsrpt.partial", problems=detail, rua=", ".join(record.rua)),
            record_obs(answer),
            severity=Severity.LOW,
        )
    elif not any(u.lower().startswith("mailto:") for u in record.rua):
        yield Outcome(
            Status.WARN,
            domain,
            msg("tlsrpt.https-only"),
            record_obs(answer),
            severity=Severity.LOW,
        )
    else:
        yield Outcome(Status.PASS, domain, msg("tlsrpt.ok", rua=", ".join(record.rua)), record_obs(answer))
