"""Benchmark of the claims reader: real statements against their answer key, and speed.

Run: ``.venv/bin/python bench/bench_claims.py [--split dev|held-out|all] [--misses] [--speed]``.

Accuracy: every excerpt in ``../shared/statements`` is read as a user would read it
(``statement_from_bytes`` on the file, without its ``# source:`` line) and its claims are
scored against ``expected.yaml`` by the key's own rule (README there): an extracted claim
matches an expected one when its quoted sentence overlaps the expected quote (or one of
``alt_quotes``) and kind, category (or an ``alt_categories`` entry), period (compared as a
duration) and bound agree. Our vocabulary is translated into the key's taxonomy by
``claims_key_map.yaml``. Recall counts non-optional expected claims; precision counts our
claims of the kinds the key scores (a claim matching an ``optional`` one counts neither
way). A trap is taken when a claim that matches nothing overlaps a ``not_claims`` quote; a
negation is inverted when a positive claim (stored, logged, kept, encrypted, anonymised)
overlaps an expected negative one of the same category.

The 30 organisations were split once, before any tuning, into a development part and a
held-out part (``HELD_OUT``: the ten organisation groups whose SHA-256 of the group name sorts
lowest). Tune on ``--split dev`` only; ``--misses`` prints the misses of the chosen split.

The invented hard cases (``cases/``) are scored against ``claims_cases.yaml`` (no quotes:
matched anywhere in their short file). Speed: a ~50-page statement built from varied
sentences must read in well under one second.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.claims import extract_claims, statement_from_bytes  # noqa: E402
from auditor.evidence.claims import Claim, ClaimSet  # noqa: E402
from auditor.evidence.durations import iso_days  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent / ".." / "shared"
STATEMENTS = SHARED / "statements"
SEEDS = SHARED / "seeds"
KEY_MAP = yaml.safe_load((HERE / "claims_key_map.yaml").read_text(encoding="utf-8"))
CASES_KEY = HERE / "claims_cases.yaml"

#: Organisation groups held out from tuning (see the module docstring for how they were chosen).
HELD_OUT = frozenset(
    [
        "1und1",
        "arethusa",
        "hkn",
        "immerda",
        "limestec",
        "migadu",
        "postmark-activity",
        "proton",
        "telekom-freemail",
        "uberspace",
    ]
)
_GROUP_PREFIXES = {
    "proton": "proton",
    "migadu": "migadu",
    "uni-marburg": "uni-marburg",
    "1and1": "1und1",
    "1und1": "1und1",
}
_POSITIVE = {"none-stored": ("inventory", "logging", "retention")}
_NEGATIVE_VALUE_KINDS = ("encryption-at-rest", "anonymisation")


def group_of(name: str) -> str:
    """The organisation a file belongs to (two Proton, two Migadu, two Marburg, two 1&1 files)."""
    return next((g for p, g in _GROUP_PREFIXES.items() if name.startswith(p)), name.rsplit(".", 1)[0])


@dataclass(frozen=True, slots=True)
class KeyClaim:
    """One of our claims in the key's taxonomy."""

    kind: str
    category: str
    period: str | None
    bound: str | None
    event: str | None
    value: str | None
    start: int
    end: int
    claim: Claim


def _category(subject: str) -> str:
    known = {
        "mail-logs",
        "web-logs",
        "login-logs",
        "ip-addresses",
        "mail-content",
        "trash",
        "spam",
        "backups",
        "account-data",
        "closed-account-data",
        "billing",
        "bounces-suppressions",
        "statistics",
        "support-tickets",
        "phone-number",
    }
    mapped = KEY_MAP["categories"].get(subject)
    if mapped:
        return str(mapped)
    return subject if subject in known else f"other:{subject}"


def to_key(claim: Claim) -> KeyClaim:
    kind = KEY_MAP["kinds"].get(claim.kind, claim.kind)
    category = _category(claim.subject)
    value = claim.value
    if claim.kind == "backup" and claim.period is not None:
        kind, category = "retention", "backups"  # the key files backup periods as backup retention
    if kind == "encryption-in-transit":
        value = KEY_MAP["values"]["encryption-in-transit"].get(
            f"{claim.subject}/{value}", f"tls-{value}-{claim.subject}"
        )
    elif kind in KEY_MAP["values"] and value is not None:
        value = KEY_MAP["values"][kind].get(value, value)
    bound = KEY_MAP["bounds"].get(claim.bound, claim.bound) if claim.period else None
    return KeyClaim(
        kind, category, claim.period, bound, getattr(claim, "event", None), value, claim.start, claim.end, claim
    )


def same_period(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    da, db = iso_days(a), iso_days(b)
    return da is not None and db is not None and abs(da - db) <= 0.02 * max(da, db)


def _spans(quote: str, text: str) -> list[tuple[int, int]]:
    """Every place a key quote stands in the normalised text (white space compared loosely)."""
    words = quote.split()
    if not words:
        return []
    pattern = re.compile(r"\s*".join(re.escape(w) for w in words))
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _overlaps(claim: KeyClaim, spans: list[tuple[int, int]]) -> bool:
    return any(claim.start < e and s < claim.end for s, e in spans)


def _same_category(ours: str, accepted: list[str]) -> bool:
    """The key's ``other:<words>`` are free words: any category outside its list matches one."""
    return ours in accepted or (ours.startswith("other:") and any(a.startswith("other:") for a in accepted))


def _agrees(ours: KeyClaim, exp: dict[str, Any], *, values: bool = False) -> bool:
    if ours.kind != exp["kind"]:
        return False
    if "category" in exp and not _same_category(ours.category, [exp["category"], *exp.get("alt_categories", [])]):
        return False
    if "period" in exp or "bound" in exp or values:
        if not same_period(ours.period, exp.get("period")):
            return False
        if (ours.bound if ours.period else None) != exp.get("bound"):
            return False
    if values and exp.get("event") is not None and ours.event != exp["event"]:
        return False
    return not (values and exp.get("value") is not None and ours.value != exp["value"])


@dataclass
class Tally:
    """Counts per kind: expected (non-optional), found of those, ours scored, ours correct."""

    expected: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    ours: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    traps: int = 0
    traps_taken: list[str] = field(default_factory=list)
    negations: int = 0
    inverted: list[str] = field(default_factory=list)
    unscored: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    #: accepted readings (claims_key_map.yaml) that no claim of ours matches any more
    stale: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("expected", "found", "ours", "correct"):
            getattr(self, name).update(getattr(other, name))
        for name in ("traps_taken", "inverted", "unscored", "misses", "wrong", "stale"):
            getattr(self, name).extend(getattr(other, name))
        self.traps += other.traps
        self.negations += other.negations


def read(path: Path) -> tuple[str, ClaimSet]:
    raw = path.read_text(encoding="utf-8")
    body = raw.split("\n", 1)[1] if raw.startswith("# source:") else raw
    statement = statement_from_bytes(body.encode("utf-8"), path.name)
    return statement.text, extract_claims(statement)


def _describe(c: KeyClaim | dict[str, Any]) -> str:
    if isinstance(c, KeyClaim):
        return (
            f"{c.kind} {c.category} {c.period or '-'} {c.bound or '-'} event={c.event} value={c.value} "
            f"[{c.claim.subject}]: {c.claim.quote[:110]!r}"
        )
    return (
        f"{c['kind']} {c['category']} {c.get('period') or '-'} {c.get('bound') or '-'} event={c.get('event')} "
        f"value={c.get('value')}: {str(c.get('quote', ''))[:110]!r}"
    )


def accepted(name: str) -> list[dict[str, Any]]:
    """Our readings the key leaves out, scored as its optional claims (``claims_key_map.yaml``)."""
    return [{**a, "optional": True} for a in KEY_MAP.get("accepted") or [] if a["file"] == name]


def score_file(name: str, entry: dict[str, Any], text: str, claims: ClaimSet, *, accept: bool = False) -> Tally:
    """By the key's own claims; ``accept``: our accepted readings count neither way, like optional ones."""
    tally = Tally()
    unscored = set(KEY_MAP["unscored_kinds"])
    ours = [to_key(c) for c in claims.claims]
    scored = [c for c in ours if c.kind not in unscored]
    tally.unscored += [f"{name}: {_describe(c)}" for c in ours if c.kind in unscored]
    expected = (entry.get("claims") or []) + (accepted(name) if accept else [])
    where = [_spans(e["quote"], text) + [s for q in e.get("alt_quotes", []) for s in _spans(q, text)] for e in expected]
    matched_ours: dict[int, bool] = {}  # index -> matched a non-optional (True) or only optional (False)
    for exp, spans in zip(expected, where, strict=True):
        hits = [i for i, c in enumerate(scored) if _overlaps(c, spans) and _agrees(c, exp)]
        for i in hits:
            matched_ours[i] = matched_ours.get(i, False) or not exp.get("optional", False)
        if "file" in exp and not hits:
            tally.stale.append(f"{name}: {_describe(exp)}")
        if exp.get("optional"):
            continue
        tally.expected[exp["kind"]] += 1
        if hits:
            tally.found[exp["kind"]] += 1
        else:
            tally.misses.append(f"{name}: {_describe(exp)}")
    for i, c in enumerate(scored):
        if i in matched_ours and not matched_ours[i]:
            continue  # matched only an optional claim: neither right nor wrong
        tally.ours[c.kind] += 1
        if matched_ours.get(i):
            tally.correct[c.kind] += 1
        else:
            tally.wrong.append(f"{name}: {_describe(c)}")
    for trap in entry.get("not_claims") or []:
        tally.traps += 1
        spans = _spans(trap["quote"], text)
        taken = [c for i, c in enumerate(scored) if i not in matched_ours and _overlaps(c, spans)]
        tally.traps_taken += [f"{name}: trap {trap['quote'][:60]!r} <- {_describe(c)}" for c in taken]
    for exp, spans in zip(expected, where, strict=True):
        negative = exp["kind"] == "none-stored" or (exp["kind"] in _NEGATIVE_VALUE_KINDS and exp.get("value") == "none")
        if not negative:
            continue
        tally.negations += 1
        positive_kinds = _POSITIVE.get(exp["kind"], (exp["kind"],))
        categories = [exp["category"], *exp.get("alt_categories", [])]
        for c in scored:
            if (
                c.kind in positive_kinds
                and _same_category(c.category, categories)
                and _overlaps(c, spans)
                and not (c.kind == exp["kind"] and c.value == "none")
            ):
                tally.inverted.append(f"{name}: {_describe(c)} inverts {exp['quote'][:60]!r}")
    return tally


def score_cases() -> Tally:
    tally = Tally()
    cases = yaml.safe_load(CASES_KEY.read_text(encoding="utf-8"))["files"]
    for name, entry in cases.items():
        path = STATEMENTS / "cases" / name
        _, claims = read(path)
        ours = [to_key(c) for c in claims.claims if c.kind not in KEY_MAP["unscored_kinds"]]
        for exp in entry.get("claims") or []:
            tally.expected[exp["kind"]] += 1
            if any(_agrees(c, exp, values=True) for c in ours):
                tally.found[exp["kind"]] += 1
            else:
                tally.misses.append(f"{name}: {_describe(exp)}")
        for c in ours:
            if any(_agrees(c, also) for also in entry.get("also") or []):
                continue
            tally.ours[c.kind] += 1
            if any(_agrees(c, exp) for exp in entry.get("claims") or []):
                tally.correct[c.kind] += 1
            else:
                tally.wrong.append(f"{name}: {_describe(c)}")
        for bad in entry.get("forbidden") or []:
            tally.traps += 1
            for c in ours:
                if (
                    c.kind == bad["kind"]
                    and bad.get("category", c.category) == c.category
                    and bad.get("value", c.value) == c.value
                    and same_period(bad.get("period", c.period), c.period)
                ):
                    tally.traps_taken.append(f"{name}: forbidden {bad} <- {_describe(c)}")
    return tally


def score(split: str, *, accept: bool = False) -> tuple[Tally, dict[str, Tally]]:
    key = yaml.safe_load((STATEMENTS / "expected.yaml").read_text(encoding="utf-8"))
    total, per_file = Tally(), {}
    for name, entry in key["files"].items():
        held = group_of(name) in HELD_OUT
        if (split == "dev" and held) or (split == "held-out" and not held):
            continue
        text, claims = read(STATEMENTS / name)
        per_file[name] = score_file(name, entry, text, claims, accept=accept)
        total.add(per_file[name])
    return total, per_file


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f} %" if b else "    – "


def print_table(title: str, t: Tally) -> None:
    print(f"\n{title}")
    print(f"{'kind':24} {'recall':>18} {'precision':>18}")
    kinds = sorted(set(t.expected) | set(t.ours))
    for kind in kinds:
        print(
            f"{kind:24} {t.found[kind]:3}/{t.expected[kind]:<3} {_pct(t.found[kind], t.expected[kind])}   "
            f"{t.correct[kind]:3}/{t.ours[kind]:<3} {_pct(t.correct[kind], t.ours[kind])}"
        )
    found, exp = sum(t.found.values()), sum(t.expected.values())
    correct, ours = sum(t.correct.values()), sum(t.ours.values())
    print(f"{'ALL':24} {found:3}/{exp:<3} {_pct(found, exp)}   {correct:3}/{ours:<3} {_pct(correct, ours)}")
    print(
        f"traps avoided: {t.traps - len(t.traps_taken)}/{t.traps}; negations inverted: {len(t.inverted)} "
        f"(of {t.negations} negative claims); unscored claims (kinds the key has no column for): "
        f"{len(t.unscored)}"
    )


def retention_with_period(per_file: dict[str, Tally], split: str) -> tuple[int, int]:
    """Retention claims that state a duration: found / expected (the issue's 'retention periods')."""
    key = yaml.safe_load((STATEMENTS / "expected.yaml").read_text(encoding="utf-8"))
    found = expected = 0
    for name, tally in per_file.items():
        timed = [
            c
            for c in key["files"][name]["claims"]
            if c["kind"] == "retention" and c.get("period") and not c.get("optional")
        ]
        expected += len(timed)
        missed = {m for m in tally.misses if m.startswith(f"{name}: retention")}
        found += sum(1 for c in timed if f"{name}: {_describe(c)}" not in missed)
    return found, expected


# ---------------------------------------------------------------- speed

_SUBJECTS_DE = [
    "Die Logdateien des Webservers",
    "Die Meta-Daten der E-Mails in den Log-Dateien",
    "Die Nachrichteninhalte",
    "Unterdrückungen",
    "Die Protokolle von Roundcube",
]
_SUBJECTS_EN = [
    "Web server access logs",
    "Mail server logs",
    "Message bodies",
    "Suppressions",
    "Roundcube webmail logs",
]
_PERIODS_DE = ["7 Tage", "sieben Tage", "bis zu dreißig Tage", "maximal zwei Wochen", "einen Monat", "90 Tage"]
_PERIODS_EN = ["7 days", "seven days", "up to thirty days", "at most two weeks", "one month", "90 days"]
_OTHER = [
    "Die Übertragung erfolgt verschlüsselt; wir erzwingen TLS für das Senden und Empfangen von Mails.",
    "Your mailboxes are stored on a server in Germany.",
    "Backups der Postfächer liegen auf einem anderen, eigenen Server.",
    "Deleted mails are removed from the backup one day later.",
    "Mailgun gilt als Auftragsverarbeiter.",
    "We have agreed the EU standard contractual clauses with all suppliers.",
    "Zu Deinem Account werden folgende Bestandsdaten gespeichert: Name, E-Mail Adresse, SHA512-CRYPT Hash des "
    "Passworts, Erstell-Datum.",
    "Wir halten uns an § 9 BDSG und das Fernmeldegeheimnis nach § 88 TKG.",
    "Diese Funktionen sind für alle unsere Kunden zugänglich, egal ob die Regelungen für sie gelten oder nicht.",
    "Please read the following information carefully and share it with your data protection team.",
    "Der User-Agent hilft bei der Zuordnung von Web-Crawlern wie beispielsweise dem Google-Bot.",
    "We do not log IP addresses. These records are removed automatically after ten days.",
    "Verbindungsdaten werden nach fünf Tagen gelöscht; Rechnungen bewahren wir zehn Jahre auf.",
]


def build_statement(seed: int = 4, target_chars: int = 150_000) -> str:
    """About 50 pages: the seeds (when present) and shuffled statement-like paragraphs."""
    rng = random.Random(seed)  # noqa: S311 - reproducible filler, not security
    parts: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []:
        parts.append(path.read_text(encoding="utf-8"))
    pairs = itertools.cycle(
        [(s, p, "de") for s in _SUBJECTS_DE for p in _PERIODS_DE]
        + [(s, p, "en") for s in _SUBJECTS_EN for p in _PERIODS_EN]
    )
    size = sum(map(len, parts))
    section = 0
    while size < target_chars:
        section += 1
        sentences = []
        for _ in range(rng.randint(3, 7)):
            subject, period, lang = next(pairs)
            if lang == "de":
                sentences.append(f"{subject} werden {period} gespeichert und danach gelöscht.")
            else:
                sentences.append(f"{subject} are kept for {period} and then deleted.")
            sentences.append(rng.choice(_OTHER))
        heading = f"Abschnitt {section}" if section % 2 else f"Section {section}"
        parts.append(f"{heading}\n\n{' '.join(sentences)}")
        size += len(parts[-1])
    return "\n\n".join(parts)


def speed() -> float:
    statement = statement_from_bytes(build_statement().encode(), "bench-statement.txt")
    extract_claims(statement)  # warm up: vocabularies and patterns are compiled once per process
    times, cpu = [], []
    for _ in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        claims = extract_claims(statement)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        f"\nspeed: {len(statement.text):,} characters (~{len(statement.text) // 3000} pages), "
        f"{len(claims.claims)} distinct claims, {len(claims.understood)} sentences understood, "
        f"{len(claims.not_understood)} not understood; median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {len(times)} runs; CPU time median "
        f"{statistics.median(cpu) * 1000:.0f} ms (wall time grows with the machine's load; "
        "acceptance: under 1000 ms)"
    )
    return max(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["dev", "held-out", "all"], default="all")
    parser.add_argument("--misses", action="store_true", help="list misses, wrong claims and traps taken")
    parser.add_argument("--speed", action="store_true", help="also time a 50-page statement")
    args = parser.parse_args(argv)
    if not STATEMENTS.is_dir():
        print(f"no statements at {STATEMENTS}", file=sys.stderr)
        return 2
    splits = ["dev", "held-out", "all"] if args.split == "all" else [args.split]
    for split in splits:
        total, per_file = score(split)
        print_table(f"== {split}: {len(per_file)} files", total)
        lenient, _ = score(split, accept=True)
        correct, ours = sum(lenient.correct.values()), sum(lenient.ours.values())
        print(
            f"precision with the accepted readings of claims_key_map.yaml counted neither way: {correct}/{ours} "
            f"{_pct(correct, ours)} (the figure above counts them wrong)"
        )
        found, expected = retention_with_period(per_file, split)
        print(f"retention with a period (period and category right): {found}/{expected} {_pct(found, expected)}")
        if args.misses and split == args.split:
            for title, items in (
                ("misses", total.misses),
                ("wrong", total.wrong),
                ("traps taken", total.traps_taken),
                ("negations inverted", total.inverted),
                ("unscored", total.unscored),
            ):
                print(f"\n-- {title} ({len(items)})")
                print("\n".join(items))
    cases = score_cases()
    print_table("== invented hard cases (cases/, key: bench/claims_cases.yaml)", cases)
    if args.misses:
        for title, items in (("misses", cases.misses), ("wrong", cases.wrong), ("traps", cases.traps_taken)):
            print(f"\n-- cases {title} ({len(items)})")
            print("\n".join(items))
    if args.speed:
        speed()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
