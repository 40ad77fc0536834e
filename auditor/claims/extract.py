"""Statement text → claim set: unit by unit, clause by clause, quotes and offsets kept.

Per unit (sentence, list item, heading): split into clauses between periods, find the
categories each clause names, then resolve what a clause without its own category is
about, in this order: the clause, the rest of the sentence, a bare "the logs" with the
fields it holds, an earlier sentence since the heading (anaphora: "These records ...",
"this information"), the list's lead-in, the heading. How it was resolved becomes the
claim's ``resolved`` and ``confidence``. Then each claim rule (``rules``,
``rules_security``) speaks. A unit that names a period, a category or a storage,
deletion or encryption cue and gives no claim is listed as not understood: nothing silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from auditor.claims import rules, rules_security
from auditor.claims.citations import find_citations
from auditor.claims.clauses import Clause, find_fields, split
from auditor.claims.periods import find_periods
from auditor.claims.reader import StatementText, detect_language
from auditor.claims.segment import Unit, segment
from auditor.claims.vocab import lower, vocabulary
from auditor.evidence.claims import RESOLUTIONS, Claim, ClaimSet, Span, claim_id

#: Longer "sentences" are not read for claims (a wall of text without punctuation).
MAX_UNIT_CHARS = 4000
#: Units read per statement (~250 pages); bounds the time on hostile input such as
#: millions of one-word "sentences". The unread rest is listed as not understood.
MAX_UNITS = 10_000
#: How far back (in units, within the section) an anaphor looks for what it refers to.
LOOK_BACK = 3

_CONTINUATION = re.compile(
    r"^(?:konkret\s+|darin\s+|dazu\s+)?(?:enthalten|gehören|umfasst|umfassen|sind das|das sind|dies sind)\b|"
    r"^(?:sie|diese)\s+(?:beinhalten|enthalten|umfassen)\b|"
    r"^(?:these|they|this|it|which|the logs?|the files?)\s+(?:include|includes|contain|contains|comprise|"
    r"comprises|record|records|are)\b|^(?:specifically|namely|in particular)\b"
)
#: A sentence giving examples of what the sentence before it spoke of.
_EXAMPLES = re.compile(
    r"^(?:seien (?:dies|das|es)|sei es|ob (?:es sich um|nun)|zum beispiel|beispielsweise|etwa|dazu gehören|"
    r"darunter (?:fallen|sind)|be (?:it|they)|whether (?:it is|it's|they are)|for (?:example|instance)|"
    r"such as|this includes|these include|that includes)\b"
)
_RELEVANT = ("store", "delete", "log", "encrypt", "anonymise", "hashed", "share", "unencrypted")
#: Claims whose promise is the list below their lead-in.
_LISTING = frozenset(["logging", "inventory", "none-stored"])
_LABEL = re.compile(r"^[^:]{2,60}:\s|\s[-–]\s")


@dataclass
class _Seen:
    """What one unit was about (own categories, or the ones resolved for it)."""

    subjects: tuple[str, ...] = ()
    negated: bool = False
    keeps: bool = False
    fields: tuple[str, ...] = ()


def _relevant(clauses: list[Clause]) -> bool:
    return any(c.periods or c.mentions or "logs" in c.generic or any(c.has(cue) for cue in _RELEVANT) for c in clauses)


class _Reader:
    """Reads the units of one statement in order, remembering what earlier units were about."""

    def __init__(self, source: str, language: str) -> None:
        self.source = source
        self.language = language
        self.units: list[Unit] = []
        self.seen: list[_Seen] = []
        self.claims: list[Claim] = []
        self.understood: list[Span] = []
        self.not_understood: list[Span] = []
        self.children: dict[int, list[int]] = {}
        self._previous: list[int] = []
        self._keeps_here = False  # some unit since the last heading speaks of keeping data
        self._referred_fields: tuple[str, ...] = ()  # fields of the unit an anaphor was resolved to
        self._unit_fields_cache: dict[int, tuple[str, ...]] = {}

    # ------------------------------------------------------------------ resolution

    def _earlier(self, index: int, logs_only: bool, want: int = 1) -> tuple[str, ...]:
        """Categories of the nearest earlier units since the heading (``want`` distinct ones: "for both")."""
        unit = self.units[index]
        floor = unit.section if unit.section is not None else -1
        logs = vocabulary().log_subjects
        found: list[str] = []
        for back in range(index - 1, max(floor, index - 1 - LOOK_BACK), -1):
            lead = self.units[back].lead_in  # a list counts as one step back: its lead-in too
            for seen in (self.seen[back], *((self.seen[lead],) if lead is not None else ())):
                subjects = tuple(s for s in seen.subjects if s in logs) if logs_only else seen.subjects
                if subjects and not seen.negated:
                    found += [s for s in subjects if s not in found]
                    self._referred_fields = self._fields_of(back)
                    if len(found) >= want:
                        return tuple(found)
        return tuple(found)

    def _scope(self, index: int, clause: Clause, clauses: list[Clause], fields: tuple[str, ...]) -> rules.Scope:
        unit = self.units[index]
        above = any(i is not None and self.seen[i].keeps for i in (unit.lead_in, unit.section))
        verb_nearby = (
            above
            or self._section_keeps(index)
            or any(c.has("store") or c.has("delete") or c.has("log") for c in clauses)
        )
        label_line = unit.row or (
            (unit.item or bool(_LABEL.search(unit.text)) or unit.heading) and len(unit.text.split()) <= 14
        )
        negated_lead_in = unit.lead_in is not None and self.seen[unit.lead_in].negated
        # "Wir speichern alles, was du uns anvertraust. Seien dies E-Mails, Kontakte ...": examples of
        # what the sentence before keeps are kept
        examples = index > 0 and self.seen[index - 1].keeps and bool(_EXAMPLES.match(lower(unit.text)))
        base = rules.Scope(
            (),
            "clause",
            fields,
            verb_nearby or examples,
            negated_lead_in,
            label_line,
            collected=(above and unit.item) or examples,
        )
        generic = clause.generic
        own = tuple(clause.subjects)
        bare_item = unit.lead_in is not None and not clause.periods and not (clause.has("store") or clause.has("log"))
        # the named categories are only the contents of something else: fields of a log ("Server logs
        # which store your username and your IP address"), of the list's lead-in, or "these logs"
        contents = clause.weak_only and ("logs" in generic or "anaphor" in generic or bare_item or len(fields) >= 3)
        weak = {r.id for r in vocabulary().subjects if r.weak} | rules.GENERAL
        logs_head = "logs" in generic and "anaphor" in generic and all(s in weak for s in own)
        if own and not (contents or logs_head):
            return replace(base, subjects=own, resolved="clause")
        others = [s for c in clauses if c is not clause and not c.periods for s in c.subjects]
        if others and not contents:
            return replace(base, subjects=tuple(dict.fromkeys(others)), resolved="sentence")
        if "logs" in generic or contents:
            inferred = rules.infer_log(fields)
            if inferred:
                return replace(base, subjects=(inferred,), resolved="clause")
        if bare_item and unit.lead_in is not None and self.seen[unit.lead_in].subjects:
            return replace(base, subjects=self.seen[unit.lead_in].subjects, resolved="lead-in")
        # "Enthält: Domain, IP, Useragent, Timestamp" under "Webserver-Logfile": a label line listing
        # what the log of the heading (or the sentence before) records
        listing = not own and len(fields) >= 2 and clause.has("log") and label_line
        if not (generic or clause.periods or clause.events or contents or listing):
            return base
        both = 2 if re.search(r"\bboth\b|\bbeide[n]?\b", clause.text) else 1
        logs_only = "logs" in generic and not (generic - {"logs"}) or logs_head or listing
        earlier = self._earlier(index, logs_only=logs_only, want=both)
        if earlier:
            # "These are anonymised after 24 hours": these are what the earlier sentence listed
            return replace(base, subjects=earlier, resolved="previous", fields=fields or self._referred_fields)
        logs = vocabulary().log_subjects
        for unit_index, how in ((unit.lead_in, "lead-in"), (unit.section, "heading")):
            named: tuple[str, ...] = self.seen[unit_index].subjects if unit_index is not None else ()
            if listing:
                named = tuple(s for s in named if s in logs)
            if named:
                return replace(base, subjects=named, resolved=how)
        if listing and rules.infer_log(fields):
            return replace(base, subjects=(str(rules.infer_log(fields)),), resolved="clause")
        if own:
            return replace(base, subjects=own, resolved="clause")
        return base

    def _section_keeps(self, index: int) -> bool:
        """An earlier unit of this section speaks of keeping data ("retention times", "wie lange ... gespeichert")."""
        return self._keeps_here

    # ------------------------------------------------------------------ rules

    def _drafts(
        self, index: int, clause: Clause, clauses: list[Clause], unit_fields: tuple[str, ...]
    ) -> tuple[list[rules.Draft], rules.Scope]:
        fields = find_fields(clause.text, clause.mentions) if len(clauses) > 1 else unit_fields
        scope = self._scope(index, clause, clauses, fields)
        own_fields, fields = fields, scope.fields  # what the clause lists / what it refers to as well
        drafts = (
            rules_security.hash_scheme(clause)
            + rules_security.transport(clause)
            + rules_security.end_to_end(clause)
            + rules_security.transfer(clause, scope)
        )
        timed = rules.session(clause) or rules.subject_rights(clause)
        if timed:
            return drafts + timed, scope
        placed = rules_security.location(clause, scope)
        at_rest = rules_security.encryption_at_rest(clause, scope)
        anonymised = rules.anonymisation(clause, scope, fields)
        not_kept = rules.none_stored(clause, scope)
        if not_kept:
            return drafts + placed + not_kept + anonymised, scope
        backed_up = rules.backups(clause, scope, self._earlier(index, logs_only=False))
        owns_period = any(d.period for d in anonymised + backed_up)
        kept = [] if owns_period else rules.retention(clause, scope, fields)
        records = not kept or (own_fields and (clause.has("log") or _described(clause)))
        logged = rules.logging(clause, replace(scope, fields=own_fields), own_fields) if records else []
        anonymous = any(d.value in ("aggregated", "anonymised", "anonymised-statistics") for d in anonymised)
        if anonymous:
            kept = []  # what remains in anonymous form is no longer personal data kept
        has_period = any(d.period for d in kept)  # a data category with a period is declared by the retention claim
        declared = (
            []
            if (has_period or (kept and not own_fields) or backed_up or placed or at_rest or anonymous)
            else (rules.inventory(clause, scope, fields))
        )
        sessions = clause.has("session") and not any(s in vocabulary().log_subjects for s in scope.subjects)
        if sessions or (anonymised and not any(d.value == "pseudonymised" for d in anonymised)):
            # sessions are no data category; data being anonymised is said to be made anonymous, not kept
            logged = declared = []
        unit = self.units[index]
        own_verb = clause.has("store") or clause.has("log")
        if unit.lead_in is not None and scope.resolved == "lead-in" and not own_verb:
            logged = declared = []  # an item naming a field of its lead-in's category: the lead-in claims it
        return drafts + placed + at_rest + anonymised + backed_up + kept + logged + declared, scope

    def _unit_fields(self, index: int, clauses: list[Clause]) -> tuple[str, ...]:
        text = self.units[index].text
        if not any(c.has("store") or c.has("log") or c.mentions for c in clauses):
            return ()
        fields = list(find_fields(text, [m for c in clauses for m in c.mentions if c.start == 0]))
        for child in self.children.get(index, ()):
            item = self.units[child].text
            if len(item.split()) <= 10 and not find_periods(item):  # an item that names a field, not a promise
                fields += [f for f in find_fields(item) if f not in fields]
        return tuple(fields)

    def read(self, index: int) -> None:
        unit = self.units[index]
        span = Span(unit.start, unit.end, unit.text)
        if len(unit.text) > MAX_UNIT_CHARS:
            self.seen.append(_Seen())
            self.not_understood.append(span)
            return
        clauses = split(unit.text)
        own = tuple(dict.fromkeys(s for c in clauses for s in c.subjects))
        negated = any(c.negated for c in clauses)
        keeps = any(c.has("store") or c.has("log") for c in clauses) and not negated
        self.seen.append(_Seen(own, negated, keeps))
        self._keeps_here = keeps if unit.heading else self._keeps_here or keeps
        if unit.question or (unit.heading and not any(c.periods or c.events for c in clauses)):
            if unit.heading and not unit.question:
                self.claims += [self._claim(unit, d, unit.end) for d in rules_security.role(unit.text)]
            return
        unit_fields = self._unit_fields(index, clauses)
        continues = bool(self._previous) and _CONTINUATION.search(lower(unit.text)) is not None
        if continues and self._continue_fields(unit, unit_fields or self._fields_of(index)):
            self.understood.append(span)
            return
        drafts: list[tuple[rules.Draft, rules.Scope]] = []
        referred: list[str] = []  # what the unit turned out to be about (for the next anaphor)
        for clause in clauses:
            found, scope = self._drafts(index, clause, clauses, unit_fields)
            drafts += [(d, scope) for d in found]
            referred += [s for s in scope.subjects if s not in referred]
        drafts += [(d, rules.Scope((), "clause")) for d in rules_security.role(unit.text)]
        resolved = tuple(
            dict.fromkeys(
                d.subject for d, _ in drafts if d.kind in ("retention", "logging", "inventory", "anonymisation")
            )
        ) or tuple(referred)
        weak = {r.id for r in vocabulary().subjects if r.weak}
        if resolved and (not own or all(s in weak for s in own)):
            self.seen[index] = replace(self.seen[index], subjects=resolved)
        self._previous = [
            len(self.claims) + i for i, (d, _) in enumerate(drafts) if d.kind in ("retention", "inventory", "logging")
        ]
        last_item = self.children.get(index, [index])[-1]
        self.claims += [
            self._claim(unit, d, self.units[last_item].end if d.kind in _LISTING else unit.end) for d, _ in drafts
        ]
        if drafts:
            self.understood.append(span)
        elif not unit.heading and _relevant(clauses):
            self.not_understood.append(span)

    def _fields_of(self, index: int) -> tuple[str, ...]:
        """The fields a unit names (cached: anaphors look back at the same units again and again)."""
        if index not in self._unit_fields_cache:
            self._unit_fields_cache[index] = find_fields(self.units[index].text)
        return self._unit_fields_cache[index]

    def _continue_fields(self, unit: Unit, fields: tuple[str, ...]) -> bool:
        """A sentence that only lists fields ("Konkret enthalten darin sind: ...") extends the claims before it."""
        if not fields:
            return False
        order = [f.id for f in vocabulary().fields]
        logs = vocabulary().log_subjects
        logged = {self.claims[i].subject for i in self._previous if self.claims[i].kind == "logging"}
        for i in list(self._previous):
            claim = self.claims[i]
            merged = tuple(sorted(set(claim.fields) | set(fields), key=order.index))
            self.claims[i] = replace(claim, fields=merged, end=unit.end, quote=self.source[claim.start : unit.end])
            if claim.kind == "retention" and claim.subject in logs and claim.subject not in logged:
                # "... nach 30 Tagen gelöscht. Diese beinhalten ...": what the log holds is a logging claim too
                logged.add(claim.subject)
                self.claims.append(
                    replace(self.claims[i], kind="logging", period=None, bound="exact", event=None, period_min=None)
                )
        return True

    def _claim(self, unit: Unit, draft: rules.Draft, end: int) -> Claim:
        """The claim of a draft; a list's lead-in quotes its items too ("folgende Daten: • ... • ...")."""
        order = [f.id for f in vocabulary().fields]
        return Claim(
            id="",
            kind=draft.kind,
            subject=draft.subject,
            fields=tuple(sorted(set(draft.fields), key=order.index)),
            period=draft.period,
            bound=draft.bound if draft.period else "exact",  # type: ignore[arg-type]
            value=draft.value,
            quote=self.source[unit.start : end],
            start=unit.start,
            end=end,
            language=_unit_language(unit, self.language),
            event=draft.event,
            period_min=draft.minimum,
            resolved=draft.resolved,
            confidence=RESOLUTIONS.get(draft.resolved, "low"),
        )


def _described(clause: Clause) -> bool:
    """A kept category is described by its fields ("Server logs which hold your IP address ...",
    "Verbindungsdaten, nämlich die IP-Adresse ..."): fields named after the category. A field named
    before it is the thing kept ("your user ID is stored for 30 days from each mail's arrival"),
    which says how long, not what a log records."""
    vocab = vocabulary()
    weak = {r.id for r in vocab.subjects if r.weak}
    ends = [m.end for m in clause.mentions if m.subject not in weak]
    ends += [m.end() for m in vocab.generic["logs"].finditer(clause.text)]  # "Server logs which store ..."
    return bool(ends) and bool(find_fields(clause.text[min(ends) :]))


def _unit_language(unit: Unit, default: str) -> str:
    if len(re.findall(r"\w+", unit.text)) < 6:
        return default
    found = detect_language(unit.text)
    return default if found == "unknown" else found


def _assign_ids(claims: list[Claim]) -> tuple[Claim, ...]:
    """Stable ids; an identical promise repeated later is dropped, a differing one suffixed."""
    named = any(c.kind == "hash-scheme" and c.value not in ("unspecified", "salted-hash") for c in claims)
    if named:  # "the hash of your password" restates the scheme named elsewhere
        claims = [c for c in claims if not (c.kind == "hash-scheme" and c.value in ("unspecified", "salted-hash"))]
    result: list[Claim] = []
    seen: set[str] = set()
    promises: set[tuple[object, ...]] = set()
    for claim in claims:
        base = claim_id(claim.kind, claim.subject, claim.value)
        # a category claim is kept per sentence (each is a place a reviewer may look for it); the
        # operator's role is one promise however often it is restated
        where = "" if claim.kind == "role" else claim.quote
        key = (claim.kind, claim.subject, claim.fields, claim.period, claim.bound, claim.value, claim.event, where)
        if key in promises:
            continue
        promises.add(key)
        ident, n = base, 2
        while ident in seen:
            ident, n = f"{base}-{n}", n + 1
        seen.add(ident)
        result.append(replace(claim, id=ident))
    return tuple(result)


def extract_claims(text: StatementText) -> ClaimSet:
    """Read every unit of the statement; unknown wording gives no claim, only a listing."""
    source = text.text
    reader = _Reader(source, text.language)
    units = segment(source)
    rest: Span | None = None
    if len(units) > MAX_UNITS:
        first = units[MAX_UNITS]
        rest = Span(
            first.start,
            len(source),
            f"[not read: {len(units) - MAX_UNITS} more sentences] " + source[first.start : first.start + 200],
        )
        units = units[:MAX_UNITS]
    reader.units = units
    for index, unit in enumerate(units):
        if unit.lead_in is not None:
            reader.children.setdefault(unit.lead_in, []).append(index)
    for index in range(len(units)):
        reader.read(index)
    if rest is not None:
        reader.not_understood.append(rest)
    return ClaimSet(
        source=text.source,
        sha256=text.sha256,
        language=text.language,
        claims=_assign_ids(reader.claims),
        understood=tuple(reader.understood),
        not_understood=tuple(reader.not_understood),
        cited_law=find_citations(source),
    )
