"""Both seed statements and their paraphrases give exactly the expected claims."""

from __future__ import annotations

import pytest

from auditor.claims import extract_claims, load_statement, statement_from_bytes
from auditor.evidence.claims import ClaimSet
from tests.claims import paraphrases
from tests.claims.expected import JULI, JULI_ALSO, JULI_CLAIMS, MAILGUN, MAILGUN_ALSO, MAILGUN_CLAIMS, SEEDS, Key, check

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed statements not present at {SEEDS}")


def _read(path: object) -> ClaimSet:
    return extract_claims(load_statement(str(path)))


@needs_seeds
def test_juli_seed_gives_exactly_the_expected_claims() -> None:
    claims = _read(JULI)
    assert claims.language == "de"
    check(claims, JULI_CLAIMS, JULI_ALSO)


@needs_seeds
def test_mailgun_seed_gives_exactly_the_expected_claims() -> None:
    claims = _read(MAILGUN)
    assert claims.language == "de"
    check(claims, MAILGUN_CLAIMS, MAILGUN_ALSO)


@needs_seeds
def test_quotes_and_offsets_point_into_the_normalised_text() -> None:
    statement = load_statement(str(JULI))
    claims = extract_claims(statement)
    for claim in claims.claims:
        assert statement.text[claim.start : claim.end] == claim.quote
    metadata = next(c for c in claims.claims if c.id == "retention.mail-metadata-logs")
    # the field list on the next line is part of the quoted promise
    assert metadata.quote.startswith("Die Meta-Daten von gesendeten und empfangenen E-Mails werden für 7 Tage")
    assert metadata.quote.endswith("und den Zeitpunkt der Übermittlung.")
    backup = next(c for c in claims.claims if c.id == "backup.mailboxes")
    assert backup.quote == "Gelöschte Mails werden einen Tag später aus dem Backup gelöscht."


@needs_seeds
def test_claim_ids_are_stable_and_unique() -> None:
    claims = _read(MAILGUN)
    ids = [c.id for c in claims.claims]
    assert len(ids) == len(set(ids))
    assert "retention.message-bodies" in ids
    assert "transfer.personal-data.scc" in ids
    # ids do not depend on position: a statement with a paragraph added in front keeps them
    text = load_statement(str(MAILGUN)).text
    shifted = extract_claims(statement_from_bytes(("Vorwort ohne Inhalt.\n\n" + text).encode(), "x.txt"))
    assert [c.id for c in shifted.claims] == ids


@needs_seeds
def test_seed_citations_keep_law_section_and_offsets() -> None:
    # Whether a cited provision is repealed is the catalogue's (tests/checks/test_statement.py).
    juli = _read(JULI)
    cited = {(c.law, c.section): c for c in juli.cited_law if c.section is not None}
    assert set(cited) == {("BDSG", "9"), ("TKG", "88")}
    assert cited["TKG", "88"].text == "§ 88 Telekommunikationsgesetz (TKG)"
    text = load_statement(str(JULI)).text
    for citation in juli.cited_law:
        assert text[citation.start : citation.end] == citation.text
    mailgun = _read(MAILGUN)
    assert [(c.law, c.section) for c in mailgun.cited_law if c.section is not None] == [("GDPR", "28")]


@needs_seeds
def test_unclear_sentences_are_listed_not_turned_into_claims() -> None:
    juli = _read(JULI)
    texts = [s.text for s in juli.not_understood]
    # ambiguous: which data, and is it enforced? no claim rather than a guess
    assert "Die Übertragung der Daten erfolgt verschlüsselt." in texts
    mailgun = _read(MAILGUN)
    vague = "Wir speichern Ihre Daten nur so lange, wie diese benötigt werden, um Ihnen unsere Dienste bereitzustellen."
    assert vague in [s.text for s in mailgun.not_understood]
    assert not set(s.text for s in mailgun.understood) & set(s.text for s in mailgun.not_understood)


@pytest.mark.parametrize(
    ("name", "expected", "also", "language"),
    [
        ("JULI_DE", JULI_CLAIMS, JULI_ALSO, "de"),
        ("JULI_EN", JULI_CLAIMS, JULI_ALSO, "en"),
        ("MAILGUN_DE", MAILGUN_CLAIMS, MAILGUN_ALSO, "de"),
        ("MAILGUN_EN", MAILGUN_CLAIMS, MAILGUN_ALSO, "en"),
    ],
)
def test_paraphrases_give_the_same_claims(name: str, expected: set[Key], also: set[Key], language: str) -> None:
    claims = extract_claims(statement_from_bytes(getattr(paraphrases, name).encode(), f"{name}.txt"))
    assert claims.language == language
    check(claims, expected, also)
    assert all(c.language == language for c in claims.claims)


@pytest.mark.parametrize(
    ("sentence", "period", "bound"),
    [
        ("Server-Logdateien werden nach vierzehn Tagen gelöscht.", "P14D", "exact"),
        ("Die Logdateien des Webservers speichern wir maximal drei Monate.", "P3M", "upper"),
        ("Web server access logs are kept for up to two weeks.", "P14D", "upper"),
        ("Web server access logs are deleted within 24 hours.", "PT24H", "upper"),
        ("Web server log files are retained for a year.", "P1Y", "exact"),
        ("Zugriffsprotokolle des Webservers werden 90 Tage aufbewahrt.", "P90D", "exact"),
        ("Die Logdateien des Webservers werden sechzig Tage gespeichert.", "P60D", "exact"),
    ],
)
def test_periods_number_words_and_bounds(sentence: str, period: str, bound: str) -> None:
    claims = extract_claims(statement_from_bytes(sentence.encode(), "s.txt"))
    assert [(c.kind, c.subject, c.period, c.bound) for c in claims.claims] == [
        ("retention", "web-access-logs", period, bound)
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "Wir speichern Ihre Daten nur so lange wie nötig.",
        "Logs are kept for 7 days, backups of the web server logs for 30 days.",
        "Seit dem 25. Mai 2018 gilt die DSGVO.",
        "Wir geben Daten nicht an Dritte weiter, außer an unsere Werbepartner.",
        "Als Kunde von Mailgun sind Sie Datenverantwortlicher.",
        "Our servers are located outside the EU.",
    ],
)
def test_ambiguous_or_conditional_sentences_give_no_claim(sentence: str) -> None:
    assert extract_claims(statement_from_bytes(sentence.encode(), "s.txt")).claims == ()


def test_conflicting_roles_are_both_kept_as_separate_claims() -> None:
    text = "Mailgun ist Auftragsverarbeiter für die Nachrichten.\n\nWir handeln als Verantwortlicher für Kontodaten."
    claims = extract_claims(statement_from_bytes(text.encode(), "s.txt"))
    assert {c.id for c in claims.claims} == {"role.service.processor", "role.service.controller"}
