"""Statement text → claim set: sentence by sentence, narrow rules, quotes and offsets kept.

Order of work per sentence: find data categories (subjects) and fields from the
vocabulary, find periods, then let each claim rule (``rules.py``) speak. A sentence
that only lists fields ("Konkret enthalten darin sind: ...") extends the claims of
the sentence before it; headings set the topic pronouns refer back to.
"""

from __future__ import annotations

import re
from dataclasses import replace

from auditor.claims import rules
from auditor.claims.citations import find_citations
from auditor.claims.periods import find_periods
from auditor.claims.reader import StatementText, detect_language
from auditor.claims.segment import Unit, segment
from auditor.claims.vocab import lower, vocabulary
from auditor.evidence.claims import Claim, ClaimSet, Span, claim_id

#: Longer "sentences" are not read for claims (a wall of text without punctuation).
MAX_UNIT_CHARS = 4000
#: Sentences read per statement (~250 pages); bounds the time on hostile input such as
#: millions of one-word "sentences". The unread rest is listed as not understood.
MAX_UNITS = 10_000


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def find_subjects(sentence: str) -> tuple[list[str], str]:
    """Subjects named in the sentence (vocabulary order) and the lower-cased sentence with them blanked."""
    sentence = lower(sentence)
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    excluded: set[str] = set()
    for rule in vocabulary().subjects:
        for alternative in rule.alternatives:
            if not all(p.search(sentence) for p in alternative):
                continue
            matches = [list(p.finditer(sentence)) for p in alternative]
            if matches:
                found.append(rule.id)
                excluded.update(rule.excludes)
                spans.extend((m.start(), m.end()) for group in matches for m in group)
                break
    return [s for s in found if s not in excluded], _blank(sentence, spans)


def find_fields(sentence: str) -> tuple[str, ...]:
    """Fields named in the sentence; earlier vocabulary entries consume their text first."""
    sentence = lower(sentence)
    found: list[str] = []
    for rule in vocabulary().fields:
        if rule.pattern.search(sentence) is None:
            continue
        found.append(rule.id)
        sentence = _blank(sentence, [(m.start(), m.end()) for m in rule.pattern.finditer(sentence)])
    return tuple(found)


def _drafts(unit: Unit, found: tuple[list[str], str], context: str | None) -> list[rules.Draft]:
    text = lower(unit.text)
    subjects, blanked = found
    # Fields only matter for storage sentences; skipping the rest keeps long statements fast.
    fields = find_fields(blanked) if rules.STORAGE.search(text) else ()
    periods = find_periods(text)
    drafts = rules.hash_scheme(text) + rules.role(unit.text) + rules.transfer(text) + rules.transport(text)
    placed = rules.location(text, subjects)
    drafts += placed
    special = rules.backup(text, subjects, context, periods) or rules.subject_rights(text, periods)
    drafts += special
    if not special:
        held = rules.retention(text, subjects, context, periods, fields)
        if not held and not placed:
            held = rules.inventory(text, subjects, fields)
        drafts += held
    return drafts


def _merge_fields(claim: Claim, extra: tuple[str, ...], end: int, source: str) -> Claim:
    order = [f.id for f in vocabulary().fields]
    merged = tuple(sorted(set(claim.fields) | set(extra), key=order.index))
    return replace(claim, fields=merged, end=end, quote=source[claim.start : end])


def _canonical(fields: tuple[str, ...]) -> tuple[str, ...]:
    order = [f.id for f in vocabulary().fields]
    return tuple(sorted(set(fields), key=order.index))


def _unit_language(unit: Unit, default: str) -> str:
    if len(re.findall(r"\w+", unit.text)) < 6:
        return default
    found = detect_language(unit.text)
    return default if found == "unknown" else found


def _claim(unit: Unit, draft: rules.Draft, default_language: str) -> Claim:
    return Claim(
        id="",
        kind=draft.kind,
        subject=draft.subject,
        fields=_canonical(draft.fields),
        period=draft.period,
        bound="upper" if draft.bound == "upper" else "exact",
        value=draft.value,
        quote=unit.text,
        start=unit.start,
        end=unit.end,
        language=_unit_language(unit, default_language),
    )


def _assign_ids(claims: list[Claim]) -> tuple[Claim, ...]:
    """Stable ids; an identical promise repeated later is dropped, a differing one suffixed."""
    result: list[Claim] = []
    seen: dict[str, Claim] = {}
    promises: set[tuple[object, ...]] = set()
    for claim in claims:
        base = claim_id(claim.kind, claim.subject, claim.value)
        key = (claim.kind, claim.subject, claim.fields, claim.period, claim.bound, claim.value)
        if key in promises:
            continue
        promises.add(key)
        ident, n = base, 2
        while ident in seen:
            ident, n = f"{base}-{n}", n + 1
        seen[ident] = replace(claim, id=ident)
        result.append(seen[ident])
    return tuple(result)


def extract_claims(text: StatementText) -> ClaimSet:
    """Read every sentence of the statement; unknown wording gives no claim, only a listing."""
    source = text.text
    claims: list[Claim] = []
    understood: list[Span] = []
    not_understood: list[Span] = []
    context: str | None = None
    previous: list[int] = []
    units = segment(source)
    if len(units) > MAX_UNITS:
        rest = units[MAX_UNITS]
        preview = source[rest.start : rest.start + 200]
        not_understood_rest = Span(
            rest.start, len(source), f"[not read: {len(units) - MAX_UNITS} more sentences] " + preview
        )
        units = units[:MAX_UNITS]
    else:
        not_understood_rest = None
    for unit in units:
        found = find_subjects(unit.text)
        subjects = found[0]
        if unit.heading:
            # a heading sets the topic; a short unpunctuated line can still be a promise
            # ("Server-Logs: 7 Tage"), so it is read too, but never listed as not understood
            context = subjects[0] if subjects else None
            previous = []
            if unit.question or not rules.CUE.search(lower(unit.text)):
                continue
            drafts = _drafts(unit, found, context)
            claims.extend(_claim(unit, d, text.language) for d in drafts)
            if drafts:
                understood.append(Span(unit.start, unit.end, unit.text))
            continue
        span = Span(unit.start, unit.end, unit.text)
        low = lower(unit.text)
        if unit.question or len(unit.text) > MAX_UNIT_CHARS:
            if rules.CUE.search(low):
                not_understood.append(span)
            previous = []
            continue
        drafts = _drafts(unit, found, context)
        if not drafts and previous and rules.CONTINUATION.search(lower(unit.text)):
            extra = find_fields(unit.text)
            if extra:
                for index in previous:
                    claims[index] = _merge_fields(claims[index], extra, unit.end, source)
                understood.append(span)
                continue
        previous = []
        for draft in drafts:
            if draft.kind in ("retention", "inventory", "logging"):
                previous.append(len(claims))
            claims.append(_claim(unit, draft, text.language))
        if drafts:
            understood.append(span)
        elif rules.CUE.search(low):
            not_understood.append(span)
        if subjects:
            context = subjects[0]
    if not_understood_rest is not None:
        not_understood.append(not_understood_rest)
    return ClaimSet(
        source=text.source,
        sha256=text.sha256,
        language=text.language,
        claims=_assign_ids(claims),
        understood=tuple(understood),
        not_understood=tuple(not_understood),
        cited_law=find_citations(source),
    )
