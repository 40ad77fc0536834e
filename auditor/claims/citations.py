"""Find the laws a statement cites ("§ 9 BDSG", "Art. 32 DSGVO", "TTDSG") with offsets.

How each act is written comes from the vocabulary (``laws``); whether a cited provision is
still in force is not decided here but by the clause catalogue, where the outdated-law check
looks each citation up. An act named without a section is recorded once (its first mention).
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
def _patterns() -> tuple[tuple[LawInfo, re.Pattern[str], re.Pattern[str]], ...]:
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
        bare = re.compile(rf"\b(?:{law.names})\b")
        compiled.append((law, section, bare))
    return tuple(compiled)


def find_citations(text: str) -> tuple[Citation, ...]:
    """Section/article citations of every known law, plus the first bare mention of each act."""
    found: list[Citation] = []
    taken: list[tuple[int, int]] = []
    for law, section, bare in _patterns():
        for match in section.finditer(text):
            sec = match.group("sec").lower()
            found.append(Citation(match.group(), match.start(), match.end(), law.law, sec))
            taken.append((match.start(), match.end()))
        for match in bare.finditer(text):
            if not any(s <= match.start() < e for s, e in taken):
                found.append(Citation(match.group(), match.start(), match.end(), law.law, None))
                break
    return tuple(sorted(found, key=lambda c: c.start))
