"""Parsers for the small DNS/HTTP policy languages: MTA-STS, TLS-RPT, SPF, DMARC.

Hand-written because they are tiny tag/line formats and the available libraries
either do network I/O while parsing (checkdmarc) or cover only one of them; checks
must stay pure. Each parser returns problems as values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


@dataclass(frozen=True, slots=True)
class StsRecord:
    version: str | None
    policy_id: str | None
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StsPolicy:
    version: str | None
    mode: str | None
    max_age: int | None
    mx: tuple[str, ...]
    problems: tuple[str, ...]


def parse_tags(text: str) -> dict[str, str]:
    """``k=v; k2=v2`` tag lists (RFC 8461 §3.1, RFC 8460 §3, RFC 7489 §6.4); first wins."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            tags.setdefault(key.strip().lower(), value.strip())
    return tags


def parse_sts_record(records: tuple[str, ...]) -> StsRecord:
    sts = [r for r in records if r.strip().startswith("v=STSv1")]
    if not sts:
        return StsRecord(None, None, ("no TXT record starting with v=STSv1",))
    problems = []
    if len(sts) > 1:
        problems.append(f"{len(sts)} v=STSv1 records: senders must treat this as no MTA-STS (RFC 8461 §3.1)")
    tags = parse_tags(sts[0])
    policy_id = tags.get("id")
    if policy_id is None:
        problems.append("the record has no id= field")
    elif not _STS_ID.match(policy_id):
        problems.append("id must be 1-32 letters or digits")
    return StsRecord(tags.get("v"), policy_id, tuple(problems))


def parse_sts_policy(body: str) -> StsPolicy:
    """RFC 8461 §3.2 key/value lines; unknown keys are ignored, as the RFC requires."""
    values: dict[str, str] = {}
    mx: list[str] = []
    problems: list[str] = []
    for number, raw in enumerate(body.splitlines()[:200], start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            problems.append(f"line {number}: not a 'key: value' line")
            continue
        key, value = key.strip(), value.strip()
        if key == "mx":
            mx.append(value.lower().rstrip("."))
        else:
            values.setdefault(key, value)
    version = values.get("version")
    if version != "STSv1":
        problems.append(f"version must be STSv1, found {version!r}" if version else "version line missing")
    mode = values.get("mode")
    if mode not in ("enforce", "testing", "none"):
        problems.append(f"mode must be enforce, testing or none, found {mode!r}" if mode else "mode line missing")
    max_age: int | None = None
    raw_age = values.get("max_age")
    if raw_age is None:
        problems.append("max_age line missing")
    elif not raw_age.isdigit() or len(raw_age) > 10:
        problems.append(f"max_age must be a whole number of seconds, found {raw_age!r}")
    else:
        max_age = int(raw_age)
        if max_age > 31557600:
            problems.append("max_age exceeds the RFC 8461 maximum of 31557600 s")
    if mode in ("enforce", "testing") and not mx:
        problems.append("no mx: lines although mode is not none")
    return StsPolicy(version, mode, max_age, tuple(mx), tuple(problems))


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: a leading ``*.`` matches exactly one leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, dot, rest = host.partition(".")
        return bool(head) and bool(dot) and rest == pattern[2:]
    return pattern == host


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    policy: str | None
    subdomain_policy: str | None
    pct: int
    rua: tuple[str, ...]
    problems: tuple[str, ...]
    duplicate: bool = False  # several v=DMARC1 records: receivers ignore them all

    @property
    def valid(self) -> bool:
        return self.policy is not None and not self.duplicate


def parse_dmarc(records: tuple[str, ...]) -> DmarcRecord:
    dmarc = [r for r in records if r.strip().lower().startswith("v=dmarc1")]
    if not dmarc:
        return DmarcRecord(None, None, 100, (), ("no TXT record starting with v=DMARC1",))
    problems = []
    if len(dmarc) > 1:
        problems.append("more than one DMARC record: receivers ignore them all (RFC 7489 §6.6.3)")
    tags = parse_tags(dmarc[0])
    policy = tags.get("p", "").lower() or None
    if policy not in ("none", "quarantine", "reject"):
        problems.append(f"p= must be none, quarantine or reject, found {policy!r}")
        policy = None
    pct_text = tags.get("pct", "100")
    pct = int(pct_text) if pct_text.isdigit() else 100
    rua = tuple(u.strip() for u in tags.get("rua", "").split(",") if u.strip())
    return DmarcRecord(policy, (tags.get("sp") or "").lower() or None, pct, rua, tuple(problems), len(dmarc) > 1)


def spf_all_qualifier(record: str) -> str | None:
    """The qualifier of the terminal ``all`` mechanism (``-``, ``~``, ``?``, ``+``), or None."""
    for term in record.split()[1:]:
        match = re.fullmatch(r"([-~?+]?)all", term.lower())
        if match:
            return match.group(1) or "+"
    return None
