"""Statement-only checks: what the privacy statement itself says (no host needed).

The statement is the operator's promise to the people whose mail it handles. GDPR
Art. 13(2)(a) requires a storage period (or the criteria) for every category of data;
Art. 12 and 5(1)(a) require the information to be accurate and understandable, which
a statement citing repealed law or promising encryption the servers do not enforce
is not. Claims come from ``evidence.claims`` (extracted or a reviewed claims file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from auditor.clauses import Catalogue, Clause
from auditor.evidence.claims import Citation, Claim
from auditor.evidence.tls import VERSIONS
from auditor.models import Need, Observation, Outcome, Severity, Status, by_language, joined, msg
from auditor.registry import CheckContext, check

from .host_common import (
    claim_obs,
    claim_ref,
    claims_of,
    field_names,
    period_message,
    source_name,
    statement_location,
    subject_name,
)

#: Claim kinds that declare a data category the operator keeps.
_DECLARING = ("retention", "inventory", "logging")
#: Check-id prefixes of network findings that can contradict an encryption promise.
_NETWORK_PREFIXES = ("tls.", "starttls.", "mta-sts.", "config.transport")


def _missing(ctx: CheckContext) -> Outcome:
    return Outcome(Status.ERROR, "statement", msg("statement.no-claims"))


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
            msg("statement.nothing-declared", count=len(claims.not_understood)),
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
                msg("statement.kept-for", subject=subject_name(subject), period=period_message(shown)),
                obs,
                claim=claim_ref(shown),
                key=subject,
            )
        else:
            fields = sorted({f for c in items for f in c.fields})
            named = subject_name(subject)
            detail = (
                msg("statement.no-period-fields", subject=named, fields=field_names(fields))
                if fields
                else msg("statement.no-period", subject=named)
            )
            yield Outcome(
                Status.FAIL,
                subject,
                detail,
                obs,
                claim=claim_ref(shown),
                key=subject,
            )


@check("statement.outdated-law", needs=[Need.STATEMENT], area="statement")
def outdated_law(ctx: CheckContext) -> Iterator[Outcome]:
    """Fail (info): the statement cites a provision the clause catalogue lists as repealed
    (e.g. § 9 BDSG a.F., § 88 TKG a.F., the TTDSG or TMG), or a section of a repealed act;
    the finding names the provisions in force today. Pass: no citation of a repealed
    provision was found. Error: no statement was read.
    Why: information tied to dead law is misleading (GDPR Art. 12, Art. 5(1)(a))."""
    claims = claims_of(ctx)
    if claims is None:
        yield _missing(ctx)
        return
    today = ctx.evidence.now.date()
    outdated = [(c, found) for c in claims.cited_law if (found := _repealed(ctx.catalogue, c, today)) is not None]
    if not outdated:
        cited = ", ".join(sorted({c.text for c in claims.cited_law})) or msg("statement.none")
        yield Outcome(Status.PASS, source_name(claims), msg("statement.no-repealed", cited=cited))
        return
    seen: set[str] = set()
    for citation, (_, successors) in outdated:
        key = f"{citation.law}-{citation.section or 'act'}"
        if key in seen:
            continue
        seen.add(key)
        where = statement_location(claims)
        titles = [by_language(en=_short_title(c, "en"), de=_short_title(c, "de")) for c in successors]
        current = joined(titles, sep=" / ") if titles else msg("statement.current-law")
        quoted = msg("obs.statement-quote", start=citation.start, end=citation.end, quote=citation.text)
        yield Outcome(
            Status.FAIL,
            source_name(claims),
            msg("statement.outdated", citation=repr(citation.text), current=current),
            (Observation(msg("statement.obs.citation"), quoted, where),),
            severity=Severity.INFO,
            key=key,
            extra_clauses=tuple(c.id for c in successors),
        )


_ENDPOINT = re.compile(r":\d+$")
_SERVER_CHECKS = ("mta-sts.", "tls-rpt.", "dane.")
_WEB_CHECKS = ("https.",)


def _in_scope(check_id: str, subject: str, access: str) -> bool:
    """Whether a network finding speaks about the access a transport promise names."""
    mx = subject.endswith(":25") or check_id.startswith(_SERVER_CHECKS)
    web = subject.endswith(":443") or check_id.startswith(_WEB_CHECKS)
    if access == "client-access":
        return not mx
    if access == "server-to-server":
        return mx
    if access in ("webmail-access", "website"):
        return web
    return True


def _repealed(catalogue: Catalogue, citation: Citation, today: date) -> tuple[Clause, list[Clause]] | None:
    """The repealed clause a citation names (the provision itself, else its whole act) and
    the clauses in force instead; ``None`` when nothing cited is repealed by ``today``."""
    named: list[Clause] = []
    if citation.section is not None:
        form = "Art." if citation.law == "GDPR" else "§"
        named = catalogue.resolve_alias(f"{form} {citation.section} {citation.law}")
    for clause in (*named, *catalogue.resolve_alias(citation.law)):
        if clause.repealed is not None and clause.repealed <= today:
            in_force = [c for c in named if c.repealed is None]
            return clause, in_force or catalogue.current(clause.id)
    return None


def _short_title(clause: Clause, lang: str) -> str:
    """ "Art. 32 DSGVO" of "Art. 32 DSGVO – Sicherheit der Verarbeitung"."""
    return clause.title_in(lang).split(" – ")[0]


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
        yield Outcome(Status.SKIPPED, source_name(claims), msg("statement.no-encryption-claim"))
        return
    every = [f for f in ctx.findings if f.check_id.startswith(_NETWORK_PREFIXES)]
    for claim in promises:
        # a promise about client access says nothing about port 25 between mail servers, and back
        network = [f for f in every if _in_scope(f.check_id, f.subject, claim.subject)]
        examined = [f for f in network if f.status in (Status.PASS, Status.WARN, Status.FAIL)]
        failed = [f for f in examined if f.status == Status.FAIL]
        # an error that names no endpoint (discovery, DNS) leaves every access unverified
        unverified = [
            f for f in every if f.status == Status.ERROR and (f in network or not _ENDPOINT.search(f.subject))
        ]
        subject = claim.subject
        (quote,) = claim_obs(claims, claim)
        if not examined:
            yield Outcome(
                Status.ERROR,
                subject,
                msg("statement.no-network-evidence", count=len(network)),
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
                msg("statement.encryption-contradicted", count=len(failed), ids=ids),
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
                msg("statement.encryption-unverified", unverified=len(unverified), total=len(network)),
                (quote, *listed),
                claim=claim_ref(claim),
                key=subject,
            )
        else:
            yield Outcome(
                Status.PASS,
                subject,
                msg("statement.encryption-consistent", count=len(examined)),
                (quote,),
                claim=claim_ref(claim),
                key=subject,
            )


_MIN_TLS = re.compile(r"^min-tls-(1\.[0-3])$")
#: Which scanned services a claim about an access covers (the scan's ``proto``).
_ACCESS_PROTOS: dict[str, frozenset[str]] = {
    "client-access": frozenset({"submission", "submissions", "imap", "imaps", "pop3", "pop3s"}),
    "server-to-server": frozenset({"smtp"}),
    "webmail-access": frozenset({"https"}),
    "website": frozenset({"https"}),
}


@check("statement.tls-version", needs=[Need.STATEMENT, Need.NETWORK, Need.ENDPOINTS], area="statement")
def tls_version(ctx: CheckContext) -> Iterator[Outcome]:
    """Fail (high): the statement promises a minimum TLS version ("only TLS 1.2 or higher")
    and a scanned endpoint it covers accepts an older one. Pass: every covered endpoint
    refuses the older versions. Error: an endpoint could not be scanned or left a version
    unknown (throttled, deadline). Skipped: no such promise, or no scanned endpoint it covers.
    Why: a security promise contradicted by the servers misleads (GDPR Art. 5(1)(a), Art. 12)."""
    claims = claims_of(ctx)
    if claims is None:
        yield _missing(ctx)
        return
    promises = [(c, m.group(1)) for c in claims.by_kind("transport-encryption") if (m := _MIN_TLS.match(c.value or ""))]
    if not promises:
        yield Outcome(Status.SKIPPED, source_name(claims), msg("statement.no-min-tls"))
        return
    for claim, version in promises:
        floor = VERSIONS.index(f"TLSv{version}")
        protos = _ACCESS_PROTOS.get(claim.subject)
        scans = [s for s in ctx.evidence.tls if protos is None or s.proto in protos]
        (quote,) = claim_obs(claims, claim)
        if not scans:
            yield Outcome(
                Status.SKIPPED,
                claim.subject,
                msg("statement.no-scanned-endpoint", subject=subject_name(claim.subject)),
                (quote,),
                claim=claim_ref(claim),
                key=claim.id,
            )
            continue
        older = [(s, v) for s in scans for v in VERSIONS[:floor] if s.protocols.get(v)]
        unknown = [s for s in scans if not s.reachable or any(s.protocols.get(v) is None for v in VERSIONS[:floor])]
        if older:
            seen = tuple(Observation(msg("statement.obs.accepted"), f"{s.subject}: {v}") for s, v in older[:20])
            yield Outcome(
                Status.FAIL,
                claim.subject,
                msg("statement.tls-older-accepted", version=version, count=len({s.subject for s, _ in older})),
                (quote, *seen),
                severity=Severity.HIGH,
                claim=claim_ref(claim),
                key=claim.id,
            )
        elif unknown:
            seen = tuple(Observation(msg("statement.obs.unknown"), s.subject) for s in unknown[:20])
            yield Outcome(
                Status.ERROR,
                claim.subject,
                msg("statement.tls-unverified", count=len(unknown)),
                (quote, *seen),
                claim=claim_ref(claim),
                key=claim.id,
            )
        else:
            yield Outcome(
                Status.PASS,
                claim.subject,
                msg("statement.tls-kept", count=len(scans), version=version),
                (quote,),
                claim=claim_ref(claim),
                key=claim.id,
            )
