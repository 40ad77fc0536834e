"""Benchmark: extract claims from a ~50-page (~150k characters) statement.

Run: ``.venv/bin/python bench/bench_claims.py``. The statement is built from varied
seed-like sentences (German and English, digits and number words, all claim kinds,
plus filler the reader must skip), and the seed statements themselves when present.
Acceptance: well under one second.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from pathlib import Path

from auditor.claims import extract_claims, statement_from_bytes

SEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds"
TARGET_CHARS = 150_000

_SUBJECTS_DE = ["Die Logdateien des Webservers", "Die Meta-Daten der E-Mails in den Log-Dateien",
                "Die Nachrichteninhalte", "Unterdrückungen", "Die Protokolle von Roundcube"]
_SUBJECTS_EN = ["Web server access logs", "Mail server logs", "Message bodies", "Suppressions",
                "Roundcube webmail logs"]
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
]


def build_statement(seed: int = 4) -> str:
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
    while size < TARGET_CHARS:
        section += 1
        paragraph = [f"Abschnitt {section}" if section % 2 else f"Section {section}", ""]
        for _ in range(rng.randint(3, 7)):
            subject, period, lang = next(pairs)
            if lang == "de":
                paragraph.append(f"{subject} werden {period} gespeichert und danach gelöscht.")
            else:
                paragraph.append(f"{subject} are kept for {period} and then deleted.")
            paragraph.append(rng.choice(_OTHER))
        text = " ".join(paragraph[2:])
        parts.append(f"{paragraph[0]}\n\n{text}")
        size += len(parts[-1])
    return "\n\n".join(parts)


def main() -> None:
    text = build_statement()
    statement = statement_from_bytes(text.encode(), "bench-statement.txt")
    extract_claims(statement)  # warm up: vocabularies and patterns are compiled once per process
    times = []
    for _ in range(5):
        start = time.perf_counter()
        claims = extract_claims(statement)
        times.append(time.perf_counter() - start)
    print(f"statement: {len(statement.text):,} characters (~{len(statement.text) // 3000} pages), "
          f"{len(claims.claims)} distinct claims, {len(claims.understood)} sentences understood, "
          f"{len(claims.not_understood)} not understood, {len(claims.cited_law)} citations")
    print(f"extraction: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
          f"over {len(times)} runs (acceptance: well under 1000 ms)")


if __name__ == "__main__":
    main()
