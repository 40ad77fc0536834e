"""hashing.scheme on evidence fixtures: claim vs configured default vs database counts."""

from __future__ import annotations

import auditor.checks.hashing as hashing_checks

from auditor.evidence.claims import Claim
from auditor.evidence.host import DovecotTransport, HostEvidence, PasswordWriter, UserDatabase
from auditor.evidence.settings import Setting
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Location, Severity, Status
from auditor.registry import checks_in_module
from auditor.runner import evaluate
from tests.checks import host_factory as hf

CHECK = checks_in_module(hashing_checks, packaged_metadata())[0]
CLAIM = hf.claim(
    "hash-scheme",
    "account-data",
    value="SHA512-CRYPT",
    fields=("password-hash",),
    quote="Dein Passwort ausschließlich als SHA512-CRYPT-Hash.",
)
DEFAULT = Setting("default_pass_scheme", "SHA512-CRYPT", "/etc/dovecot/dovecot-sql.conf.ext", 3)


def _run(host: HostEvidence, *claims: Claim, statement: bool = True) -> list[Finding]:
    return evaluate([CHECK], hf.evidence(host, hf.claims(*claims) if statement else None))


def _db(**schemes: int) -> UserDatabase:
    return hf.sqlite_db(hf.POSTFIXADMIN, {k.replace("_", "-"): v for k, v in schemes.items()})


def test_md5_crypt_hashes_against_a_sha512_claim_are_high_and_name_counts() -> None:
    findings = _run(hf.host(pass_schemes=(DEFAULT,), databases=(_db(MD5_CRYPT=3, SHA512_CRYPT=5),)), CLAIM)
    by_subject = {f.subject: f for f in findings}
    assert by_subject["/etc/dovecot/dovecot-sql.conf.ext:3"].status == Status.PASS
    db = by_subject["sqlite:///var/lib/mail/users.sqlite"]
    assert db.status == Status.FAIL and db.severity == Severity.HIGH
    assert "3 of 8" in db.detail and "MD5-CRYPT 3" in db.detail and "$1$" not in db.detail
    assert db.claim is not None and db.claim.claim_id == "hash-scheme.account-data.sha512-crypt"
    assert {"GDPR-32-1-a", "GDPR-5-1-f"} <= set(db.clauses)
    assert any(o.location == Location(path="/var/lib/mail/users.sqlite") for o in db.observations)


def test_cleartext_passwords_are_critical() -> None:
    findings = _run(hf.host(databases=(_db(PLAIN=1, SHA512_CRYPT=4),)), CLAIM)
    assert [(f.status, f.severity) for f in findings] == [(Status.FAIL, Severity.CRITICAL)]


def test_strong_but_different_scheme_contradicts_the_claim() -> None:
    findings = _run(hf.host(databases=(_db(BLF_CRYPT=2, SHA512_CRYPT=4),)), CLAIM)
    assert findings[0].status == Status.FAIL and "2 of 6" in findings[0].detail and "BLF-CRYPT" in findings[0].detail


def test_all_matching_passes_and_empty_passwords_are_ignored() -> None:
    findings = _run(hf.host(pass_schemes=(DEFAULT,), databases=(_db(SHA512_CRYPT=6, EMPTY=2),)), CLAIM)
    assert {f.status for f in findings} == {Status.PASS}


def test_weak_configured_default_fails_at_its_line() -> None:
    weak = Setting("default_pass_scheme", "MD5-CRYPT", "/etc/dovecot/dovecot-sql.conf.ext", 3)
    findings = _run(hf.host(pass_schemes=(weak,)), statement=False)
    assert findings[0].status == Status.FAIL and findings[0].severity == Severity.HIGH
    assert findings[0].observations[0].location == Location(path="/etc/dovecot/dovecot-sql.conf.ext", line=3)


def test_configured_default_other_than_claimed_fails() -> None:
    blf = Setting("default_pass_scheme", "BLF-CRYPT", "/etc/dovecot/dovecot-sql.conf.ext", 3)
    findings = _run(hf.host(pass_schemes=(blf,)), CLAIM)
    assert findings[0].status == Status.FAIL and "contradicts" in findings[0].detail


def test_works_without_a_statement() -> None:
    findings = _run(hf.host(databases=(_db(SHA1=2),)), statement=False)
    assert findings[0].status == Status.FAIL and findings[0].claim is None


def test_database_needing_credentials_is_an_error() -> None:
    db = UserDatabase("mysql://dovecot@127.0.0.1/postfix", "mysql", error="credentials needed: pass --db DSN")
    findings = _run(hf.host(pass_schemes=(DEFAULT,), databases=(db,)), CLAIM)
    assert [f.status for f in findings] == [Status.PASS, Status.ERROR]


def test_webmail_database_is_not_graded() -> None:
    db = UserDatabase("mysql://roundcube@localhost/roundcube", "mysql", error="credentials needed", purpose="webmail")
    findings = _run(hf.host(databases=(db,), dovecot=DovecotTransport(())), CLAIM)
    assert [f.status for f in findings] == [Status.ERROR] and "no user database" in findings[0].detail


def test_postfix_only_configuration_has_no_password_store() -> None:
    assert [f.status for f in _run(hf.host(postfix=()), statement=False)] == [Status.SKIPPED]


def test_scheme_names_are_canonical() -> None:
    assert hashing_checks.canonical("bcrypt") == "BLF-CRYPT"
    assert hashing_checks.canonical("{MD5}") == "MD5-CRYPT"
    assert hashing_checks.canonical("sha512-crypt") == "SHA512-CRYPT"
    assert hashing_checks.canonical("Argon2") == "ARGON2ID"


CRYPT = Setting("default_pass_scheme", "CRYPT", "/etc/dovecot/dovecot-sql.conf.ext", 3)


def _writer(tool: str, value: str, scheme: str | None) -> PasswordWriter:
    return PasswordWriter(tool, Setting("encrypt", value, "/etc/postfixadmin/config.local.php", 4), scheme)


def test_crypt_only_decodes_the_stored_hashes_decide() -> None:
    findings = _run(hf.host(pass_schemes=(CRYPT,), databases=(_db(SHA512_CRYPT=4),)), CLAIM)
    assert [(f.subject, f.status) for f in findings] == [("sqlite:///var/lib/mail/users.sqlite", Status.PASS)]
    assert not any("DES" in f.detail for f in findings)


def test_crypt_with_the_writing_tool_graded_instead() -> None:
    weak = _run(hf.host(pass_schemes=(CRYPT,), password_writers=(_writer("PostfixAdmin", "md5crypt", "MD5-CRYPT"),)))
    [f] = weak
    assert (f.status, f.severity, f.subject) == (Status.FAIL, Severity.HIGH, "/etc/postfixadmin/config.local.php:4")
    assert "MD5-CRYPT" in f.detail and "PostfixAdmin" in f.detail
    writer = _writer("PostfixAdmin", "php_crypt", "SHA512-CRYPT")
    good = _run(hf.host(pass_schemes=(CRYPT,), password_writers=(writer,)), CLAIM)
    assert [f.status for f in good] == [Status.PASS] and "written by PostfixAdmin" in good[0].detail
    unknown = _run(hf.host(pass_schemes=(CRYPT,), password_writers=(_writer("PostfixAdmin", "authlib", None),)))
    assert [f.status for f in unknown] == [Status.WARN]


def test_crypt_alone_is_unverifiable_not_des() -> None:
    [f] = _run(hf.host(pass_schemes=(CRYPT,), dovecot=DovecotTransport(())), CLAIM)
    assert f.status == Status.ERROR and "decodes whatever crypt(3) format" in f.detail
