"""Helpers shared by the reconciliation and statement checks (retention, inventory, hashing, transport,
backup, statement).

Pure functions over evidence values: file:line locations for observations, the quoted
claim, which statement subjects speak about which log family.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditor.evidence.claims import Claim, ClaimSet, period_days
from auditor.evidence.host import HostEvidence, UserDatabase
from auditor.evidence.settings import Setting, SourceRef
from auditor.messages import templates
from auditor.models import ClaimRef, Location, Message, Observation, Outcome, Status, joined, msg
from auditor.registry import CheckContext

#: Statement subjects that promise something about a log family, most specific first.
#: The journal holds the same mail.* lines as mail.log, so the mail promise covers it too; on a
#: mail host the auth log records the mail users' logins (PAM for Dovecot/saslauthd) with
#: client IPs, i.e. the mail servers' connection data the same promise speaks about.
#: A promise about "IP addresses" as such covers every log that records them (the last resort).
FAMILY_SUBJECTS: dict[str, tuple[str, ...]] = {
    "mail": ("mail-metadata-logs", "ip-addresses"),
    "journal": ("mail-metadata-logs",),
    "web-access": ("web-access-logs", "webmail-logs", "ip-addresses"),
    "webmail": ("webmail-logs", "login-logs", "ip-addresses"),
    "cloud": ("cloud-logs",),
    "auth": ("login-logs", "mail-metadata-logs", "ip-addresses"),
}


def location(ref: SourceRef | Setting | None) -> Location | None:
    """``file:line`` of a setting or source; ``None`` for built-in defaults (they have no line to cite)."""
    if ref is None or not ref.file or ref.file.startswith("<"):
        return None
    return Location(path=ref.file, line=ref.line or None)


def setting_message(s: Setting) -> Message:
    """``name = value (file:line)``, or ``(built-in default)`` in the report's language."""
    where: str | Message = msg("setting.default") if s.default else f"{s.file}:{s.line}"
    return msg("setting.text", name=s.name, value=s.value, where=where)


def claim_ref(claim: Claim | None) -> ClaimRef | None:
    if claim is None:
        return None
    return ClaimRef(claim_id=claim.id, kind=claim.kind, quote=claim.quote, subject=claim.subject)


def source_name(claims: ClaimSet) -> str:
    """What the claims were read from (file or URL), as a finding subject."""
    return claims.source or "statement"


def statement_location(claims: ClaimSet) -> Location:
    src = source_name(claims)
    return Location(url=src) if "://" in src else Location(path=src)


def claim_obs(claims: ClaimSet | None, claim: Claim | None) -> tuple[Observation, ...]:
    """The statement sentence as an observation (path/URL of the statement, character offsets)."""
    if claims is None or claim is None:
        return ()
    where = statement_location(claims)
    quote = msg("obs.statement-quote", start=claim.start, end=claim.end, quote=claim.quote[:300])
    return (Observation(msg("obs.statement"), quote, where),)


def db_location(db: UserDatabase) -> Location:
    """A SQLite database by its path inside the host root, a server database by its redacted DSN."""
    if db.engine == "sqlite":
        return Location(path=db.dsn_redacted.removeprefix("sqlite://"))
    return Location(url=db.dsn_redacted)


def host_of(ctx: CheckContext) -> HostEvidence | None:
    host: HostEvidence | None = ctx.evidence.host
    return host


def no_host() -> Outcome:
    return Outcome(Status.ERROR, "host", msg("host.none"))


def claims_of(ctx: CheckContext) -> ClaimSet | None:
    claims: ClaimSet | None = ctx.evidence.claims
    return claims


def shortest(claims: Iterable[Claim]) -> Claim | None:
    """The strictest of several claims: the shortest duration, else the first event-period claim."""
    items = list(claims)
    timed = [c for c in items if period_days(c) is not None]
    if timed:
        return min(timed, key=lambda c: period_days(c) or 0.0)
    return items[0] if items else None


def retention_claim(claims: ClaimSet | None, family: str) -> Claim | None:
    """The statement's retention promise for a log family (first subject in priority order that has one)."""
    if claims is None:
        return None
    for subject in FAMILY_SUBJECTS.get(family, ()):
        found = shortest(c for c in claims.by_kind("retention") if c.subject == subject)
        if found is not None:
            return found
    return None


def statement_term(kind: str, value: str) -> Message | str:
    """What a report calls a statement's data category, field, event or claim kind, in its language
    (``claims.<kind>.<value>`` in data/messages/claims.yaml); the id itself where none is known (a
    hand-edited claims file may name its own)."""
    key = f"claims.{kind}.{value}"
    return msg(key) if key in templates() else value


def subject_name(subject: str) -> Message | str:
    """The data category of a claim as a report names it ("Mailserver-Protokolle")."""
    return statement_term("subject", subject)


def field_names(fields: Iterable[str]) -> Message:
    """Fields of a claim as a report names them, comma-separated ("IP-Adresse, Absender")."""
    return joined([statement_term("field", f) for f in fields], sep=", ")


def period_message(claim: Claim) -> Message:
    """The promise's period as a message ("for up to P7D", "for P30D (after the account is closed)")."""
    event = statement_term("event", claim.event) if claim.event else ""
    if claim.period is None:
        return msg("period.with-event", period=msg("period.none"), event=event) if event else msg("period.none")
    bound = claim.bound if claim.bound in ("upper", "lower", "approx") else "exact"
    period = msg(f"period.{bound}", iso=claim.period)
    return msg("period.with-event", period=period, event=event) if event else period


def days(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + " d"
