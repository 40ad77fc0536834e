"""MTA-STS: the ``_mta-sts`` TXT record (RFC 8461 §3.1) and the policy file (§3.2).

Hand-written because they are tiny tag/line formats and the kept libraries either do
network I/O while parsing (checkdmarc) or stop at the first error; checks must stay
pure and report every problem. Each parser returns problems as values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.dnspolicy.tags import EXT_NAME, EXT_VALUE, split_tags, starts_with_version, trailing_space_problem
from auditor.models import Message, msg

_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_SINGLE_KEYS = ("version", "mode", "max_age")  # RFC 8461 §3.2: only mx may repeat


@dataclass(frozen=True, slots=True)
class StsRecord:
    """What a sending MTA makes of the ``_mta-sts`` TXT set (RFC 8461 §3.1).

    ``usable`` is False when senders must assume the domain has no MTA-STS policy:
    no record beginning with ``v=STSv1``, more than one, or one that breaks the grammar.
    """

    usable: bool
    policy_id: str | None
    problems: tuple[Message, ...]
    candidates: int = 0

    @property
    def version(self) -> str | None:
        return "STSv1" if self.candidates else None


@dataclass(frozen=True, slots=True)
class StsPolicy:
    version: str | None
    mode: str | None
    max_age: int | None
    mx: tuple[str, ...]
    problems: tuple[Message, ...]


def parse_sts_record(records: tuple[str, ...]) -> StsRecord:
    """Select and parse the record as RFC 8461 §3.1 tells senders to."""
    sts = [r for r in records if starts_with_version(r, "STSv1")]
    if not sts:
        others = [r for r in records if r.lstrip().lower().startswith("v=sts")]
        why = msg("sts.p.no-version-found", found=repr(others[0][:60])) if others else msg("sts.p.no-version")
        return StsRecord(False, None, (msg("sts.p.no-policy", why=why),))
    if len(sts) > 1:
        several = msg("sts.p.no-policy", why=msg("sts.p.several", count=len(sts)))
        return StsRecord(False, None, (several,), len(sts))
    text = sts[0]
    fields = split_tags(text, space_around_equals=False)
    problems = [msg("sts.p.grammar", problem=p) for p in fields.problems]
    problems += trailing_space_problem(text)
    ids = fields.values("id")
    policy_id = ids[0] if ids else None
    for tag in fields.tags[1:]:
        if tag.name == "id":
            if not _STS_ID.match(tag.value):
                problems.append(msg("sts.p.bad-id", id=repr(tag.value[:40])))
        elif not EXT_NAME.fullmatch(tag.name) or not EXT_VALUE.fullmatch(tag.value):
            problems.append(msg("sts.p.bad-extension", name=repr(tag.name[:32]), value=repr(tag.value[:32])))
    if not ids:
        problems.append(msg("sts.p.no-id"))
    elif len(ids) > 1:
        problems.append(msg("sts.p.several-ids", count=len(ids)))
    if problems:
        return StsRecord(False, policy_id, (*problems, msg("sts.p.so-no-policy")), 1)
    return StsRecord(True, policy_id, (), 1)


def parse_sts_policy(body: str) -> StsPolicy:
    """RFC 8461 §3.2 key/value lines; unknown keys are ignored, as the RFC requires."""
    values: dict[str, str] = {}
    mx: list[str] = []
    problems: list[Message] = []
    for number, raw in enumerate(body.splitlines()[:200], start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            problems.append(msg("sts.p.not-key-value", line=number))
            continue
        key, value = key.strip(), value.strip()
        if key == "mx":
            mx.append(value.lower().rstrip("."))
        elif key in values and key in _SINGLE_KEYS:
            problems.append(msg("sts.p.key-again", line=number, tag=key))
        else:
            values.setdefault(key, value)
    version = values.get("version")
    if version != "STSv1":
        missing_version = msg("sts.p.missing", tag="version")
        problems.append(msg("sts.p.bad-version", found=repr(version)) if version else missing_version)
    mode = values.get("mode")
    if mode not in ("enforce", "testing", "none"):
        problems.append(msg("sts.p.bad-mode", found=repr(mode)) if mode else msg("sts.p.missing", tag="mode"))
    max_age: int | None = None
    raw_age = values.get("max_age")
    if raw_age is None:
        problems.append(msg("sts.p.missing", tag="max_age"))
    elif not raw_age.isdigit() or len(raw_age) > 10:
        problems.append(msg("sts.p.bad-max-age", found=repr(raw_age)))
    else:
        max_age = int(raw_age)
        if max_age > 31557600:
            problems.append(msg("sts.p.max-age-too-long"))
    if mode in ("enforce", "testing") and not mx:
        problems.append(msg("sts.p.no-mx"))
    return StsPolicy(version, mode, max_age, tuple(mx), tuple(problems))


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: a leading ``*.`` matches exactly one leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, dot, rest = host.partition(".")
        return bool(head) and bool(dot) and rest == pattern[2:]
    return pattern == host
