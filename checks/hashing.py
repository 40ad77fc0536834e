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
from auditor.models import Need, Observation, Outcome, Severity, Status
from auditor.registry import CheckContext, check

from .host_common import claim_obs, claim_ref, claims_of, db_location, host_of, location, no_host, setting_text

_ALIASES = {"BCRYPT": "BLF-CRYPT", "BLOWFISH": "BLF-CRYPT", "ARGON2": "ARGON2ID", "SHA-512-CRYPT": "SHA512-CRYPT",
            "SHA512CRYPT": "SHA512-CRYPT", "SHA-256-CRYPT": "SHA256-CRYPT", "MD5CRYPT": "MD5-CRYPT",
            "CLEARTEXT": "PLAIN", "KLARTEXT": "PLAIN"}  # fmt: skip
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


def _default_outcome(s: Setting, claim: Claim | None, claimed: str | None, extra: tuple[Observation, ...],
                     writer: PasswordWriter | None = None) -> Outcome:  # fmt: skip
    scheme = writer.scheme or "" if writer is not None else canonical(s.value)
    label = f"written by {writer.tool}" if writer is not None else "configured default"
    obs = (Observation(label, setting_text(s), location(s)), *extra)
    subject = f"{s.file}:{s.line}"
    who = f"{writer.tool}, {s.name} = {s.value}" if writer is not None else s.name
    if writer is not None and writer.scheme is None:
        return Outcome(Status.WARN, subject, f"new passwords are written by {writer.tool} with a scheme this audit "
                       f"does not know ({s.name} = {s.value})", obs, severity=Severity.MEDIUM,
                       claim=claim_ref(claim))  # fmt: skip
    if scheme in WEAK_SCHEMES:
        return Outcome(Status.FAIL, subject, f"new passwords are hashed with the weak scheme {scheme} ({who})",
                       obs, severity=_severity({scheme}), claim=claim_ref(claim))  # fmt: skip
    what = f"new passwords written by {writer.tool} use {scheme}" if writer else f"configured default scheme {scheme}"
    if claimed is not None and not _matches(scheme, claimed):
        return Outcome(Status.FAIL, subject, f"{what}: contradicts the statement's {claimed}",
                       obs, severity=Severity.HIGH, claim=claim_ref(claim))  # fmt: skip
    return Outcome(Status.PASS, subject, what + (f", as the statement says ({claimed})" if claimed else ""), obs,
                   claim=claim_ref(claim))  # fmt: skip


def _db_outcome(db: UserDatabase, claim: Claim | None, claimed: str | None, extra: tuple[Observation, ...]) -> Outcome:
    subject = db.dsn_redacted
    named = tuple(Observation("named in", db.dsn_redacted, location(r)) for r in db.found_in)
    inv = db.inventory
    if db.error is not None or inv is None:
        return Outcome(Status.ERROR, subject, f"stored hashes not counted: {db.error or 'not collected'}", named,
                       claim=claim_ref(claim))  # fmt: skip
    if not inv.hash_columns:
        why = "; ".join(str(e) for e in inv.errors[:3]) or "no password column recognised"
        return Outcome(Status.ERROR, subject, f"stored hashes not counted: {why}", named, claim=claim_ref(claim))
    counts = {k: v for k, v in inv.hash_schemes.items() if k not in _IGNORED and v > 0}
    total = sum(counts.values())
    where = db_location(db)
    obs = named + tuple(Observation("password column", c, where) for c in inv.hash_columns)
    obs += tuple(Observation("scheme count", f"{k}: {v}", where) for k, v in sorted(counts.items())) + extra
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    partial = " (row budget reached: counts are a sample)" if inv.truncated else ""
    if total == 0:
        return Outcome(Status.ERROR, subject, f"no password values to count in {', '.join(inv.hash_columns)}", obs,
                       claim=claim_ref(claim))  # fmt: skip
    weak = {k for k in counts if k in WEAK_SCHEMES}
    if weak:
        n = sum(counts[k] for k in weak)
        return Outcome(Status.FAIL, subject, f"{n} of {total} stored passwords use weak schemes ({shown}){partial}",
                       obs, severity=_severity(weak), claim=claim_ref(claim))  # fmt: skip
    if claimed is not None:
        other = {k: v for k, v in counts.items() if not _matches(k, claimed)}
        if other:
            n = sum(other.values())
            return Outcome(Status.FAIL, subject, f"{n} of {total} stored passwords do not use the statement's "
                           f"{claimed} ({shown}){partial}", obs, severity=Severity.HIGH,
                           claim=claim_ref(claim))  # fmt: skip
    unknown = {k for k in counts if k.startswith("UNKNOWN")}
    if unknown:
        return Outcome(Status.WARN, subject, f"unrecognised scheme prefixes among stored passwords ({shown})", obs,
                       severity=Severity.MEDIUM, claim=claim_ref(claim))  # fmt: skip
    agree = f", as the statement says ({claimed})" if claimed else ""
    return Outcome(Status.PASS, subject, f"all {total} stored passwords use strong schemes{agree}: {shown}{partial}",
                   obs, claim=claim_ref(claim))  # fmt: skip


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
        shown = ", ".join(setting_text(s) for s in decoding)
        yield Outcome(Status.ERROR, "password hashing", f"unverifiable: {shown} decodes whatever crypt(3) format a "
                      "stored value has; the scheme of new passwords is set by the tool that writes them, and no "
                      "such tool's configuration nor the user database was found (pass --db DSN)", extra,
                      claim=claim_ref(claim))  # fmt: skip
    if not host.pass_schemes and not databases and not host.password_writers and host.dovecot is None:
        yield Outcome(Status.SKIPPED, "password hashing", "no Dovecot, SQL lookup or user database under the host "
                      "root: no password store to examine (a Postfix-only configuration)", extra,
                      claim=claim_ref(claim))  # fmt: skip
    elif not host.pass_schemes and not databases and not host.password_writers:
        yield Outcome(Status.ERROR, "password hashing", "unverifiable: no default password scheme is configured in "
                      "a Dovecot SQL lookup and no user database was found (pass --db DSN)",
                      extra, claim=claim_ref(claim))  # fmt: skip
