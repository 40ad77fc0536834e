"""Find the laws a statement cites ("§ 9 BDSG", "Art. 32 DSGVO", "TTDSG") with offsets.

The table of laws and repealed provisions lives in ``laws.yaml`` so a DPO can add one.
"""

from __future__ import annotations

import functools
import re

from auditor.claims.vocab import LawInfo, vocabulary
from auditor.evidence.claims import Citation

_ABBREV = r"(?:\s*\((?:BDSG|TKG|TMG|TTDSG|TDDDG)\))?"
_OLD_VERSION = r"(?:\s*a\.\s?F\.|\s+alte[rn]? Fassung)?"
_SUBDIVISION = r"(?:\s*(?:Abs\.?|Absatz)\s*\d+)?(?:\s*(?:S\.|Satz)\s*\d+)?(?:\s*Nr\.?\s*\d+)?"


@functools.cache
def _patterns() -> tuple[tuple[LawInfo, re.Pattern[str], re.Pattern[str] | None], ...]:
    compiled = []
    for law in vocabulary().laws:
        if law.articles:
            section = re.compile(
                r"\bArt(?:\.|ikels?\b|icle\b)\s*(?P<sec>\d{1,3})(?:\s*(?:Abs\.?|Absatz|para\.?)\s*\d+|\s*\(\d+\))*"
                r"(?:\s*(?:lit\.|Buchst\.)\s*[a-z]\b|\s*\([a-z]\))?\s+(?:der\s+|des\s+|of\s+the\s+|of\s+)?"
                rf"(?:{law.names})\b",
                re.IGNORECASE,
            )
        else:
            section = re.compile(
                rf"§§?\s*(?P<sec>\d{{1,3}}[a-z]?)\b{_SUBDIVISION}\s+(?:des\s+|der\s+)?(?:{law.names})\b{_ABBREV}{_OLD_VERSION}",
                re.IGNORECASE,
            )
        bare = re.compile(rf"\b(?:{law.names})\b") if law.repealed_all else None
        compiled.append((law, section, bare))
    return tuple(compiled)


def find_citations(text: str) -> tuple[Citation, ...]:
    """Section/article citations of every known law, plus bare names of repealed acts."""
    found: list[Citation] = []
    taken: list[tuple[int, int]] = []
    for law, section, bare in _patterns():
        for match in section.finditer(text):
            sec = match.group("sec").lower()
            if law.articles:
                clause = f"{law.law}-{int(sec)}" if int(sec) in law.articles else None
                found.append(Citation(match.group(), match.start(), match.end(), law.law, sec, clause))
            else:
                info = law.sections.get(sec) or law.repealed_all
                found.append(
                    Citation(
                        match.group(),
                        match.start(),
                        match.end(),
                        law.law,
                        sec,
                        clause=info.clause if info else None,
                        repealed=bool(info and info.repealed),
                        current=info.current if info else (),
                        current_label=info.current_label if info else None,
                    )
                )
            taken.append((match.start(), match.end()))
        if bare is None or law.repealed_all is None:
            continue
        for match in bare.finditer(text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            info = law.repealed_all
            found.append(
                Citation(
                    match.group(),
                    match.start(),
                    match.end(),
                    law.law,
                    None,
                    info.clause,
                    True,
                    info.current,
                    info.current_label,
                )
            )
    return tuple(sorted(found, key=lambda c: c.start))
