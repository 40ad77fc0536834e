"""The claims both seed statements make, written out by hand from reading them.

Each claim as (kind, subject, fields, period, bound, value, event); fields as a frozenset
so the comparison does not depend on the order a statement lists them in. ``*_CLAIMS``
must all be found; ``*_ALSO`` are further true readings of the same statements (or their
paraphrases) that the reader may add, and nothing else may come out.
"""

from __future__ import annotations

from pathlib import Path

from auditor.evidence.claims import ClaimSet

SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds"
JULI = SEEDS / "000_81b93f4ea328551a.txt"
MAILGUN = SEEDS / "002_8771aa85b909eec6.txt"

Key = tuple[str, str, frozenset[str], str | None, str, str | None, str | None]


def key(
    kind: str,
    subject: str,
    fields: tuple[str, ...] = (),
    period: str | None = None,
    bound: str = "exact",
    value: str | None = None,
    event: str | None = None,
) -> Key:
    return (kind, subject, frozenset(fields), period, bound, value, event)


def keys(claims: ClaimSet) -> set[Key]:
    return {key(c.kind, c.subject, c.fields, c.period, c.bound, c.value, c.event) for c in claims.claims}


def check(claims: ClaimSet, required: set[Key], also: set[Key]) -> None:
    """Every required claim is found, and nothing beyond the required and the known true extras."""
    found = keys(claims)
    assert required <= found, f"missing: {sorted(required - found, key=str)}"
    assert found <= required | also, f"unexpected: {sorted(found - required - also, key=str)}"


JULI_CLAIMS = {
    key("transfer", "personal-data", value="no-third-parties"),
    key(
        "inventory",
        "account-data",
        ("name", "e-mail-address", "forwards", "alternative-address", "password-hash", "creation-date"),
    ),
    key("hash-scheme", "account-data", ("password-hash",), value="SHA512-CRYPT"),
    key("retention", "mail-metadata-logs", ("ip-address", "sender", "recipient", "timestamp"), "P7D"),
    key("location", "mailboxes", value="DE"),
    key("location", "cloud-data", value="DE"),
    key("backup", "backups", value="separate-server"),
    key("backup", "mailboxes", period="P1D"),
    key("retention", "webmail-logs", ("ip-address", "url", "user-agent"), "P7D"),
    key("retention", "cloud-logs", ("ip-address", "url", "user-agent"), "P7D"),
    key("transport-encryption", "client-access", value="enforced"),
}

MAILGUN_CLAIMS = {
    key("role", "service", value="processor"),
    key("retention", "message-bodies", period="P7D", bound="upper"),
    key("retention", "message-metadata", ("sender", "recipient", "subject-line", "ip-address", "routing-data"), "P30D"),
    key("inventory", "suppression-lists", ("e-mail-address",)),
    key("retention", "suppression-lists", event="until-user-deletes"),
    key("backup", "suppression-lists", period="P30D", bound="upper"),
    key("inventory", "recipient-activity", ("e-mail-address",), value="pseudonymised"),
    key("subject-rights", "data-subject-requests", period="P7D", bound="upper", value="forwarded-to-controller"),
    key("transfer", "personal-data", value="scc"),
}

_WEB_FIELDS = ("ip-address", "url", "user-agent")
JULI_ALSO = {
    key("inventory", "mailboxes"),  # "Deine Mails und Daten speichern wir"
    key("logging", "mail-metadata-logs", ("ip-address", "sender", "recipient", "timestamp")),
    key("logging", "webmail-logs", _WEB_FIELDS),
    key("logging", "cloud-logs", _WEB_FIELDS),
}
MAILGUN_ALSO = {
    key("logging", "message-metadata", ("sender", "recipient", "subject-line", "ip-address", "routing-data")),
    key("retention", "suppression-lists", ("e-mail-address",), event="indefinite"),  # "dauerhaft gespeichert"
    key("anonymisation", "recipient-activity", value="pseudonymised"),
}
