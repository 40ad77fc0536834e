"""Claim rules for what is kept: retention, logging, inventory, explicit non-storage,
anonymisation, backups, session lifetimes and subject-request deadlines.

Each rule reads one clause (``clauses.Clause``) with the categories the extractor has
resolved for it (``Scope``: named in the clause, or taken from an earlier sentence, the
list's lead-in or the heading) and returns draft claims or nothing. What decides a kind is
the family of wording (a period with a storage or deletion verb; a negated storage verb;
an anonymising verb), never one statement's sentence. A clause a rule does not fully
understand yields no claim, so the reviewer sees it listed as "not understood".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.claims.clauses import Clause
from auditor.claims.periods import clause_bound, rotation_cycle
from auditor.claims.vocab import vocabulary

#: Categories too general to be declared as "stored" on their own (they still carry periods).
GENERAL = frozenset(["personal-data", "service-data"])
_MAIL_FIELDS = frozenset(["sender", "recipient", "message-id", "remote-server-ip", "subject-line", "delivery-status"])
_WEB_FIELDS = frozenset(["url", "referrer", "user-agent", "http-status", "os"])
#: Kept by another company (a processor), not by the operator.
THIRD_PARTY_STORE = re.compile(
    r"\b(?:stored|kept|processed|hosted|held) by (?!us\b|you\b|the user|our\b|customers?\b)\w+|"
    r"\b(?:gespeichert|verarbeitet) (?:bei|von|durch) (?!uns\b|ihnen\b|dir\b|unser)\w+"
)
_ACCOUNT_GENERAL = frozenset(["personal-data", "service-data", "account-data", "closed-account-data"])


@dataclass(frozen=True, slots=True)
class Draft:
    """A claim before ids and offsets are assigned."""

    kind: str
    subject: str
    fields: tuple[str, ...] = ()
    period: str | None = None
    bound: str = "exact"
    value: str | None = None
    event: str | None = None
    minimum: str | None = None
    resolved: str = "clause"


@dataclass(frozen=True, slots=True)
class Scope:
    """What a clause is about and how that was decided.

    ``subjects`` are the categories (named in the clause, else resolved); ``resolved`` says
    from where: ``clause``, ``sentence``, ``previous`` (an earlier sentence), ``lead-in``,
    ``heading``. ``verb_nearby`` is true when the sentence, lead-in or heading has a
    storage or deletion verb the clause leaves out ("Connection logs: 90 days" under "How
    long we keep it"; "and messages in Trash after two weeks"); ``collected`` when the
    unit is a list item or label line under a lead-in or heading that says what is kept
    ("What we collect", "We store the following data:").
    """

    subjects: tuple[str, ...]
    resolved: str
    fields: tuple[str, ...] = ()
    verb_nearby: bool = False
    negated_lead_in: bool = False
    label_line: bool = False
    collected: bool = False


def infer_log(fields: tuple[str, ...]) -> str | None:
    """Which log a bare "the logs" means, from the fields it is said to hold."""
    if "login-success" in fields:
        return "login-logs"  # whether a login succeeded is a login record
    if _MAIL_FIELDS & set(fields):
        return "mail-metadata-logs"
    if _WEB_FIELDS & set(fields):
        return "web-access-logs"
    return None


def _event(clause: Clause) -> str | None:
    deleting = clause.has("delete")
    # what ends storage outranks what starts the count ("when you close your account, ... erased immediately")
    ordered = sorted(clause.events, key=lambda e: (e.name not in ("immediately", "indefinite"), e.start))
    for event in ordered:
        if event.name == "immediately" and not deleting:
            continue
        if event.name == "indefinite" and deleting:
            continue
        return event.name
    return None


def _period_bound(clause: Clause) -> tuple[str | None, str, str | None]:
    """The clause's one duration (with bound and range minimum), or none."""
    durations = {(p.iso, p.bound, p.minimum) for p in clause.periods}
    if len(durations) != 1:
        return None, "exact", None
    iso, bound, minimum = durations.pop()
    if bound == "exact":
        bound = clause_bound(clause.text) or "exact"
    return iso, bound, minimum


def _keeps(clause: Clause, scope: Scope) -> bool:
    return clause.has("store") or clause.has("delete") or scope.verb_nearby or scope.label_line


def session(clause: Clause) -> list[Draft]:
    """A lifetime of a session, cookie or code: never retention of personal data."""
    if not clause.periods or not clause.has("session") or clause.has("delete") or clause.has("session_record"):
        return []
    iso, bound, _ = _period_bound(clause)
    return [Draft("session", "sessions", period=iso, bound=bound)] if iso else []


def subject_rights(clause: Clause) -> list[Draft]:
    """A deadline for answering or forwarding a data subject's request."""
    iso, bound, _ = _period_bound(clause)
    if iso is None or not clause.has("request_reply"):
        return []
    words = clause.text
    if "betroffene" not in words and "data subject" not in words:
        return []
    value = "forwarded-to-controller" if any(w in words for w in ("kunde", "customer", "controller")) else "answered"
    return [Draft("subject-rights", "data-subject-requests", period=iso, bound=bound, value=value)]


def anonymisation(clause: Clause, scope: Scope, fields: tuple[str, ...]) -> list[Draft]:
    """Anonymised, truncated, pseudonymised or aggregated data (kept apart from deletion)."""
    kinds = [(name, clause.has(name)) for name in ("truncate", "anonymise", "pseudonymise", "aggregate")]
    present = [name for name, hit in kinds if hit]
    if not present:
        return []
    subjects = list(scope.subjects)
    logs = vocabulary().log_subjects
    if "statistics" in subjects:
        subjects = ["statistics"]  # "anonymised usage statistics made from these data"
    elif "ip-addresses" in subjects or ("ip-address" in fields and ("truncate" in present or set(subjects) <= logs)):
        subjects = ["ip-addresses"]  # what is anonymised in a log is its addresses
    if not subjects:
        return []
    if clause.negated and "anonymise" in present:
        return [Draft("anonymisation", s, value="none", resolved=scope.resolved) for s in subjects]
    iso, bound, _ = _period_bound(clause)
    # the anonymising verb owns the period ("anonymised after 24 hours", "last octet removed after 48 hours")
    acting = "truncate" in present or not (clause.has("store") or clause.has("delete"))
    period = iso if acting else None
    if "truncate" in present:
        value = "ip-truncated"
    elif "pseudonymise" in present:
        value = "pseudonymised"
    elif "aggregate" in present:
        value = "aggregated"
    elif period:
        value = "anonymised-after-delay"
    else:
        value = "anonymised-statistics" if "statistics" in subjects else "anonymised"
    return [
        Draft(
            "anonymisation", s, period=period, bound=bound if period else "exact", value=value, resolved=scope.resolved
        )
        for s in subjects
    ]


def backups(clause: Clause, scope: Scope, context: tuple[str, ...]) -> list[Draft]:
    """Backups: how long deleted data stays in them, and how they are made."""
    if "backups" not in scope.subjects:
        return []
    iso, bound, minimum = _period_bound(clause)
    event = _event(clause)
    drafts: list[Draft] = []
    if iso is not None and not clause.negated:
        held = [s for s in scope.subjects if s != "backups" and s not in GENERAL]
        if not held:
            anaphoric = "anaphor" in clause.generic or "data" in clause.generic
            held = [s for s in context if s != "backups"] if anaphoric and context else ["backups"]
        drafts += [
            Draft("backup", s, period=iso, bound=bound, event=event, minimum=minimum, resolved=scope.resolved)
            for s in held
        ]
        return drafts
    if clause.negated or iso is not None:
        return []
    cycle = rotation_cycle(clause.text)
    if cycle is not None:
        # "backups ... rotated every month": each backup lives about one cycle
        drafts.append(Draft("backup", "backups", period=cycle, bound="approx", resolved=scope.resolved))
    tokens = [
        name
        for name, cue in (
            ("daily", "backup_daily"),
            ("weekly", "backup_weekly"),
            ("offsite", "backup_offsite"),
            ("separate-server", "backup_separate"),
            ("private-network", "backup_private"),
            ("periodic", "backup_periodic"),
        )
        if clause.has(cue)
    ]
    if clause.has("encrypt") and not clause.has("unencrypted"):
        tokens.append("encrypted")
    if tokens and (clause.has("backup_exists") or clause.has("store")):
        drafts.append(Draft("backup", "backups", value="-".join(tokens), resolved=scope.resolved))
    return drafts


def retention(clause: Clause, scope: Scope, fields: tuple[str, ...]) -> list[Draft]:
    """A period or an ending event for the categories of the clause."""
    iso, bound, minimum = _period_bound(clause)
    event = _event(clause)
    if iso is None and event is None:
        return []
    closure = any(e.name in ("account-closure", "contract-end") for e in clause.events)
    subjects = scope.subjects or (("closed-account-data",) if closure and "data" in clause.generic else ())
    if clause.negated or not _keeps(clause, scope) or not subjects:
        return []
    if clause.has("request_reply") and not (clause.has("store") or clause.has("delete")):
        return []
    if clause.has("user_condition"):
        return []  # "if you want to keep your account longer ..." is advice, not the provider's period
    if (
        iso is None
        and event in ("account-closure", "contract-end", "inactivity")
        and not (clause.has("delete") or clause.has("store"))
    ):
        return []  # "after you close your account" alone says nothing about what is kept
    held = [s for s in subjects if s != "backups"]
    if closure and set(held) <= _ACCOUNT_GENERAL:
        held = ["closed-account-data"]  # what is kept after closure is the closed account's data
    return [
        Draft("retention", s, fields, iso, bound, event=event, minimum=minimum, resolved=scope.resolved) for s in held
    ]


def logging(clause: Clause, scope: Scope, fields: tuple[str, ...]) -> list[Draft]:
    """What a log records (its fields), for log categories."""
    logs = vocabulary().log_subjects
    held = [s for s in scope.subjects if s in logs]
    if not held or clause.negated or scope.negated_lead_in or clause.has("hedge"):
        return []
    if not (clause.has("log") or clause.has("store") or scope.collected):
        return []
    if not fields and not (clause.has("log") and scope.resolved == "clause"):
        return []
    return [Draft("logging", s, fields, resolved=scope.resolved) for s in held]


def inventory(clause: Clause, scope: Scope, fields: tuple[str, ...]) -> list[Draft]:
    """A category of data the service keeps (no period named in the clause)."""
    vocab = vocabulary()
    weak = set() if scope.collected else {r.id for r in vocab.subjects if r.weak}
    held = [s for s in scope.subjects if s not in vocab.log_subjects and s not in GENERAL | weak and s != "backups"]
    if not held or clause.negated or scope.negated_lead_in or clause.has("hedge"):
        return []
    referred = scope.resolved == "previous" and "data_anaphor" in clause.generic and clause.has("store")
    if scope.resolved not in ("clause", "sentence") and not referred:
        return []  # "the data" two sentences on is too weak a declaration; "the data needed for this" is not
    if not (clause.has("store") or clause.has("log") or scope.collected) or clause.has("encrypt"):
        return []
    if clause.has("pseudonymise") and not fields:
        return []  # the anonymisation claim says it ("Nutzungsprofile unter einem Pseudonym")
    if THIRD_PARTY_STORE.search(clause.text):
        return []  # kept by another company: a processor, not the operator's own inventory
    value = "pseudonymised" if clause.has("pseudonymise") else None
    return [Draft("inventory", s, fields, value=value, resolved=scope.resolved) for s in held]


def none_stored(clause: Clause, scope: Scope) -> list[Draft]:
    """An explicit promise that a category is not kept or logged."""
    negated = clause.negated or (scope.negated_lead_in and not clause.has("log"))
    if not negated or clause.has("hedge") or clause.has("share") or clause.has("encrypt"):
        return []
    if clause.has("outside_area"):
        return []  # "not in countries outside the GDPR's reach" is about where, not whether
    if not (
        clause.has("store")
        or clause.has("log")
        or scope.negated_lead_in
        or clause.text.lstrip(" -•*").startswith(("no ", "kein"))
    ):
        return []
    if scope.resolved not in ("clause", "lead-in"):
        return []
    return [Draft("none-stored", s, resolved=scope.resolved) for s in scope.subjects]
