"""Statement-only checks: what the privacy statement itself says (no host needed).

The statement is the operator's promise to the people whose mail it handles. GDPR
Art. 13(2)(a) requires a storage period (or the criteria) for every category of data;
Art. 12 and 5(1)(a) require the information to be accurate and understandable, which
a statement citing repealed law or promising encryption the servers do not enforce
is not. Claims come from ``evidence.claims`` (extracted or a reviewed claims file).
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.evidence.claims import Claim
from auditor.models import Need, Observation, Outcome, Severity, Status
from auditor.registry import CheckContext, check

from .host_common import claim_obs, claim_ref, claims_of, describe_period, source_name, statement_location

#: Claim kinds that declare a data category the operator keeps.
_DECLARING = ("retention", "inventory", "logging")
#: Check-id prefixes of network findings that can contradict an encryption promise.
_NETWORK_PREFIXES = ("tls.", "starttls.", "mta-sts.", "config.transport")


def _missing(ctx: CheckContext) -> Outcome:
    return Outcome(Status.ERROR, "statement", "no claims were read from a privacy statement in this run")


@check("statement.retention-declared", needs=[Need.STATEMENT], area="statement")
def retention_declared(ctx: CheckContext) -> Iterator[Outcome]:
    """Pass: a data category the statement declares (inventory, logging or retention claim)
    also has a retention period or deletion event. Fail: a declared category has none.
    Error: the statement yields no declared category at all, so nothing could be verified
    (its wording may not have been understood; see the claims file's not_understood list).
    Why: GDPR Art. 13(2)(a) and WP260 require a storage period per category of data."""
    claims = claims_of(ctx)
    if claims is None:
        yield _missing(ctx)
        return
    declared: dict[str, list[Claim]] = {}
    for claim in claims.claims:
        if claim.kind in _DECLARING:
            declared.setdefault(claim.subject, []).append(claim)
    if not declared:
        yield Outcome(
            Status.ERROR,
            source_name(claims),
            f"no data category with stored fields or a retention period was recognised in the statement "
            f"({len(claims.not_understood)} privacy-relevant sentences were not understood)",
        )
        return
    for subject, items in declared.items():
        periods = [c for c in items if c.kind == "retention" and (c.period or c.event)]
        shown = periods[0] if periods else items[0]
        obs = tuple(o for c in items for o in claim_obs(claims, c))
        if periods:
            yield Outcome(
                Status.PASS,
                subject,
                f"the statement keeps {subject} {describe_period(shown)}",
                obs,
                claim=claim_ref(shown),
                key=subject,
            )
        else:
            fields = sorted({f for c in items for f in c.fields})
            listed = f" ({', '.join(fields)})" if fields else ""
            yield Outcome(
                Status.FAIL,
                subject,
                f"the statement declares {subject}{listed} but gives no retention period for it",
                obs,
                claim=claim_ref(shown),
                key=subject,
            )


@check("statement.outdated-law", needs=[Need.STATEMENT], area="statement")
def outdated_law(ctx: CheckContext) -> Iterator[Outcome]:
    """Fail (info): the statement cites a repealed provision (e.g. § 9 BDSG a.F., § 88 TKG a.F.,
    the TTDSG or TMG); the finding names the provisions in force today. Pass: no citation of
    a repealed provision known to ``laws.yaml`` was found. Error: no statement was read.
    Why: information tied to dead law is misleading (GDPR Art. 12, Art. 5(1)(a))."""
    claims = claims_of(ctx)
    if claims is None:
        yield _missing(ctx)
        return
    outdated = [c for c in claims.cited_law if c.repealed]
    if not outdated:
        cited = ", ".join(sorted({c.text for c in claims.cited_law})) or "none"
        yield Outcome(Status.PASS, source_name(claims), f"no repealed provision cited (citations found: {cited})")
        return
    seen: set[str] = set()
    for citation in outdated:
        key = f"{citation.law}-{citation.section or 'act'}"
        if key in seen:
            continue
        seen.add(key)
        where = statement_location(claims)
        current = citation.current_label or ", ".join(citation.current) or "the current law"
        yield Outcome(
            Status.FAIL,
            source_name(claims),
            f"the statement cites {citation.text!r}, which is no longer in force; cite {current} instead",
            (Observation("citation", f"chars {citation.start}-{citation.end}: {citation.text}", where),),
            severity=Severity.INFO,
            key=key,
            extra_clauses=citation.current,
        )


@check("statement.transport-claim", needs=[Need.STATEMENT], area="statement", uses_findings=True)
def transport_claim(ctx: CheckContext) -> Iterator[Outcome]:
    """Fail (high): the statement claims enforced transport encryption and a TLS, STARTTLS,
    MTA-STS or host ``config.transport`` check of the same run failed. Pass: such findings
    were examined, none failed and none was left unverified. Error: no such finding could be
    examined, or some could not verify. Skipped: the statement makes no such claim.
    Why: a security promise contradicted by the servers misleads users (GDPR Art. 5(1)(a),
    Art. 12) and signals an Art. 32(1)(a) gap."""
    claims = claims_of(ctx)
    if claims is None:
        yield _missing(ctx)
        return
    promises = [c for c in claims.claims if c.kind == "transport-encryption" and c.value == "enforced"]
    if not promises:
        yield Outcome(Status.SKIPPED, source_name(claims), "the statement makes no claim of enforced encryption")
        return
    network = [f for f in ctx.findings if f.check_id.startswith(_NETWORK_PREFIXES)]
    examined = [f for f in network if f.status in (Status.PASS, Status.WARN, Status.FAIL)]
    failed = [f for f in examined if f.status == Status.FAIL]
    unverified = [f for f in network if f.status == Status.ERROR]
    for claim in promises:
        subject = claim.subject
        (quote,) = claim_obs(claims, claim)
        if not examined:
            yield Outcome(
                Status.ERROR,
                subject,
                f"no network evidence to compare the encryption claim with ({len(network)} TLS/STARTTLS/"
                "MTA-STS findings, none conclusive)",
                (quote,),
                claim=claim_ref(claim),
                key=subject,
            )
        elif failed:
            listed = tuple(Observation(f.check_id, f"{f.subject}: {f.detail}"[:500]) for f in failed[:20])
            ids = ", ".join(sorted({f.check_id for f in failed}))
            yield Outcome(
                Status.FAIL,
                subject,
                f"the statement claims enforced encryption but {len(failed)} network findings failed ({ids})",
                (quote, *listed),
                severity=Severity.HIGH,
                claim=claim_ref(claim),
                key=subject,
            )
        elif unverified:
            # Silence is not consent: where some endpoints could not be examined the claim
            # cannot be confirmed for them.
            listed = tuple(Observation(f.check_id, f"{f.subject}: {f.detail}"[:500]) for f in unverified[:20])
            yield Outcome(
                Status.ERROR,
                subject,
                f"{len(unverified)} of {len(network)} TLS/STARTTLS/MTA-STS/configuration findings could not "
                "verify, so the claim cannot be confirmed",
                (quote, *listed),
                claim=claim_ref(claim),
                key=subject,
            )
        else:
            yield Outcome(
                Status.PASS,
                subject,
                f"{len(examined)} TLS/STARTTLS/MTA-STS/configuration findings examined, none contradicts the claim",
                (quote,),
                claim=claim_ref(claim),
                key=subject,
            )
