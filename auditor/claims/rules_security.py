"""Claim rules for how data is protected and where it goes: password hashing, encryption at
rest, end-to-end (zero-access), transport encryption (for which access, enforced or
opportunistic, minimum TLS version, HSTS, forward secrecy), location, transfers and the
operator's role.

Each rule reads one lower-cased clause (``role`` the original, since an operator's name is
recognised by its capital letter). Wording families, not sentences: "only over encrypted
connections" and "nehmen ausschließlich TLS-verschlüsselt an" are both enforcement; "if
the other server supports it" and "soweit möglich" are both opportunistic.
"""

from __future__ import annotations

import re

from auditor.claims.clauses import Clause
from auditor.claims.rules import GENERAL, THIRD_PARTY_STORE, Draft, Scope
from auditor.claims.vocab import vocabulary

_SCHEMES = {
    "sha512-crypt": "SHA512-CRYPT",
    "sha256-crypt": "SHA256-CRYPT",
    "md5-crypt": "MD5-CRYPT",
    "blf-crypt": "BLF-CRYPT",
    "bcrypt": "bcrypt",
    "argon2id": "argon2id",
    "argon2i": "argon2i",
    "argon2": "argon2",
    "scrypt": "scrypt",
    "yescrypt": "yescrypt",
    "pbkdf2": "PBKDF2",
    "ssha512": "SSHA512",
    "ssha256": "SSHA256",
    "ssha": "SSHA",
}
_SCHEME = re.compile(
    r"\b(sha-?512-crypt|sha-?256-crypt|md5-crypt|blf-crypt|bcrypt|argon2id|argon2i|argon2|yescrypt|scrypt|pbkdf2|"
    r"ssha512|ssha256|ssha)\b"
)
_ROLE_WORDS = (
    r"(?P<role>auftragsverarbeiter|datenverarbeiter|unterauftragsverarbeiter|verantwortliche[rn]?|"
    r"datenverantwortliche[rn]?|(?:data\s+)?processor|sub-?processor|(?:data\s+)?controller)"
)
_FILLER = (
    r"(?:(?:hierbei|dabei|insoweit|daher|hier|rechtlich|datenschutzrechtlich|ausschließlich|nur|lediglich|"
    r"only|solely|legally)\s+)?"
)
_ROLE_PATTERNS = (
    re.compile(
        rf"\b(?P<who>(?i:wir|we)|[A-Z][\w-]+)\s+(?i:(?:gilt|gelten|ist|sind|handelt|handeln|agiert|agieren|"
        rf"fungiert|fungieren|tritt|treten|is|are|acts?|serves?|operates?|functions?)\s+{_FILLER}"
        rf"(?:als\s+|as\s+)?(?:ein|eine|der|die|a|an|the|your)?\s*{_ROLE_WORDS})\b"
    ),
    re.compile(
        rf"\b(?:als|as)\s+(?:ihr\s+|a\s+|an\s+|the\s+|your\s+)?{_ROLE_WORDS},?\s+(?:sind|haben|handeln|"
        rf"agieren|verarbeiten|werden|we)\b(?:\s+wir\b)?",
        re.IGNORECASE,
    ),
)
_NOT_OPERATOR = frozenset(
    "sie der die das kunde kunden you the customer customers dieser diese er es which who each every".split()  # noqa: SIM905
)
_ROLE_HINT = re.compile(r"verarbeiter|verantwortlich|processor|controller", re.IGNORECASE)
_MECHANISMS = (
    (
        "scc",
        re.compile(
            r"standardvertragsklauseln|standard contractual clauses|standard data protection clauses|"
            r"\bsccs?\b"
        ),
    ),
    ("privacy-shield", re.compile(r"privacy shield")),
    ("dpf", re.compile(r"data privacy framework|\bdpf\b|datenschutzrahmen")),
    ("adequacy-decision", re.compile(r"angemessenheitsbeschluss|adequacy decision")),
    (
        "binding-corporate-rules",
        re.compile(
            r"binding corporate rules|verbindliche interne datenschutzvorschriften|"
            r"\bbcrs?\b"
        ),
    ),
)
_CLIENT = re.compile(
    r"senden|empfangen|programm|client|\bimap\b|\bpop3?\b|smtp-?(?:submission|auth)|submission|abruf|zugangsart|"
    r"access types?|mail ?apps?|\bsend(?:ing)? and receiv|mobil|computer|\bapps?\b|e-?mail-programm|owa|mapi"
)
_SERVER = re.compile(
    r"zwischen (?:den )?(?:mail)?servern|server-to-server|between (?:mail )?servers|\bmx\b|(?:anderen|fremden) "
    r"mailservern|other mail ?servers|a mail server|gegenstelle|receiving server|remote server|mit anderen servern"
)
_WEB = re.compile(r"browser|webangebot|website|webseite|https\b|web ?pages?|internetseite|webmail|web interface")
_MIN_TLS = re.compile(
    r"tls\s*(?:v(?:ersion)?\s*)?(1\.[0-3])\s*(?:(?:or|oder|und|and)\s+(?:higher|newer|höher|neuer|later|above|"
    r"aufwärts)|\+|and 1\.3|und 1\.3)|(?:mindestens|at least|minimum(?: of)?|nur|only|ausschließlich)\s+tls\s*"
    r"(?:v(?:ersion)?\s*)?(1\.[0-3])"
)
_SOLD = re.compile(r"(?:\bnot|\bnever|n['’]t|\bnicht|\bkeine?)\s+(?:\w+\s+){0,2}(?:sell|share|verkauf)")
_CONTROLLER_HEAD = re.compile(
    r"^verantwortliche?r?\b[^.]{0,160}\b(?:ist|sind)\b|^(?:the )?controller\b[^.]{0,160}\bis\b"
)
#: The Art. 13(1)(a) heading that introduces the operator as controller.
_CONTROLLER_TITLE = re.compile(
    r"^(?:\d[\d.]*\s*)?(?:name and (?:postal )?(?:address|contact details) of the (?:data )?controller|"
    r"name und (?:anschrift|kontaktdaten) des verantwortlichen|verantwortliche stelle\b)"
)
_HSTS = re.compile(r"\bhsts\b|strict-transport-security|http strict transport")
_FORWARD_SECRECY = re.compile(r"forward secrecy|\bpfs\b|folgenlose geheimhaltung")
_OTHER_SERVICES = re.compile(r"\bcloud\b|\bxmpp\b|\bchat\w{0,3}\b|calendar|kalender|\bfiles?\b|dateien")
#: Member states and areas of the GDPR: keeping data there is no third-country transfer.
_EU_EEA = frozenset(
    "EU EEA DE AT FR NL IE FI SE BE IT ES PT DK PL CZ LU SK SI HU RO BG HR GR CY MT EE LV LT NO IS LI".split()  # noqa: SIM905
)
#: "these are also encrypted", "auch diese werden verschlüsselt": the pronoun is what is encrypted.
_THESE_ENCRYPTED = re.compile(
    r"\b(?:these|those|they|it|diese|sie|es)\s+(?:\w+\s+){0,2}(?:are|is|were|will be|sind|werden|wird|ist)\s+"
    r"(?:\w+\s+){0,2}(?:encrypted|verschlüsselt)"
)
#: A universal over the operator's machines: what they store is all the service's data.
_EVERY_SYSTEM = re.compile(
    r"\b(?:all|alle|sämtliche)\w{0,2} (?:of )?(?:unsere[nr]? |our |the |die |der )?(?:server|system|festplatte|disk|"
    r"datenträger|storage|speicher)"
)
_POSTAL = re.compile(r"\b\d{4,5}\s+[a-zäöü]|\bch-\d{4}|\bd-\d{5}|\bpostfach\s+\d")


def hash_scheme(clause: Clause) -> list[Draft]:
    """The password-hash scheme, or a hash without a named algorithm ("salted hash")."""
    text = clause.text
    if not clause.has("password"):
        return []
    match = _SCHEME.search(text)
    if match:
        if not vocabulary().cue("password").search(text.replace(match.group(), "")) and "hash" not in text:
            return []
        return [
            Draft(
                "hash-scheme", "account-data", ("password-hash",), value=_SCHEMES[match.group(1).replace("sha-", "sha")]
            )
        ]
    if not clause.has("hashed"):
        return []
    value = "salted-hash" if re.search(r"salt|gesalzen", text) else "unspecified"
    return [Draft("hash-scheme", "account-data", ("password-hash",), value=value)]


def role(original: str) -> list[Draft]:
    if _ROLE_HINT.search(original) is None:  # cheap gate before the two expensive patterns
        return []
    if _CONTROLLER_HEAD.search(original.lower()) or _CONTROLLER_TITLE.search(
        original.lower()
    ):  # "Verantwortlich für die Verarbeitung ... ist die ..."
        return [Draft("role", "service", value="controller")]
    roles: set[str] = set()
    for pattern in _ROLE_PATTERNS:
        for match in pattern.finditer(original):
            who = match.groupdict().get("who")
            if who is not None and who.lower() in _NOT_OPERATOR:
                continue
            word = match.group("role").lower()
            roles.add("controller" if "verantwort" in word or "controller" in word else "processor")
    if len(roles) != 1:
        return []
    return [Draft("role", "service", value=roles.pop())]


def transfer(clause: Clause, scope: Scope) -> list[Draft]:
    """Transfer mechanisms named, and "not passed on" (a legal obligation does not cancel it).

    "not passed on" speaks of all data, unless it refers back to a category ("Sie werden in
    keinem Fall an Dritte weitergegeben" after a sentence on log files)."""
    text = clause.text
    drafts = [Draft("transfer", "personal-data", value=name) for name, p in _MECHANISMS if p.search(text)]
    abroad = _recipient_countries(clause)
    if abroad:
        # "| Zendesk, Inc. | ... stored by Zendesk. | United States |": a recipient that keeps the data
        # in a country is a transfer there (a sub-processor table row, or one sentence)
        held = [s for s in scope.subjects if s not in ("personal-data", "service-data")] or ["personal-data"]
        drafts += [Draft("transfer", s, value=c, resolved=scope.resolved) for s in held for c in abroad]
    exception = clause.has("exception") and not clause.has("legal_exception")
    referred = "anaphor" in clause.generic and scope.resolved == "previous" and scope.subjects
    subject = scope.subjects[0] if referred else "personal-data"
    sold = _SOLD.search(text) is not None  # selling or sharing is always with someone else
    if clause.has("share") and (clause.has("third_party") or sold) and _negated_share(text) and not exception:
        drafts.append(Draft("transfer", subject, value="no-third-parties", resolved=scope.resolved))
    elif clause.has("outside_area") and re.search(r"\bnicht in\b|\bnot in\b|\bnever\b|\bnicht\b", text):
        drafts.append(Draft("transfer", "personal-data", value="no-third-countries"))
    return drafts


def _recipient_countries(clause: Clause) -> list[str]:
    """Countries outside the EU/EEA where another company keeps the clause's data ("stored by X")."""
    if THIRD_PARTY_STORE.search(clause.text) is None or clause.negated:
        return []
    found = dict.fromkeys(m.lastgroup for m in vocabulary().countries.finditer(clause.text) if m.lastgroup)
    return [c for c in found if c not in _EU_EEA]


def _negated_share(text: str) -> bool:
    return bool(
        re.search(
            r"\bnicht\b|\bkeine\w{0,2}\b|\bin keinem fall\b|\bnever\b|\bnot\b|n['’]t\b"
            r"|\bnobody\b|\bniemals\b|\bno one\b",
            text,
        )
    )


def transport(clause: Clause) -> list[Draft]:
    """Encryption in transit: for which access, and enforced, opportunistic or where possible."""
    text = clause.text
    drafts: list[Draft] = []
    minimum = _MIN_TLS.search(text) if "tls" in text else None
    if minimum:
        version = minimum.group(1) or minimum.group(2)
        drafts.append(Draft("transport-encryption", _access(text), value=f"min-tls-{version}"))
    if "transport" in text or "hsts" in text and _HSTS.search(text):
        drafts.append(Draft("transport-encryption", "website", value="hsts"))
    if ("secrecy" in text or "pfs" in text or "geheimhaltung" in text) and _FORWARD_SECRECY.search(text):
        drafts.append(Draft("transport-encryption", _access(text), value="forward-secrecy"))
    if not clause.has("encrypt") or clause.has("user_side") or not clause.has("in_transit"):
        return drafts
    if re.search(r"soweit möglich|wo möglich|where(?:ver)? possible|if possible|wenn möglich", text):
        value = "where-possible"
    elif clause.has("opportunistic"):
        value = "opportunistic"
    elif clause.has("enforced"):
        value = "enforced"
    else:
        return drafts
    subject = _access(text)
    if value == "opportunistic" and subject in ("all-connections", "client-access") and _SERVER.search(text):
        subject = "server-to-server"
    drafts.append(Draft("transport-encryption", subject, value=value))
    return drafts


def _access(text: str) -> str:
    if _CLIENT.search(text):
        return "client-access"
    if _SERVER.search(text):
        return "server-to-server"
    if _WEB.search(text):
        return "webmail-access" if "webmail" in text else "website"
    return "all-connections"


def encryption_at_rest(clause: Clause, scope: Scope) -> list[Draft]:
    """Stored data encrypted (disk, storage, backups) or explicitly stored unencrypted."""
    text = clause.text
    unencrypted = clause.has("unencrypted")
    # "..., but these are also encrypted": what "these" are was stored in the clause or sentence before
    stored_before = (
        scope.resolved in ("sentence", "previous") and bool(scope.subjects) and _THESE_ENCRYPTED.search(text)
    )
    at_rest = clause.has("at_rest") or (stored_before and not clause.has("in_transit"))
    if clause.has("user_key") and at_rest and not clause.negated:
        # "the backups contain your mailbox, so your password would be needed to open it"
        held = ["backups"] if "backups" in scope.subjects else [s for s in scope.subjects if s not in GENERAL]
        return [
            Draft("encryption-at-rest", s, value="user-key-encrypted", resolved=scope.resolved)
            for s in held or ["mailboxes"]
        ]
    if not (clause.has("encrypt") or unencrypted) or not at_rest or clause.has("zero_access"):
        return []
    if (_OTHER_SERVICES.search(text) or "cloud-data" in scope.subjects) and not (
        re.search(r"e-?mails?\b|postf|mailbox", text) or _EVERY_SYSTEM.search(text)
    ):
        return []  # another service's data (cloud files, chat history) is not the mail service's
    if unencrypted:
        value = "none"
    elif clause.has("user_side"):
        return []
    elif re.search(r"\bluks\b|dm-crypt", text):
        value = "disk-encryption-luks"
    elif re.search(r"festplatte|\bdisks?\b|datenträger", text):
        value = "disk-encryption"
    elif "backups" in scope.subjects or re.search(r"backup|sicherung", text):
        value = "encrypted-backups"
    elif re.search(r"written to disk|encrypted and (?:then )?(?:written|stored)", text):
        value = "encrypted-on-write"
    elif clause.has("in_transit") and not re.search(
        r"at rest|server-?side|serverseitig|stored|gespeichert|abgelegt", text
    ):
        return []
    else:
        value = "encrypted-storage"
    if value == "encrypted-backups":
        subjects = ["backups"]
    elif _EVERY_SYSTEM.search(text):
        subjects = ["service-data"]  # "all our servers ...": whatever "the data" was, it is all of it
    elif clause.has("mail_words") and not scope.subjects:
        subjects = ["mailboxes"]
    else:
        subjects = [s for s in scope.subjects if s != "backups"] or ["service-data"]
    return [Draft("encryption-at-rest", s, value=value, resolved=scope.resolved) for s in subjects]


def end_to_end(clause: Clause) -> list[Draft]:
    """The provider cannot read the mail (zero-access, end-to-end)."""
    if not clause.has("zero_access") or not clause.has("mail_words") or clause.has("user_side"):
        return []
    return [Draft("end-to-end", "mailboxes", value="zero-access")]


def location(clause: Clause, scope: Scope) -> list[Draft]:
    """Countries the data is kept in (several when named together)."""
    text = clause.text
    if not clause.has("hosting") or re.search(r"außerhalb|outside", text) and not re.search(r"\bnicht in\b", text):
        return []
    if _POSTAL.search(text) or _recipient_countries(clause):
        return []  # an address, or where a recipient keeps the data (a transfer)
    countries = list(dict.fromkeys(m.lastgroup for m in vocabulary().countries.finditer(text) if m.lastgroup))
    if not countries or len(countries) > 3:
        return []
    if "EU" in countries and len(countries) > 1:
        countries.remove("EU")
    held = [s for s in scope.subjects if s not in ("personal-data",)] or ["service-data"]
    return [Draft("location", s, value=c, resolved=scope.resolved) for s in held for c in countries]
