"""Families of phrasing the reader must understand, in sentences written for these tests.

Each case is one way statements write a thing (a bound after the number, a category taken
from the heading, a negated lead-in), not a sentence of a real statement.
"""

from __future__ import annotations

import pytest

from auditor.claims import extract_claims, statement_from_bytes
from auditor.claims.periods import find_periods
from auditor.evidence.claims import ClaimSet


def _read(text: str) -> ClaimSet:
    return extract_claims(statement_from_bytes(text.encode(), "s.txt"))


def _kept(text: str) -> list[tuple[str, str, str | None, str, str | None]]:
    return [(c.kind, c.subject, c.period, c.bound, c.event) for c in _read(text).claims if c.kind == "retention"]


@pytest.mark.parametrize(
    ("words", "iso", "bound", "minimum"),
    [
        ("einundzwanzig Tage", "P21D", "exact", None),
        ("twenty-one days", "P21D", "exact", None),
        ("half a year at most", "P6M", "upper", None),
        ("anderthalb Jahre", "P18M", "exact", None),
        ("zwölf (12) Monate", "P12M", "exact", None),
        ("24 bis 48 Stunden", "PT48H", "upper", "PT24H"),
        ("for a maximum of 3 months", "P3M", "upper", None),
        ("nach spätestens vier Wochen", "P28D", "upper", None),
        ("for the last 30 days", "P30D", "lower", None),
        ("zehn volle Tage", "P10D", "exact", None),
    ],
)
def test_periods_as_statements_write_them(words: str, iso: str, bound: str, minimum: str | None) -> None:
    [period] = find_periods(words)
    assert (period.iso, period.bound, period.minimum) == (iso, bound, minimum)


def test_dates_counts_and_sizes_are_no_periods() -> None:
    assert find_periods("Stand: 3. März 2021, zwei Arten von Protokollen, höchstens 25 MB, Art. 6 DSGVO") == []


def test_a_single_word_names_the_category() -> None:
    assert _kept("Verbindungsdaten werden nach fünf Tagen gelöscht.") == [
        ("retention", "mail-metadata-logs", "P5D", "exact", None)
    ]
    assert _kept("Access logs are purged after 14 days.") == [("retention", "web-access-logs", "P14D", "exact", None)]


def test_category_from_an_earlier_sentence_and_from_the_heading_with_confidence() -> None:
    text = (
        "Webserver\n\nOur web servers record the address and the browser of each visitor. "
        "These records are erased after 10 days.\n\nThe logs are rotated away after two weeks."
    )
    claims = {(c.period, c.resolved, c.confidence) for c in _read(text).claims if c.kind == "retention"}
    assert ("P10D", "previous", "medium") in claims


def test_heading_gives_the_category_at_low_confidence() -> None:
    text = "Mail server logs\n\nThey are deleted after seven days."
    [claim] = [c for c in _read(text).claims if c.kind == "retention"]
    assert (claim.subject, claim.period, claim.resolved, claim.confidence) == (
        "mail-metadata-logs",
        "P7D",
        "heading",
        "low",
    )


def test_negations_are_never_read_as_storage() -> None:
    claims = _read("We never record IP addresses of our users.").claims
    assert [(c.kind, c.subject) for c in claims] == [("none-stored", "ip-addresses")]
    german = _read("IP-Adressen der Nutzer speichern wir nicht.").claims
    assert [(c.kind, c.subject) for c in german] == [("none-stored", "ip-addresses")]


def test_a_negated_lead_in_negates_its_items() -> None:
    text = "Our servers do not log:\n- the IP address of your device\n- the pages you visit on our website"
    kinds = {(c.kind, c.subject) for c in _read(text).claims}
    assert ("none-stored", "ip-addresses") in kinds
    assert not {k for k in kinds if k[0] in ("logging", "inventory", "retention")}


def test_a_hedged_negation_is_no_promise() -> None:
    assert _read("In general we do not store data that identifies you.").claims == ()


def test_a_session_lifetime_is_not_retention() -> None:
    claims = _read("Your login session expires after 30 minutes of inactivity or at the latest after 8 hours.").claims
    assert all(c.kind == "session" for c in claims)


def test_a_legal_exception_keeps_the_promise_and_another_exception_cancels_it() -> None:
    legal = _read("Personenbezogene Daten geben wir nicht an Dritte weiter, außer wenn ein Gericht es anordnet.")
    assert [c.value for c in legal.claims] == ["no-third-parties"]
    other = _read("Personenbezogene Daten geben wir nicht an Dritte weiter, außer an unsere Werbepartner.")
    assert other.claims == ()


def test_two_periods_in_one_sentence_each_with_its_category() -> None:
    text = "Mails in the junk folder are deleted after 21 days, and mails in the trash after one week."
    assert _kept(text) == [
        ("retention", "spam-folder", "P21D", "exact", None),
        ("retention", "trash-folder", "P7D", "exact", None),
    ]


def test_a_period_counted_from_an_event() -> None:
    assert _kept("Nach der Kündigung Deines Kontos löschen wir Deine Kontodaten innerhalb von 30 Tagen.") == [
        ("retention", "closed-account-data", "P30D", "upper", "account-closure")
    ]


def test_a_flattened_table_row_is_one_promise() -> None:
    text = (
        "Abrechnung\nRechnungsdaten\nBankverbindung\nbis zu 10 Jahre\n\nWir speichern diese Daten für die Buchhaltung."
    )
    assert ("retention", "billing", "P10Y", "upper", None) in _kept(text)


def test_nothing_privacy_relevant_is_silent() -> None:
    claims = _read("Die Daten der Protokolle werden regelmäßig nach einem festen Plan bereinigt.")
    assert claims.claims == () and len(claims.not_understood) == 1


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("Gopher and Finger access logs are deleted after 5 days.", "service-logs"),
        ("XMPP server logs are kept for two weeks.", "service-logs"),
        ("FTP access logs: 3 days", "ftp-logs"),
        ("Web server access logs are deleted after 7 days.", "web-access-logs"),
    ],
)
def test_access_logs_of_another_protocol_are_not_web_logs(text: str, subject: str) -> None:
    assert [c[1] for c in _kept(text)] == [subject]


def test_categories_named_side_by_side_are_both_claimed() -> None:
    """A category hides a more generic one named after it, unless the two are only joined by "and"."""
    assert {c[1] for c in _kept("Mail server logs and message contents are deleted after 30 days.")} == {
        "mail-metadata-logs",
        "message-bodies",
    }
    assert {c[1] for c in _kept("Die Verbindungsdaten und die Inhalte der E-Mails werden nach 30 Tagen gelöscht.")} == {
        "mail-metadata-logs",
        "message-bodies",
    }


def test_tracking_data_defined_as_part_of_the_message_logs_is_tracking_data() -> None:
    claims = _read("Message events are open and click tracking data, for which we store the time and the device.")
    assert [(c.kind, c.subject) for c in claims.claims] == [("inventory", "recipient-activity")]
    both = _kept("Message events and open and click tracking data are kept for 30 days.")
    assert {c[1] for c in both} == {"mail-metadata-logs", "recipient-activity"}


def test_a_kept_field_is_retention_and_a_described_log_is_logging_too() -> None:
    """Fields named after the category describe what the log holds; a field named first is what is kept."""
    kept_field = _read("Deine Benutzerkennung wird beim Versand und Empfang von E-Mails 14 Tage lang gespeichert.")
    assert [(c.kind, c.period) for c in kept_field.claims] == [("retention", "P14D")]
    described = _read(
        "Verbindungsdaten, also die IP-Adresse des Absenders und der Zeitpunkt der Zustellung, werden 14 Tage "
        "gespeichert."
    )
    assert {(c.kind, c.fields) for c in described.claims} == {
        ("retention", ("ip-address", "timestamp")),
        ("logging", ("ip-address", "timestamp")),
    }
    logs = _read("Server logs that record your IP address and the recipients are erased after 48 hours.")
    assert {c.kind for c in logs.claims} == {"retention", "logging"}


@pytest.mark.parametrize(
    "text",
    [
        "Your delivery statistics remain available no matter how old the messages are.",
        "Die Statistiken bleiben erhalten, egal wie alt die Nachrichten sind.",
    ],
)
def test_kept_regardless_of_age_is_indefinite(text: str) -> None:
    assert _kept(text) == [("retention", "statistics", None, "exact", "indefinite")]


def test_the_times_of_a_session_are_data_kept_not_a_session_lifetime() -> None:
    claims = _read("Verbindungsdaten (IP-Adresse, Anfangs- und Endzeit der Sitzung) werden 30 Tage gespeichert.").claims
    assert ("retention", "mail-metadata-logs", "P30D") in {(c.kind, c.subject, c.period) for c in claims}
    assert not [c for c in claims if c.kind == "session"]
    assert [c.kind for c in _read("Session cookies are kept for 12 hours.").claims] == ["session"]


def test_a_line_break_inside_an_event_phrase() -> None:
    assert _kept("Rechnungsdaten werden 10 Jahre nach\nRechnungsstellung gelöscht.") == [
        ("retention", "billing", "P10Y", "exact", "after-invoicing")
    ]


def test_a_table_row_whose_cells_are_paragraphs() -> None:
    """Short cell lines, then the period cell after a blank line, then the words it counts from."""
    text = (
        "Anschlussdaten\nRufnummer des Anrufers\nBeginn und Ende der Verbindung\nDauer des Gesprächs\n\n"
        "bis zu 3 Monate nach\n\nRechnungsversand\n\nHinweise\n\nBitte beachten Sie die AGB."
    )
    assert [(c[2], c[3], c[4]) for c in _kept(text)] == [("P3M", "upper", "after-invoicing")]
    row = next(c for c in _read(text).claims if c.kind == "retention")
    assert row.quote.startswith("Anschlussdaten") and row.quote.endswith("Rechnungsversand")


def _at_rest(text: str) -> set[tuple[str, str | None]]:
    return {(c.subject, c.value) for c in _read(text).claims if c.kind == "encryption-at-rest"}


def test_encryption_at_rest_families() -> None:
    # a universal over the operator's machines covers all the service's data, whatever "the data" was
    assert _at_rest(
        "Wir speichern deine Mails und deine Dateien in der Cloud. Alle unsere Server legen diese Daten auf "
        "verschlüsselten Datenträgern ab."
    ) == {("service-data", "disk-encryption")}
    # "these" / "auch diese" are what the clause or sentence before stored
    assert _at_rest("Snapshots werden wöchentlich erstellt. Auch diese sind verschlüsselt.") == {
        ("backups", "encrypted-backups")
    }
    assert _at_rest("Backups are kept off-site, but these are encrypted as well.") == {("backups", "encrypted-backups")}
    # only the user's password or key opens it
    assert _at_rest("Our backups hold your mailbox, and your password would be needed to decrypt it.") == {
        ("backups", "user-key-encrypted")
    }
    assert _at_rest("Deine Postfächer werden mit deinem Passwort verschlüsselt gespeichert.") == {
        ("mailboxes", "user-key-encrypted")
    }
    assert _read("Your password is required to log in.").claims == ()


def test_words_inside_other_words_name_no_category() -> None:
    assert [c[1] for c in _kept("Webmail logs are kept for 7 days.")] == ["webmail-logs"]
    assert not [c for c in _read("You log in to the web interface with your password.").claims if c.kind == "logging"]


def test_a_label_line_listing_fields_under_a_log_heading() -> None:
    text = "Mail server log\n\nContains: sender, recipient, time of delivery, size\n\nKept for: 5 days"
    claims = {(c.kind, c.subject, c.fields, c.period) for c in _read(text).claims}
    assert ("logging", "mail-metadata-logs", ("sender", "recipient", "timestamp", "size"), None) in claims
    assert ("retention", "mail-metadata-logs", ("sender", "recipient", "timestamp", "size"), "P5D") in claims
    # fields without a log above them are no log
    assert [c.kind for c in _read("Our newsletter\n\nIt includes: news, dates and offers").claims] == []


def test_examples_of_what_the_sentence_before_keeps_are_kept() -> None:
    text = "We keep everything you upload to our service. For example your mailboxes and your cloud storage."
    kept = {(c.kind, c.subject) for c in _read(text).claims}
    assert kept == {("inventory", "mailboxes"), ("inventory", "cloud-data")}
    # examples after a sentence that keeps nothing declare nothing
    assert not _read("We care about your privacy. For example your mailboxes and your address book.").claims


def test_the_last_login_is_a_category_of_its_own() -> None:
    """Kept with the account (the user database's last-login columns), not a login log."""
    assert [(c.kind, c.subject) for c in _read("Wir speichern den Monat deines letzten Logins.").claims] == [
        ("inventory", "last-login")
    ]


def _backup_periods(text: str) -> list[tuple[str | None, str]]:
    return [(c.period, c.bound) for c in _read(text).claims if c.kind == "backup" and c.period]


def test_a_backup_rotation_cycle_is_how_long_a_backup_lives() -> None:
    assert _backup_periods("Encrypted backups are created daily and rotated every month.") == [("P1M", "approx")]
    assert _backup_periods("Die Sicherungen werden täglich erstellt und wöchentlich überschrieben.") == [
        ("P7D", "approx")
    ]
    # how often logs rotate says nothing of how long they are kept
    assert _kept("Die Protokolldateien werden täglich rotiert.") == []
    assert _backup_periods("Backups are created daily.") == []


def test_the_data_volume_used_is_a_category() -> None:
    text = "We do not log:\n- your IP address\n- your bandwidth usage"
    assert {(c.kind, c.subject) for c in _read(text).claims} == {
        ("none-stored", "ip-addresses"),
        ("none-stored", "usage-volume"),
    }
    assert [c[1] for c in _kept("Das Datenvolumen speichern wir 80 Tage.")] == ["usage-volume"]


def test_whether_a_login_succeeded_makes_an_item_a_login_record() -> None:
    text = (
        "Our server logs record:\n- the time and size of each message you send\n"
        "- when you sign in, your IP address and whether the login succeeded"
    )
    logged = {(c.subject, c.fields) for c in _read(text).claims if c.kind == "logging"}
    assert ("login-logs", ("ip-address", "login-success")) in logged


def test_the_data_needed_for_it_refers_to_the_sentence_before() -> None:
    text = (
        "Auf Wunsch stellen wir Rechnungen auf deinen Namen aus. Nur dann werden die dafür benötigten Angaben "
        "(Name und Anschrift) gespeichert."
    )
    [claim] = _read(text).claims
    assert (claim.kind, claim.subject, claim.fields, claim.confidence) == (
        "inventory",
        "billing",
        ("postal-address", "name"),
        "medium",
    )


def test_a_pipe_table_row_is_one_unit_and_a_recipients_country_a_transfer() -> None:
    text = (
        "## Sub-processors\n\n| Company | Purpose | Country |\n| --- | --- | --- |\n"
        "| Helpdesk Ltd. | Support requests are stored by Helpdesk Ltd. | United States |\n"
        "| Mailer SAS | Newsletters are processed by Mailer SAS. | France |"
    )
    claims = _read(text).claims
    assert [(c.kind, c.subject, c.value) for c in claims] == [("transfer", "support-tickets", "US")]
    assert claims[0].quote.startswith("| Helpdesk Ltd.") and claims[0].quote.endswith("| United States |")
    # where the operator itself keeps the data is a location
    assert [(c.kind, c.value) for c in _read("Your mails are stored by us in Germany.").claims] == [("location", "DE")]
