"""Grading the peers' transcribed record cases (``tests/peers/data/*.yaml``) with our parsers.

Each case is graded in the vocabulary its data file describes, so our result and the
peer's expectation compare directly; :func:`agreement` gives the figures the README quotes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditor.dnspolicy import parse_dmarc, parse_sts_policy, parse_sts_record, parse_tlsrpt
from auditor.dnspolicy.spf import STRANGERS, SpfErrorKind, evaluate, lint_record, spf_records
from tests.peers.spf_zone import zone_source

DATA = Path(__file__).parent / "data"
SUITES = ("checkdmarc", "postfix-mta-sts-resolver")


@dataclass(frozen=True)
class Case:
    suite: str
    source: str
    kind: str
    peer: str
    expected: str  # ours where we disagree on purpose, else the peer's
    why: str | None
    data: dict[str, Any]


def load(suite: str) -> list[Case]:
    document = yaml.safe_load((DATA / f"{suite}.yaml").read_text(encoding="utf-8"))
    cases = []
    for raw in document["cases"]:
        data = {"domain": document["domain"], **raw}
        cases.append(
            Case(suite, raw["source"], raw["kind"], raw["peer"], raw.get("ours", raw["peer"]), raw.get("why"), data)
        )
    return cases


def grade(case: Case) -> str:
    """Our result for one case, in the case file's vocabulary."""
    data = case.data
    records = tuple(data.get("records", ()))
    if case.kind == "spf":
        return _spf(data["domain"], records, data.get("zone") or {})
    if case.kind == "dmarc":
        return _dmarc(records, data.get("org") or {})
    if case.kind == "dmarc-auth":
        return "unauthorized" if parse_dmarc(records).status == "absent" else "authorized"
    if case.kind == "mta-sts-record":
        return "usable" if parse_sts_record(records).usable else "unusable"
    if case.kind == "mta-sts-policy":
        return "invalid" if parse_sts_policy(data["body"]).problems else "valid"
    if case.kind == "tlsrpt":
        return "usable" if parse_tlsrpt(records).usable else "unusable"
    raise ValueError(f"{case.source}: unknown kind {case.kind}")


def warnings_of(case: Case) -> set[str]:
    """The lint notes of an SPF case, as the vocabulary's warning names."""
    found = set()
    for record in spf_records(tuple(case.data.get("records", ()))):
        for note in lint_record(record, case.data["domain"]):
            found.add({"spf.lint.ptr": "ptr", "spf.lint.after-all": "after-all"}.get(note.text.key, "other"))
    return found


def _spf(domain: str, records: tuple[str, ...], zone: dict[str, dict[str, list[str]]]) -> str:
    found = spf_records(records)
    if not found:
        return "none"
    if len(found) > 1:
        return "permerror"
    zonedata: dict[str, list[Any]] = {
        name: [{rdtype: value} for rdtype, values in types.items() for value in values] for name, types in zone.items()
    }
    zonedata.setdefault(domain, [])
    zonedata[domain] = [*zonedata[domain], *({"TXT": r} for r in records)]
    for name in zone:
        if not zone[name]:
            zonedata[name] = []  # exists, but no records of any type
    result = evaluate(zone_source(zonedata), ip=STRANGERS[0], domain=domain)
    if result.result == "permerror":
        return "syntax-error" if result.error_kind is SpfErrorKind.SYNTAX else "permerror"
    return result.result


def _dmarc(records: tuple[str, ...], org: dict[str, list[str]]) -> str:
    record = parse_dmarc(records)
    if record.status == "absent" and org:
        record = parse_dmarc(tuple(next(iter(org.values()))))
    if record.status == "absent":
        return "not-found"
    if record.status in ("multiple", "invalid", "downgraded"):
        return record.status
    return "tag-ignored" if record.notes else "valid"


def agreement(suite: str) -> tuple[int, int, int]:
    """(cases, agreeing with the peer, deliberate disagreements)."""
    cases = load(suite)
    agree = sum(1 for c in cases if grade(c) == c.peer)
    return len(cases), agree, sum(1 for c in cases if c.expected != c.peer)
