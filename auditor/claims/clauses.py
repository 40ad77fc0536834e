"""One sentence → clauses, each with what it names: categories, periods, events, fields, cues, negation.

Period-first: a sentence with several periods ("Spam after 30 days, and Trash after two
weeks"; "... after 48 hours; the remaining entries ... 30 days") is split between them at
the last clause boundary (";", ", and", ", und", ...), so each period is read with the
words around it. A sentence with one period stays whole. Categories come from the
vocabulary as mentions with offsets; a mention inside a prepositional relative clause
("from which you access your mailbox") or a negated parenthesis ("(not content)") does
not make the clause about that category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from auditor.claims.periods import Event, Period, find_events, find_periods
from auditor.claims.vocab import lower, vocabulary

_BOUNDARIES = re.compile(
    r";|,\s+(?:and|und|but|aber|while|whereas|während|sowie|however|jedoch)\b|\s(?:and|und)\s(?=\w+\s+(?:in|im|of|der|"
    r"die|das)\b)|,\s+(?=(?:the|die|der|das|alle|all)\s)"
)
_RELATIVE = re.compile(
    r"\b(?:from|in|with|by|through|to|at|on|for|via) (?:which|whom)\b|\b(?:von|mit|in|über|bei|an|auf|aus|durch) "
    r"(?:denen|welche[mnr]?)\b|,\s(?:where|wo)\b"
)
#: What stands between two categories named side by side: a conjunction and an article at most.
_COORDINATION = re.compile(
    r"\s*(?:,|/|&|and|und|sowie|as well as|or|oder)\s*"
    r"(?:(?:the|die|der|das|den|alle|all|our|unsere[nr]?|your|ihre[nr]?)\s+)?"
)
_NEGATED_ASIDE = re.compile(r"\((?:not|nicht|kein\w{0,3}|no|ohne|without|excluding|except|außer)\b[^)]{0,60}\)")
#: Events that end or bound storage on their own (a clause with one of these has a period).
TEMPORAL_EVENTS = frozenset(
    [
        "immediately",
        "while-account-exists",
        "while-logged-in",
        "end-of-session",
        "until-user-deletes",
        "until-dispute-resolved",
        "indefinite",
        "account-closure",
        "contract-end",
    ]
)


@dataclass(frozen=True, slots=True)
class Mention:
    subject: str
    start: int
    end: int


@dataclass
class Clause:
    """A stretch of one unit (offsets into the unit) and what it names."""

    text: str
    start: int
    end: int
    mentions: list[Mention] = field(default_factory=list)
    periods: list[Period] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    _cues: dict[str, bool] = field(default_factory=dict)

    def has(self, cue: str) -> bool:
        """Whether a cue of ``cues.yaml`` occurs in the clause (cached)."""
        if cue not in self._cues:
            self._cues[cue] = vocabulary().cue(cue).search(self.text) is not None
        return self._cues[cue]

    @cached_property
    def subjects(self) -> list[str]:
        """Categories the clause is about: primary mentions, excludes and weak ones applied."""
        vocab = vocabulary()
        rules = {r.id: r for r in vocab.subjects}
        relative = _RELATIVE.search(self.text)
        primary = [m for m in self.mentions if relative is None or m.start < relative.start()]
        chosen = primary or self.mentions
        found: list[str] = []
        for m in sorted(chosen, key=lambda m: m.start):
            if m.subject not in found:
                found.append(m.subject)
        # a category excludes the more generic ones named after it ("Error-Logs, welche fehlerhafte
        # Seitenaufrufe protokollieren"), not those named before it as a category of their own
        first = {s: min((m.start, m.end) for m in chosen if m.subject == s) for s in found}

        def span(s: str) -> tuple[int, int]:
            start = first[s][0]
            return start, max(m.end for m in chosen if m.subject == s and m.start == start)

        def coordinated(s: str, o: str) -> bool:
            """Named side by side ("mail logs and message contents"): two categories of their own."""
            (_, a_end), (b_start, _) = sorted([span(s), span(o)])
            joined = _COORDINATION.fullmatch(self.text[a_end:b_start]) is not None
            return joined and not (rules[s].weak or rules[o].weak)

        def excluded(s: str, o: str) -> bool:
            anywhere = rules[o].qualifier or rules[s].weak
            return s in rules[o].excludes and (anywhere or first[o][0] < first[s][1]) and not coordinated(s, o)

        found = [s for s in found if not any(excluded(s, o) for o in found if o != s)]
        # a field-like category after a real one is one of its fields ("Registration
        # information (E-mail address, IP address)"); named first it is the head noun
        strong_starts = [m.start for m in chosen if m.subject in found and not rules[m.subject].weak]
        first_strong = min(strong_starts, default=len(self.text))
        return [s for s in found if not rules[s].weak or min(m.start for m in chosen if m.subject == s) < first_strong]

    @cached_property
    def weak_only(self) -> bool:
        """Only field-like categories are named ("die IP-Adresse des Clients")."""
        weak = {r.id for r in vocabulary().subjects if r.weak}
        return bool(self.subjects) and all(s in weak for s in self.subjects)

    @cached_property
    def generic(self) -> frozenset[str]:
        return frozenset(name for name, p in vocabulary().generic.items() if p.search(self.text.strip(" ,;:-•*")))

    @cached_property
    def negated(self) -> bool:
        """A negation governs a storage/logging verb or a category named in the clause."""
        return negates(_NEGATED_ASIDE.sub(lambda m: " " * len(m.group()), self.text))

    @cached_property
    def temporal(self) -> list[Event]:
        return [e for e in self.events if e.name in TEMPORAL_EVENTS or self.periods]


_SPACE = re.compile(r"[\t\n\r\f\v]")
_JOINED = re.compile(r",|\bund\b|\boder\b|\bsowie\b")


def negates(text: str) -> bool:
    vocab = vocabulary()
    if vocab.cue("negation").search(text) is None:
        return False
    cleaned = vocab.cue("not_negation").sub(lambda m: " " * len(m.group()), text)
    verbs = [m.start() for name in ("store", "log") for m in vocab.cue(name).finditer(cleaned)]
    for neg in vocab.cue("negation").finditer(cleaned):
        window = cleaned[neg.end() : neg.end() + 60]
        if any(0 <= v - neg.start() <= 60 for v in verbs) or _names_category(window):
            return True
        german = neg.group().startswith(("nicht", "kein", "nie"))
        if german and any(0 <= neg.start() - v <= 24 and not _JOINED.search(cleaned, v, neg.start()) for v in verbs):
            return True  # "speichern wir keine", "bewahren wir nicht auf"
    return False


def _names_category(window: str) -> bool:
    words = window.split()[:4]
    head = " ".join(words)
    return any(r.words is not None and r.words.pattern.match(head) for r in vocabulary().subjects) or bool(
        vocabulary().generic["logs"].match(head) or vocabulary().generic["data"].match(head)
    )


def mentions(text: str) -> list[Mention]:
    """Category mentions of the vocabulary in a lower-cased text, a negated aside blanked."""
    vocab = vocabulary()
    blanked = _NEGATED_ASIDE.sub(lambda m: " " * len(m.group()), text) if "(" in text else text
    found: list[Mention] = []
    for rule in vocab.subjects:
        if rule.words is not None:
            found += [Mention(rule.id, m.start(), m.end()) for m in rule.words.finditer(blanked) if m.end() > m.start()]
        for alternative in rule.alternatives:
            hits = [p.search(blanked) for p in alternative]
            if all(hits) and hits[0] is not None:
                found.append(Mention(rule.id, hits[0].start(), hits[0].end()))  # the qualifier names it
                break
    return found


def _boundary(text: str, lo: int, hi: int) -> int | None:
    best = None
    for match in _BOUNDARIES.finditer(text, lo, hi):
        best = match.start()
    return best


_CONTRAST = re.compile(r",\s+(?:but|aber|jedoch|whereas|während|however)\b|;\s+(?:however|jedoch|aber)\b")


def split(unit_text: str) -> list[Clause]:
    """The clauses of one unit: split between periods that have a boundary between them, and
    always at a contrast (", but we retain ...", ", aber ..."), which turns what is said around."""
    text = _SPACE.sub(" ", lower(unit_text))  # a line break inside a phrase ("nach\nRechnungsstellung") is a space
    periods = find_periods(text)
    events = find_events(text)
    anchors = sorted(
        [(p.start, p.end) for p in periods] + [(e.start, e.end) for e in events if e.name in TEMPORAL_EVENTS]
    )
    cuts: list[int] = []
    for (_, end_a), (start_b, _) in zip(anchors, anchors[1:], strict=False):
        if start_b <= end_a:
            continue
        cut = _boundary(text, end_a, start_b)
        if cut is not None and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    cuts = sorted(set(cuts) | {m.start() for m in _CONTRAST.finditer(text)})
    spans = list(zip([0, *cuts], [*cuts, len(text)], strict=True))
    found = mentions(text)
    clauses = []
    for start, end in spans:
        clauses.append(
            Clause(
                text=text[start:end],
                start=start,
                end=end,
                mentions=[Mention(m.subject, m.start - start, m.end - start) for m in found if start <= m.start < end],
                periods=[_shift(p, start) for p in periods if start <= p.start < end],
                events=[Event(e.name, e.start - start, e.end - start) for e in events if start <= e.start < end],
            )
        )
    return clauses


def _shift(period: Period, by: int) -> Period:
    return Period(period.iso, period.bound, period.start - by, period.end - by, period.minimum)


def find_fields(text: str, blank: list[Mention] | None = None) -> tuple[str, ...]:
    """Fields named in a text; earlier vocabulary entries consume their text first.

    ``blank``: category mentions whose words are not fields ("Aktivität der Empfänger" is a
    category, not the recipient field); field-like (weak) categories stay readable.
    """
    text = lower(text)
    weak = {r.id for r in vocabulary().subjects if r.weak}
    for m in blank or ():
        if m.subject not in weak:
            text = text[: m.start] + " " * (m.end - m.start) + text[m.end :]
    found: list[str] = []
    for rule in vocabulary().fields:
        if rule.pattern.search(text) is None:
            continue
        found.append(rule.id)
        text = rule.pattern.sub(lambda m: " " * len(m.group()), text)
    return tuple(found)
