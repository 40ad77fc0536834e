"""Data inventory: what the user database and the logs hold against what the statement declares.

GDPR Art. 13(1)(c) and 5(1)(a) require the data subject to be told which personal data is
processed; Art. 30 requires the same in the record of processing. A stored column the
statement never mentions (``phone``, ``alt_email``, ``last_login_ip``) or a logged field it
omits (an access log writing user agents) is a transparency gap. Categories are read
statement-wide, as Art. 13/14 frame them: an address the statement declares as account data
is declared when it also appears in a log. The reverse, a declared
category found nowhere, is informational: the statement may be outdated, or the data
lives where this audit could not look.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.evidence.claims import Claim, ClaimSet
from auditor.evidence.host import HostEvidence, LogFamily, UserDatabase
from auditor.evidence.outcomes import ErrorKind
from auditor.models import Message, Need, Observation, Outcome, Severity, Status, joined, msg
from auditor.registry import CheckContext, check

from .host_common import (
    FAMILY_SUBJECTS,
    claim_obs,
    claim_ref,
    claims_of,
    db_location,
    field_names,
    host_of,
    location,
    no_host,
    subject_name,
)

#: Database categories (auditor/collectors/host/db/lexicon.yaml) -> statement fields or subjects that declare them.
#: A category is also declared by a field of its own name (a hand-edited claims file may use it).
CATEGORY_DECLARED_BY: dict[str, frozenset[str]] = {
    "password": frozenset({"password-hash"}),
    "alternative-address": frozenset({"alternative-address"}),
    "forwarding-address": frozenset({"forwards"}),
    "ip-address": frozenset({"ip-address"}),
    "account-created": frozenset({"creation-date"}),
    "account-modified": frozenset({"creation-date", "timestamp"}),
    "name": frozenset({"name"}),
    "e-mail-address": frozenset({"e-mail-address", "username"}),
    "organisation": frozenset({"organisation", "name"}),
    "address-book": frozenset({"cloud-data"}),
    "calendar": frozenset({"cloud-data"}),
    "message-content": frozenset({"mailboxes", "message-bodies", "cloud-data"}),
}
#: Operational data kept to run the service, not a category the statement must list one by one.
OPERATIONAL: frozenset[str] = frozenset({"quota-usage", "language-preference", "session", "message-id"})
#: Undeclared categories graded high (content-like or secret data; see the catalogue's inventory rationale).
HIGH: frozenset[str] = frozenset({"message-content", "second-factor"})
#: Logged field kinds (host logs: timestamps.fields_in, web log formats) -> declaring statement fields.
FIELD_DECLARED_BY: dict[str, frozenset[str]] = {
    "ip-address": frozenset({"ip-address"}),
    "e-mail-address": frozenset({"e-mail-address", "sender", "recipient", "username"}),
    "user-name": frozenset({"username", "e-mail-address", "sender"}),  # a virtual mailbox logs in with its address
    "user-agent": frozenset({"user-agent"}),
    "url": frozenset({"url"}),
    "referer": frozenset({"url"}),
    "subject-line": frozenset({"subject-line"}),
}
_DECLARING_KINDS = ("inventory", "retention", "logging", "hash-scheme")


def _declared(claims: ClaimSet, subjects: tuple[str, ...] | None = None) -> set[str]:
    """Fields and subjects the statement declares (optionally only in claims about ``subjects``)."""
    out: set[str] = set()
    for c in claims.claims:
        if c.kind in _DECLARING_KINDS and (subjects is None or c.subject in subjects):
            out |= set(c.fields) | {c.subject}
    return out


def _is_declared(category: str, declared: set[str], table: dict[str, frozenset[str]]) -> bool:
    return category in declared or bool(table.get(category, frozenset()) & declared)


def _account_claim(claims: ClaimSet) -> Claim | None:
    return next((c for c in claims.by_kind("inventory") if c.subject == "account-data"), None) or next(
        iter(claims.by_kind("inventory")), None
    )


def _database_outcomes(db: UserDatabase, claims: ClaimSet, declared: set[str]) -> Iterator[Outcome]:
    subject = db.dsn_redacted
    where = db_location(db)
    found_in = tuple(Observation(msg("obs.named-in"), db.dsn_redacted, location(ref)) for ref in db.found_in)
    inv = db.inventory
    if db.error is not None or inv is None:
        why = db.error or msg("hashing.not-collected")
        yield Outcome(Status.ERROR, subject, msg("inventory.db-not-examined", why=why), found_in)
        return
    if inv.errors:
        shown = "; ".join(str(e) for e in inv.errors[:5])
        partly = msg("inventory.db-partly-examined", errors=shown)
        yield Outcome(Status.ERROR, subject, partly, found_in, key="errors")
    if not inv.tables:
        return
    claim = _account_claim(claims)
    columns: dict[str, list[str | Message]] = {}
    for table in inv.tables:
        for col in table.columns:
            if col.category and col.category not in OPERATIONAL:
                how: str | Message = (
                    "" if col.recognised_by == "name" else msg("inventory.by-its", how=col.recognised_by)
                )
                columns.setdefault(col.category, []).append(joined([f"{table.name}.{col.name}", how], sep=""))
    missing = sorted(c for c in columns if not _is_declared(c, declared, CATEGORY_DECLARED_BY))
    for category in missing:
        obs = found_in + tuple(Observation(msg("inventory.obs.column"), name, where) for name in columns[category][:20])
        obs += claim_obs(claims, claim)
        sev = Severity.HIGH if category in HIGH else Severity.MEDIUM
        listed = joined(columns[category][:5], sep=", ")
        detail = msg("inventory.db-undeclared", category=category, columns=listed)
        yield Outcome(Status.FAIL, subject, detail, obs, severity=sev, claim=claim_ref(claim), key=category)
    if missing or inv.errors:
        return  # a partial read proves no "everything declared"; its error outcome stands
    if not columns:
        unknown = msg("inventory.db-no-column", tables=len(inv.tables))
        yield Outcome(Status.ERROR, subject, unknown, found_in, claim=claim_ref(claim))
        return
    declared_all = msg("inventory.db-all-declared", categories=", ".join(sorted(columns)))
    yield Outcome(Status.PASS, subject, declared_all, found_in, claim=claim_ref(claim))


def _family_claims(claims: ClaimSet, family: str) -> list[Claim]:
    subjects = FAMILY_SUBJECTS.get(family, ())
    return [c for c in claims.claims if c.kind in _DECLARING_KINDS and c.subject in subjects]


def _log_outcomes(fam: LogFamily, claims: ClaimSet, declared: set[str]) -> Iterator[Outcome]:
    relevant = _family_claims(claims, fam.family)
    claim = relevant[0] if relevant else None
    by_field: dict[str, list[Observation]] = {}
    for f in fam.fields:
        if f.field in OPERATIONAL or f.field.endswith("(masked)"):
            continue
        loc = location(f.source) if f.source.file else None
        by_field.setdefault(f.field, []).append(Observation(f.how, f"{fam.family}: {f.field}", loc))
    missing = sorted(f for f in by_field if not _is_declared(f, declared, FIELD_DECLARED_BY))
    subject = f"{fam.family} logs"
    for field in missing:
        detail = msg("inventory.log-undeclared", family=fam.family, field=field)
        obs = tuple(by_field[field][:10]) + claim_obs(claims, claim)
        yield Outcome(Status.FAIL, subject, detail, obs, severity=Severity.MEDIUM, claim=claim_ref(claim), key=field)
    if by_field and not missing:
        declared_all = msg("inventory.log-all-declared", fields=", ".join(sorted(by_field)))
        yield Outcome(Status.PASS, subject, declared_all, claim=claim_ref(claim))


@check("inventory.undeclared", needs=[Need.HOST, Need.STATEMENT], area="host")
def inventory_undeclared(ctx: CheckContext) -> Iterator[Outcome]:
    """Fail (medium; high for content-like or second-factor data): a data category stored in
    the user database (a column mapped by the lexicon) or recorded in a log family (from the
    log format or sampled lines) that no statement claim declares. Pass: all declared.
    Error: the database could not be examined (e.g. credentials needed: pass --db), so
    stored categories are unknown; or no database was found at all."""
    host = host_of(ctx)
    claims = claims_of(ctx)
    if host is None or claims is None:
        yield no_host() if host is None else Outcome(Status.ERROR, "statement", msg("inventory.no-claims"))
        return
    declared = _declared(claims)
    missing = host.errors_in("inventory", ErrorKind.NOT_FOUND)
    for error in host.errors_in("inventory", ErrorKind.ERROR):
        yield Outcome(Status.ERROR, "user database", msg("inventory.read-error", error=error), key=error[:80])
    if missing:  # lookup files a snapshot did not capture: one finding, not one per file
        names = ", ".join(e.rpartition(": ")[0] for e in missing[:10]) + (" ..." if len(missing) > 10 else "")
        detail = msg("inventory.lookups-not-found", count=len(missing), names=names)
        not_found = tuple(Observation(msg("inventory.obs.not-found"), e) for e in missing[:20])
        yield Outcome(Status.ERROR, "user database", detail, not_found, key="lookups-not-found")
    if not host.databases:
        yield Outcome(Status.ERROR, "user database", msg("inventory.no-database"))
    for db in host.databases:
        yield from _database_outcomes(db, claims, declared)
    for fam in host.logs:
        if fam.present:
            yield from _log_outcomes(fam, claims, declared)


def _found_anywhere(host: HostEvidence) -> tuple[set[str], bool]:
    """Statement fields the database holds (mapped back from categories) and whether any DB was examined."""
    held: set[str] = set()
    examined = False
    for db in host.databases:
        if db.inventory is None or not db.inventory.tables:
            continue
        examined = True
        for cat in db.inventory.categories_found:
            held |= {cat} | set(CATEGORY_DECLARED_BY.get(cat, frozenset()))
    return held, examined


def _logged_fields(fam: LogFamily) -> set[str]:
    held = {"timestamp"} if fam.observed is not None and fam.observed.oldest_entry else set()
    for f in fam.fields:
        held |= {f.field} | set(FIELD_DECLARED_BY.get(f.field, frozenset()))
    return held


@check("inventory.not-found", needs=[Need.HOST, Need.STATEMENT], area="host")
def inventory_not_found(ctx: CheckContext) -> Iterator[Outcome]:
    """Warn (info): a field the statement declares for account data or for a log family was
    found neither in the examined database nor in that family's logs. Pass: all found.
    Error: the database or the logs the claim is about could not be examined.
    Informational: the statement may be outdated, or the data is kept where we cannot see."""
    host = host_of(ctx)
    claims = claims_of(ctx)
    if host is None or claims is None:
        yield no_host() if host is None else Outcome(Status.ERROR, "statement", msg("inventory.no-claims"))
        return
    in_db, examined = _found_anywhere(host)
    by_subject: dict[str, list[Claim]] = {}
    for claim in claims.claims:
        if claim.fields and claim.kind in _DECLARING_KINDS:
            by_subject.setdefault(claim.subject, []).append(claim)
    for subject, group in by_subject.items():  # one outcome per subject, however many claims declare it
        claim = group[0]
        fields = list(dict.fromkeys(f for c in group for f in c.fields))
        obs = claim_obs(claims, claim)
        families = [f for f in host.logs if f.present and subject in FAMILY_SUBJECTS.get(f.family, ())]
        if subject == "account-data":
            if not examined:
                unverifiable = msg("inventory.no-database-examined")
                yield Outcome(Status.ERROR, subject, unverifiable, obs, claim=claim_ref(claim), key=claim.id)
                continue
            held, where = in_db, msg("inventory.user-database")
        elif families:
            seen = [f for f in families if f.observed is not None and f.observed.found]
            if not seen and not any(f.fields for f in families):
                names = joined([msg("inventory.family-logs", family=f.family) for f in families], sep=", ")
                unverifiable = msg("inventory.no-logs-on-disk", names=names, fields=field_names(fields))
                yield Outcome(Status.ERROR, subject, unverifiable, obs, claim=claim_ref(claim), key=claim.id)
                continue
            held = set().union(*(_logged_fields(f) for f in families))
            where = joined([msg("inventory.family-logs", family=f.family) for f in families], sep=", ")
        else:
            continue
        absent = [f for f in fields if f not in held]
        if absent:
            named = subject_name(subject)
            detail = msg("inventory.declared-not-found", subject=named, where=where, absent=field_names(absent))
            ref = claim_ref(claim)
            yield Outcome(Status.WARN, subject, detail, obs, severity=Severity.INFO, claim=ref, key=claim.id)
        else:
            found = msg("inventory.all-found", where=where)
            yield Outcome(Status.PASS, subject, found, obs, claim=claim_ref(claim), key=claim.id)


#: Log families that a "not kept" promise about a log category speaks about (FAMILY_SUBJECTS read backwards).
def _families_of(subject: str) -> list[str]:
    return [family for family, subjects in FAMILY_SUBJECTS.items() if subject in subjects and subject != "ip-addresses"]


@check("inventory.not-stored", needs=[Need.HOST, Need.STATEMENT], area="host")
def inventory_not_stored(ctx: CheckContext) -> Iterator[Outcome]:
    """Fail (high): the statement says a category is not kept or logged ("we do not log IP
    addresses"), but a configured log records it (a web or mail log format writing the
    client address) or the log it names is kept on the host. Pass: the examined logs hold
    no such field and no such log exists. Error: no log family could be examined.
    Skipped: the statement makes no such promise, or one about data the host evidence does
    not cover. Why: a false negative promise misinforms (GDPR Art. 5(1)(a), Art. 12, 13)."""
    host = host_of(ctx)
    claims = claims_of(ctx)
    if host is None or claims is None:
        yield no_host() if host is None else Outcome(Status.ERROR, "statement", msg("inventory.no-claims"))
        return
    promises = claims.by_kind("none-stored")
    if not promises:
        yield Outcome(Status.SKIPPED, "statement", msg("inventory.no-promise"))
        return
    present = [f for f in host.logs if f.present]
    for claim in promises:
        obs = claim_obs(claims, claim)
        ref = claim_ref(claim)
        if claim.subject == "ip-addresses":
            hits = [(f, lf) for f in present for lf in f.fields if lf.field == "ip-address"]
            if not present:
                nothing = msg("inventory.no-log-family")
                yield Outcome(Status.ERROR, claim.subject, nothing, obs, claim=ref, key=claim.id)
            elif hits:
                label = msg("inventory.obs.logged-field")
                seen = tuple(
                    Observation(label, f"{f.family}: ip-address ({lf.how})", location(lf.source)) for f, lf in hits[:20]
                )
                which = ", ".join(sorted({f.family for f, _ in hits}))
                logged = msg("inventory.ip-logged", which=which)
                yield Outcome(
                    Status.FAIL, claim.subject, logged, seen + obs, severity=Severity.HIGH, claim=ref, key=claim.id
                )
            else:
                clean = msg("inventory.no-ip-logged", names=", ".join(f.family for f in present))
                yield Outcome(Status.PASS, claim.subject, clean, obs, claim=ref, key=claim.id)
            continue
        families = _families_of(claim.subject)
        if not families:
            uncovered = msg("inventory.not-covered")
            yield Outcome(Status.SKIPPED, claim.subject, uncovered, obs, claim=ref, key=claim.id)
            continue
        kept = [f for f in present if f.family in families]
        if kept:
            written = msg("retention.obs.written-to")
            seen = tuple(
                Observation(written, t.path, location(t.routed_by[0]) if t.routed_by else None)
                for f in kept
                for t in f.targets[:10]
            )
            families_kept = ", ".join(f.family for f in kept)
            detail = msg("inventory.kept-anyway", subject=subject_name(claim.subject), families=families_kept)
            yield Outcome(
                Status.FAIL, claim.subject, detail, seen + obs, severity=Severity.HIGH, claim=ref, key=claim.id
            )
        else:
            none_kept = msg("inventory.none-kept", families="/".join(families))
            yield Outcome(Status.PASS, claim.subject, none_kept, obs, claim=ref, key=claim.id)
