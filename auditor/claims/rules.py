"""Per-kind claim rules: precise patterns that turn one sentence into claims.

Each rule looks at one lower-cased sentence (``role`` at the original, since an
operator's name is recognised by its capital letter) (with its subjects and fields already found) and
returns draft claims or nothing. The patterns are deliberately narrow: a sentence a
rule does not fully understand yields no claim, so the reviewer sees it listed as
"not understood" instead of a wrong promise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.claims.periods import Period

# Callers pass the lower-cased sentence (``vocab.lower``): lower-case patterns without
# IGNORECASE are several times faster on these long alternations.
_I = 0

STORAGE = re.compile(
    r"speicher|gespeichert|bewahr|vorgehalten|vorhalten|\b(?:halten|hält|behalten|behält)\b|logdatei|"
    r"protokolliert|gelöscht|lösch|verbleiben|"
    r"\bstore[sd]?\b|\bstoring\b|\bkept\b|\bkeep(?:s)?\b|\bretain|\bheld\b|\bdeleted\b|\berased\b|\bpurged\b|"
    r"\blog(?:ged|s|file)?\b|logfile|log-dateien|protokoll",
    _I,
)
CUE = re.compile(
    r"speicher|aufbewahr|lösch|protokoll|\blog|verschlüssel|backup|sicherung|hash|übermittl|drittl|dritte|"
    r"auftragsverarbeit|verantwortliche|\bstor(?:e|ed|age)\b|\bretain|retention|\bkept\b|delet|eras|encrypt|"
    r"transfer|third[- ]part|processor|controller|\d+\s*(?:tage|days)",
    _I,
)
PRONOUN = re.compile(r"\b(?:sie|diese|dieser|es|they|these|them|it|such data|this data)\b", _I)
CONTINUATION = re.compile(
    r"^(?:konkret\s+|darin\s+|dazu\s+)?(?:enthalten|gehören|umfasst|umfassen|sind das|das sind|dies sind)\b|"
    r"^(?:these|they|this|it|which|the logs?|the files?)\s+(?:include|includes|contain|contains|comprise|"
    r"comprises|record|records|are)\b|^(?:specifically|namely|in particular)\b",
    _I,
)
HASHED = re.compile(r"gehasht|pseudonymi|\bhashed\b|in hashed form", _I)

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
    r"\b(sha-?512-crypt|sha-?256-crypt|md5-crypt|blf-crypt|bcrypt|argon2id|argon2i|argon2|"
    r"yescrypt|scrypt|pbkdf2|ssha512|ssha256|ssha)\b",
    _I,
)
_PASSWORD_CUE = re.compile(r"hash|passw|kennw", _I)

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
    [
        "sie",
        "der",
        "die",
        "das",
        "kunde",
        "kunden",
        "you",
        "the",
        "customer",
        "customers",
        "dieser",
        "diese",
        "er",
        "es",
        "which",
        "who",
        "each",
        "every",
    ]
)

_MECHANISMS = (
    (
        "scc",
        re.compile(
            r"standardvertragsklauseln|standard contractual clauses|standard data protection clauses|"
            r"\bsccs?\b",
            _I,
        ),
    ),
    ("privacy-shield", re.compile(r"privacy shield", _I)),
    ("dpf", re.compile(r"data privacy framework|\bdpf\b|datenschutzrahmen", _I)),
    ("adequacy-decision", re.compile(r"angemessenheitsbeschluss|adequacy decision", _I)),
    (
        "binding-corporate-rules",
        re.compile(
            r"binding corporate rules|verbindliche interne datenschutzvorschriften|"
            r"\bbcrs?\b",
            _I,
        ),
    ),
)
_NO_THIRD_PARTIES = re.compile(
    r"nicht an dritte|keine (?:\w+ ){0,2}daten an dritte|nicht (?:an|gegenüber) dritten|"
    r"(?:do not|don't|never|will not|won't|does not)\s+(?:\w+\s+){0,4}(?:to|with)\s+third parties",
    _I,
)
_EXCEPTION = re.compile(r"\baußer\b|es sei denn|\bexcept\b|\bunless\b|\bsofern\b|\bausgenommen\b", _I)

_ENFORCED = re.compile(
    r"erzwingen|erzwungen|\bzwingend|ausschließlich (?:über )?verschlüsselt|nur verschlüsselt|"
    r"nur über verschlüsselte|\benforce[sd]?\b|mandatory|\brequire[sd]?\b|only (?:accept|allow)|"
    r"always encrypted",
    _I,
)
_ENCRYPTION = re.compile(r"verschlüssel|encrypt|\btls\b|\bssl\b|starttls", _I)
_CLIENT = re.compile(
    r"senden|empfangen|programm|client|imap|pop3|smtp|abruf|roundcube|webmail|submission|"
    r"computer|mobil|\bsend|receive|\bapp\b",
    _I,
)
_SERVER = re.compile(r"zwischen (?:den )?(?:mail)?servern|server-to-server|between (?:mail )?servers|\bmx\b", _I)

_COUNTRIES = {
    "DE": r"deutschland|germany",
    "AT": r"österreich|austria",
    "CH": r"der schweiz|switzerland",
    "FR": r"frankreich|france",
    "NL": r"den niederlanden|the netherlands|netherlands",
    "IE": r"irland|ireland",
    "FI": r"finnland|finland",
    "US": r"den usa|the usa|usa|den vereinigten staaten|the united states",
    "EU": r"der eu|the eu|eu|der europäischen union|the european union",
    "EEA": r"dem ewr|the eea|eea|dem europäischen wirtschaftsraum|the european economic area",
}
_LOCATION = re.compile(
    r"\b(?:in|innerhalb|within)\s+(?P<where>" + "|".join(f"(?P<{k}>{v})" for k, v in _COUNTRIES.items()) + r")\b", _I
)
_HOSTING = re.compile(
    r"server|rechenzentr|data ?cent|gehostet|hosted|hosting|standort|located|liegen|liegt|"
    r"gespeichert|\bstored\b|betrieben|operated|speichern|\bstore\b|\bkept\b",
    _I,
)
_OUTSIDE = re.compile(r"außerhalb|outside", _I)

_BACKUP = re.compile(r"backup|datensicherung|sicherungskopie", _I)
_SEPARATE = re.compile(
    r"(?:anderen|separaten|getrennten|zweiten|externen|eigenen)[^.]{0,30}server|"
    r"(?:another|a separate|a different|a second|separate)[^.]{0,30}server",
    _I,
)

_REQUEST = re.compile(r"anfrage|antrag|ersuchen|\brequests?\b", _I)
_DATA_SUBJECT = re.compile(r"betroffene[nr]? person|data subject", _I)
_FORWARD = re.compile(r"kunde|customer|verantwortliche|controller", _I)
_LOGGED = re.compile(r"protokolliert|protokollieren|\blogged\b|\bwe log\b", _I)


@dataclass(frozen=True, slots=True)
class Draft:
    """A claim before ids and offsets are assigned."""

    kind: str
    subject: str
    fields: tuple[str, ...] = ()
    period: str | None = None
    bound: str = "exact"
    value: str | None = None


def hash_scheme(sentence: str) -> list[Draft]:
    match = _SCHEME.search(sentence)
    if not match or not _PASSWORD_CUE.search(sentence.replace(match.group(), "")):
        return []
    scheme = _SCHEMES[match.group(1).lower().replace("sha-", "sha")]
    return [Draft("hash-scheme", "account-data", ("password-hash",), value=scheme)]


_ROLE_HINT = re.compile(r"verarbeiter|verantwortlich|processor|controller", re.IGNORECASE)


def role(sentence: str) -> list[Draft]:
    if _ROLE_HINT.search(sentence) is None:  # cheap gate before the two expensive patterns
        return []
    roles: set[str] = set()
    for pattern in _ROLE_PATTERNS:
        for match in pattern.finditer(sentence):
            who = match.groupdict().get("who")
            if who is not None and who.lower() in _NOT_OPERATOR:
                continue
            word = match.group("role").lower()
            roles.add("controller" if "verantwort" in word or "controller" in word else "processor")
    if len(roles) != 1:
        return []
    return [Draft("role", "service", value=roles.pop())]


def transfer(sentence: str) -> list[Draft]:
    drafts = [Draft("transfer", "personal-data", value=name) for name, p in _MECHANISMS if p.search(sentence)]
    if _NO_THIRD_PARTIES.search(sentence) and not _EXCEPTION.search(sentence):
        drafts.append(Draft("transfer", "personal-data", value="no-third-parties"))
    return drafts


def transport(sentence: str) -> list[Draft]:
    if not (_ENFORCED.search(sentence) and _ENCRYPTION.search(sentence)):
        return []
    subject = (
        "client-access"
        if _CLIENT.search(sentence)
        else "server-to-server"
        if _SERVER.search(sentence)
        else "all-connections"
    )
    return [Draft("transport-encryption", subject, value="enforced")]


def location(sentence: str, subjects: list[str]) -> list[Draft]:
    if _OUTSIDE.search(sentence) or not _HOSTING.search(sentence):
        return []
    countries = {k for m in _LOCATION.finditer(sentence) for k in _COUNTRIES if m.group(k)}
    if len(countries) != 1:
        return []
    country = countries.pop()
    held = [s for s in subjects if s not in ("backups", "personal-data")] or ["service-data"]
    return [Draft("location", s, value=country) for s in held]


def backup(sentence: str, subjects: list[str], context: str | None, periods: list[Period]) -> list[Draft]:
    if not _BACKUP.search(sentence):
        return []
    drafts: list[Draft] = []
    if _SEPARATE.search(sentence):
        drafts.append(Draft("backup", "backups", value="separate-server"))
    durations = {(p.iso, p.bound) for p in periods}
    if len(durations) == 1:
        iso, bound = durations.pop()
        held = [s for s in subjects if s != "backups"]
        if not held:
            held = [context] if context and PRONOUN.search(sentence) else ["backups"]
        drafts.extend(Draft("backup", s, period=iso, bound=bound) for s in held)
    return drafts


def subject_rights(sentence: str, periods: list[Period]) -> list[Draft]:
    if not (_REQUEST.search(sentence) and _DATA_SUBJECT.search(sentence)) or len({p.iso for p in periods}) != 1:
        return []
    period = periods[0]
    value = "forwarded-to-controller" if _FORWARD.search(sentence) else "answered"
    return [Draft("subject-rights", "data-subject-requests", period=period.iso, bound=period.bound, value=value)]


def retention(
    sentence: str, subjects: list[str], context: str | None, periods: list[Period], fields: tuple[str, ...]
) -> list[Draft]:
    if not STORAGE.search(sentence) or len({(p.iso, p.bound) for p in periods}) != 1:
        return []
    held = subjects or ([context] if context and PRONOUN.search(sentence) else [])
    return [Draft("retention", s, fields, periods[0].iso, periods[0].bound) for s in held if s != "backups"]


def inventory(sentence: str, subjects: list[str], fields: tuple[str, ...]) -> list[Draft]:
    if not fields or not subjects or not STORAGE.search(sentence):
        return []
    value = "pseudonymised" if HASHED.search(sentence) else None
    kind = "logging" if _LOGGED.search(sentence) else "inventory"
    return [Draft(kind, s, fields, value=value) for s in subjects if s != "backups"]
