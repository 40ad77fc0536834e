"""Password hashing: the claimed scheme vs the configured default vs the schemes stored in the database.

GDPR Art. 32(1)(a) and 5(1)(f) require protection appropriate to the risk; passwords
stored in cleartext, with unsalted digests or with MD5-based crypt are cracked at scale
after a leak (the Knuddels fine, LfDI BW 2018, concerned cleartext storage). Dovecot
keeps old hashes until a user changes the password, so a configured strong default says
little about the stored reality: the database counts by scheme prefix decide (never a
hash is shown, only scheme names and counts).
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.evidence.claims import Claim
from auditor.evidence.hash_schemes import WEAK_SCHEMES, scheme_of
from auditor.evidence.host import PasswordWriter, UserDatabase
from auditor.evidence.settings import Setting
from auditor.models import Need, Observation, Outcome, Severity, Status, joined, msg
from auditor.registry import CheckContext, check

from .host_common import claim_obs, claim_ref, claims_of, db_location, host_of, location, no_host, setting_message

_ALIASES = {
    "BCRYPT": "BLF-CRYPT",
    "BLOWFISH": "BLF-CRYPT",
    "ARGON2": "ARGON2ID",
    "SHA-512-CRYPT": "SHA512-CRYPT",
    "SHA512CRYPT": "SHA512-CRYPT",
    "SHA-256-CRYPT": "SHA256-CRYPT",
    "MD5CRYPT": "MD5-CRYPT",
    "CLEARTEXT": "PLAIN",
    "KLARTEXT": "PLAIN",
}
_IGNORED = frozenset({"EMPTY"})  # accounts without a password (disabled, or authenticated elsewhere)
#: Dovecot schemes that only *decode*: CRYPT verifies any crypt(3) format a stored value has, so it
#: says nothing about what new passwords get (that is the writing tool's scheme, or the stored values').
DECODING_ONLY = frozenset({"CRYPT"})


def decoding_only(s: Setting) -> bool:
    return s.value.strip().strip("{}").upper() in DECODING_ONLY


def canonical(name: str) -> str:
    """A scheme name as :func:`scheme_of` spells it (``bcrypt`` -> ``BLF-CRYPT``, ``{MD5}`` -> ``MD5-CRYPT``)."""
    upper = name.strip().strip("{}").upper().replace("_", "-")
    upper = _ALIASES.get(upper, upper)
    known = scheme_of("{" + upper + "}")
    return upper if known == "UNKNOWN-PREFIX" else known


def _matches(found: str, claimed: str) -> bool:
    return found == claimed or (claimed.startswith("ARGON2") and found.startswith("ARGON2"))


def _severity(schemes: set[str]) -> Severity:
    return Severity.CRITICAL if "PLAIN" in schemes else Severity.HIGH


def _claim(ctx: CheckContext) -> Claim | None:
    claims = claims_of(ctx)
    found = claims.by_kind("hash-scheme") if claims is not None else ()
    return next((c for c in found if c.value), None)


def _default_outcome(
    s: Setting,
    claim: Claim | None,
    claimed: str | None,
    extra: tuple[Observation, ...],
    writer: PasswordWriter | None = None,
) -> Outcome:
    scheme = writer.scheme or "" if writer is not None else canonical(s.value)
    label = msg("hashing.obs.written-by", tool=writer.tool) if writer is not None else msg("hashing.obs.default")
    obs = (Observation(label, setting_message(s), location(s)), *extra)
    subject = f"{s.file}:{s.line}"
    who = f"{writer.tool}, {s.name} = {s.value}" if writer is not None else s.name
    ref = claim_ref(claim)
    if writer is not None and writer.scheme is None:
        unknown = msg("hashing.writer-unknown-scheme", tool=writer.tool, name=s.name, value=s.value)
        return Outcome(Status.WARN, subject, unknown, obs, severity=Severity.MEDIUM, claim=ref)
    if scheme in WEAK_SCHEMES:
        weak = msg("hashing.weak-default", scheme=scheme, who=who)
        return Outcome(Status.FAIL, subject, weak, obs, severity=_severity({scheme}), claim=ref)
    what = (
        msg("hashing.writer-uses", tool=writer.tool, scheme=scheme)
        if writer
        else msg("hashing.default-scheme", scheme=scheme)
    )
    if claimed is not None and not _matches(scheme, claimed):
        contradicts = msg("hashing.contradicts", what=what, claimed=claimed)
        return Outcome(Status.FAIL, subject, contradicts, obs, severity=Severity.HIGH, claim=ref)
    detail = msg("hashing.as-stated", what=what, claimed=claimed) if claimed else what
    return Outcome(Status.PASS, subject, detail, obs, claim=ref)


def _db_outcome(db: UserDatabase, claim: Claim | None, claimed: str | None, extra: tuple[Observation, ...]) -> Outcome:
    subject = db.dsn_redacted
    ref = claim_ref(claim)
    named = tuple(Observation(msg("obs.named-in"), db.dsn_redacted, location(r)) for r in db.found_in)
    inv = db.inventory
    if db.error is not None or inv is None:
        why = db.error or msg("hashing.not-collected")
        return Outcome(Status.ERROR, subject, msg("hashing.not-counted", why=why), named, claim=ref)
    if not inv.hash_columns:
        why = "; ".join(str(e) for e in inv.errors[:3]) or msg("hashing.no-password-column")
        return Outcome(Status.ERROR, subject, msg("hashing.not-counted", why=why), named, claim=ref)
    counts = {k: v for k, v in inv.hash_schemes.items() if k not in _IGNORED and v > 0}
    total = sum(counts.values())
    where = db_location(db)
    obs = named + tuple(Observation(msg("hashing.obs.column"), c, where) for c in inv.hash_columns)
    obs += tuple(Observation(msg("hashing.obs.count"), f"{k}: {v}", where) for k, v in sorted(counts.items()))
    obs += extra
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    partial = msg("hashing.row-budget") if inv.truncated else ""
    if total == 0:
        return Outcome(
            Status.ERROR, subject, msg("hashing.no-values", columns=", ".join(inv.hash_columns)), obs, claim=ref
        )
    weak = {k for k in counts if k in WEAK_SCHEMES}
    if weak:
        n = sum(counts[k] for k in weak)
        detail = msg("hashing.weak-stored", weak=n, total=total, shown=shown, partial=partial)
        return Outcome(Status.FAIL, subject, detail, obs, severity=_severity(weak), claim=ref)
    if claimed is not None:
        other = {k: v for k, v in counts.items() if not _matches(k, claimed)}
        if other:
            n = sum(other.values())
            detail = msg("hashing.other-stored", other=n, total=total, claimed=claimed, shown=shown, partial=partial)
            return Outcome(Status.FAIL, subject, detail, obs, severity=Severity.HIGH, claim=ref)
    unknown = {k for k in counts if k.startswith("UNKNOWN")}
    if unknown:
        detail = msg("hashing.unknown-prefixes", shown=shown)
        return Outcome(Status.WARN, subject, detail, obs, severity=Severity.MEDIUM, claim=ref)
    agree = msg("hashing.agree", claimed=claimed) if claimed else ""
    detail = msg("hashing.all-strong", total=total, agree=agree, shown=shown, partial=partial)
    return Outcome(Status.PASS, subject, detail, obs, claim=ref)


@check("hashing.scheme", needs=[Need.HOST], area="host")
def hashing_scheme(ctx: CheckContext) -> Iterator[Outcome]:
    """Per configured default scheme (Dovecot ``default_pass_scheme``) and per user database:
    Fail (high; critical for cleartext): a weak scheme (PLAIN/CLEARTEXT, MD5-CRYPT, SHA1/SHA,
    unsalted digests, DES-CRYPT) is configured or counted among stored passwords, or, when the
    statement names a scheme, a different one is configured or stored (the counts are named,
    never a hash). Pass: all strong and matching the claim. Warn: unrecognised prefixes.
    Error: the database could not be examined (e.g. credentials needed: pass --db), or Dovecot
    is configured but no scheme or database could be read. Skipped: no password store at all
    (a Postfix-only configuration repository). Needs no statement: weak hashes are a finding by
    themselves."""
    host = host_of(ctx)
    if host is None:
        yield no_host()
        return
    claim = _claim(ctx)
    claimed = canonical(claim.value) if claim is not None and claim.value else None
    extra = claim_obs(claims_of(ctx), claim)
    databases = [db for db in host.databases if db.purpose in ("mail-users", "given")]
    # unrendered: a template placeholder, config.templates reports the file
    graded = [s for s in host.pass_schemes if not s.unrendered and not decoding_only(s)]
    for s in graded:
        yield _default_outcome(s, claim, claimed, extra)
    for w in host.password_writers:
        yield _default_outcome(w.setting, claim, claimed, extra, w)
    for db in databases:
        yield _db_outcome(db, claim, claimed, extra)
    decoding = [s for s in host.pass_schemes if decoding_only(s)]
    if decoding and not host.password_writers and not databases:
        shown = joined([setting_message(s) for s in decoding], sep=", ")
        detail = msg("hashing.decoding-only", shown=shown)
        yield Outcome(Status.ERROR, "password hashing", detail, extra, claim=claim_ref(claim))
    if not host.pass_schemes and not databases and not host.password_writers and host.dovecot is None:
        yield Outcome(Status.SKIPPED, "password hashing", msg("hashing.no-store"), extra, claim=claim_ref(claim))
    elif not host.pass_schemes and not databases and not host.password_writers:
        yield Outcome(Status.ERROR, "password hashing", msg("hashing.no-scheme"), extra, claim=claim_ref(claim))
