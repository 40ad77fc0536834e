"""inventory.undeclared and inventory.not-found on evidence fixtures."""

from __future__ import annotations

import auditor.checks.inventory as inventory_checks

from auditor.evidence.claims import Claim
from auditor.evidence.host import HostError, HostEvidence, UserDatabase
from auditor.evidence.outcomes import ErrorKind
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Location, Severity, Status
from auditor.registry import checks_in_module
from auditor.runner import evaluate
from tests.checks import host_factory as hf

CHECKS = {c.meta.id: c for c in checks_in_module(inventory_checks, packaged_metadata())}
ACCOUNT = hf.claim(
    "inventory",
    "account-data",
    quote="Name, E-Mail-Adresse, Passwort-Hash, Erstellungsdatum.",
    fields=("name", "e-mail-address", "password-hash", "creation-date"),
)
WITH_PHONE = {"mailbox": [*hf.POSTFIXADMIN["mailbox"], "phone:phone"]}


def _run(check_id: str, host: HostEvidence, *claims: Claim) -> list[Finding]:
    return evaluate([CHECKS[check_id]], hf.evidence(host, hf.claims(*claims)))


def test_metadata() -> None:
    assert CHECKS["inventory.undeclared"].meta.severity == Severity.MEDIUM
    assert {"GDPR-13-1-c", "GDPR-5-1-a", "GDPR-30"} <= set(CHECKS["inventory.undeclared"].meta.clauses)
    assert CHECKS["inventory.not-found"].meta.severity == Severity.INFO


def test_undeclared_phone_column_is_medium_with_the_column_and_the_claim() -> None:
    findings = _run("inventory.undeclared", hf.host(databases=(hf.sqlite_db(WITH_PHONE),)), ACCOUNT)
    fails = [f for f in findings if f.status == Status.FAIL]
    assert [f.id.rsplit("#", 1)[1] for f in fails] == ["phone"]
    phone = fails[0]
    assert phone.severity == Severity.MEDIUM and "mailbox.phone" in phone.detail
    assert any(
        o.value == "mailbox.phone" and o.location == Location(path="/var/lib/mail/users.sqlite")
        for o in phone.observations
    )
    assert phone.claim is not None and phone.claim.claim_id == "inventory.account-data"


def test_all_columns_declared_passes_and_quota_is_operational() -> None:
    findings = _run("inventory.undeclared", hf.host(databases=(hf.sqlite_db(hf.POSTFIXADMIN),)), ACCOUNT)
    assert [f.status for f in findings] == [Status.PASS]
    assert "quota" not in findings[0].detail


def test_undeclared_message_content_is_high() -> None:
    db = hf.sqlite_db({"vacation": ["body:message-content", "email:e-mail-address"]})
    findings = _run("inventory.undeclared", hf.host(databases=(db,)), ACCOUNT)
    assert [(f.status, f.severity) for f in findings] == [(Status.FAIL, Severity.HIGH)]


def test_database_needing_credentials_is_an_error_not_a_pass() -> None:
    db = UserDatabase("mysql://postfix@127.0.0.1/postfix", "mysql", error="credentials needed: pass --db DSN")
    findings = _run("inventory.undeclared", hf.host(databases=(db,)), ACCOUNT)
    assert [f.status for f in findings] == [Status.ERROR] and "pass --db" in findings[0].detail


def test_no_database_found_is_an_error() -> None:
    findings = _run("inventory.undeclared", hf.host(), ACCOUNT)
    assert [f.status for f in findings] == [Status.ERROR] and "--db" in findings[0].detail


def test_logged_user_agent_not_declared_is_a_finding() -> None:
    fam = hf.family("web-access", hf.daily_target("/var/log/nginx/access.log"), fields=("ip-address", "user-agent"))
    webmail = hf.claim("retention", "webmail-logs", period="P7D", fields=("ip-address",), quote="IP sieben Tage.")
    findings = _run(
        "inventory.undeclared", hf.host(logs=(fam,), databases=(hf.sqlite_db(hf.POSTFIXADMIN),)), ACCOUNT, webmail
    )
    fails = [f for f in findings if f.status == Status.FAIL]
    assert [f.subject for f in fails] == ["web-access logs"] and "user-agent" in fails[0].detail
    assert fails[0].claim is not None and fails[0].claim.subject == "webmail-logs"


def test_mail_log_addresses_are_declared_by_sender_and_recipient() -> None:
    fam = hf.family("mail", hf.debian_mail_target(), fields=("ip-address", "e-mail-address", "message-id"))
    mail = hf.claim("retention", "mail-metadata-logs", period="P7D", fields=("ip-address", "sender", "recipient"))
    findings = _run(
        "inventory.undeclared", hf.host(logs=(fam,), databases=(hf.sqlite_db(hf.POSTFIXADMIN),)), ACCOUNT, mail
    )
    assert {f.status for f in findings} == {Status.PASS}


def test_declared_forwards_not_found_is_info() -> None:
    claim = hf.claim("inventory", "account-data", fields=("name", "forwards"), quote="Name und Weiterleitungen.")
    findings = _run("inventory.not-found", hf.host(databases=(hf.sqlite_db(hf.POSTFIXADMIN),)), claim)
    assert [(f.status, f.severity) for f in findings] == [(Status.WARN, Severity.INFO)]
    assert "forwarding addresses" in findings[0].detail and "name" not in findings[0].detail.split(":")[-1]


def test_declared_fields_found_pass() -> None:
    findings = _run("inventory.not-found", hf.host(databases=(hf.sqlite_db(hf.POSTFIXADMIN),)), ACCOUNT)
    assert [f.status for f in findings] == [Status.PASS]


def test_not_found_without_an_examined_database_is_unverifiable() -> None:
    db = UserDatabase("mysql://postfix@127.0.0.1/postfix", "mysql", error="credentials needed: pass --db DSN")
    findings = _run("inventory.not-found", hf.host(databases=(db,)), ACCOUNT)
    assert [f.status for f in findings] == [Status.ERROR]


def test_tables_without_a_recognised_column_are_unverifiable_not_declared() -> None:
    db = hf.sqlite_db({"t_x": ["c1:", "c2:"]})
    findings = _run("inventory.undeclared", hf.host(databases=(db,)), ACCOUNT)
    assert [(f.status, "no personal-data column recognised" in f.detail) for f in findings] == [(Status.ERROR, True)]


NO_IPS = hf.claim("none-stored", "ip-addresses", quote="We do not log IP addresses.")


def test_not_logged_ip_addresses_against_a_log_format_recording_them_fails_high() -> None:
    web = hf.family("web-access", hf.daily_target("/var/log/nginx/access.log"), fields=("ip-address", "user-agent"))
    [result] = _run("inventory.not-stored", hf.host(logs=(web,)), NO_IPS)
    assert result.status == Status.FAIL and result.severity == Severity.HIGH
    assert "web-access" in result.detail and result.claim is not None


def test_not_logged_ip_addresses_pass_when_no_log_records_them() -> None:
    mail = hf.family("mail", hf.debian_mail_target(), fields=("e-mail-address",))
    [result] = _run("inventory.not-stored", hf.host(logs=(mail,)), NO_IPS)
    assert result.status == Status.PASS


def test_not_kept_log_category_fails_when_the_host_keeps_it_and_errors_without_logs() -> None:
    no_mail_logs = hf.claim("none-stored", "mail-metadata-logs", quote="Wir speichern keine Mail-Logs.")
    mail = hf.family("mail", hf.debian_mail_target())
    [kept] = _run("inventory.not-stored", hf.host(logs=(mail,)), no_mail_logs)
    assert kept.status == Status.FAIL and "/var/log/mail.log" in str(kept.observations)
    [unknown] = _run("inventory.not-stored", hf.host(), NO_IPS)
    assert unknown.status == Status.ERROR
    [skipped] = _run("inventory.not-stored", hf.host(logs=(mail,)), ACCOUNT)
    assert skipped.status == Status.SKIPPED


def test_missing_lookup_files_are_grouped_by_their_kind_not_their_wording() -> None:
    """Files a snapshot did not capture make one finding; an error whose text merely ends like
    that (a reader's error about a value, ending in ': not found') stays an error of its own."""
    errors = (
        HostError("inventory", "/etc/postfix/sql/a.cf: not found", ErrorKind.NOT_FOUND),
        HostError("inventory", "/etc/postfix/sql/b.cf: not found", ErrorKind.NOT_FOUND),
        HostError("inventory", "/etc/postfix/sql/c.cf:3: hosts = db.internal: not found"),
    )
    host = hf.host(databases=(hf.sqlite_db(hf.POSTFIXADMIN),), errors=errors)
    errored = [f for f in _run("inventory.undeclared", host, ACCOUNT) if f.status is Status.ERROR]
    [grouped] = [f for f in errored if f.id.endswith("#lookups-not-found")]
    assert "a.cf" in grouped.detail and "b.cf" in grouped.detail and "c.cf" not in grouped.detail
    assert [f for f in errored if "c.cf:3" in f.detail], errored
