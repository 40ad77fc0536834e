"""collect_host on the Debian-like fixture root and on generated host roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.collectors.host.collect import collect_host
from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, Target, evidence_from_json, evidence_to_json
from auditor.evidence.host import HostEvidence
from auditor.messages import render
from tests.collectors import hostroot_builder as hb

PLANTED = ("S3cr3t-DB-Passw0rd", "Planted-DES-Key-0123456", "NcSaltPlanted99", "NcSecretPlanted42")
MD5 = "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"
SHA512 = "$6$saltsalt$" + "a" * 86


def _collect(root: Path, **kwargs: object) -> HostEvidence:
    return collect_host(root, collected_at=hb.NOW, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def debian(tmp_path: Path) -> Path:
    root = hb.copy_fixture(tmp_path / "root")
    hb.rotated_mail_logs(root)
    return root


def test_mail_family_has_every_rsyslog_target_with_both_file_lines(debian: Path) -> None:
    mail = _collect(debian).family("mail")
    assert mail is not None and mail.present
    targets = {t.path: t for t in mail.targets}
    assert set(targets) == {"/var/log/mail.log", "/var/log/syslog"}  # the catch-all copies mail into syslog
    log = targets["/var/log/mail.log"]
    assert [str(r) for r in log.routed_by] == ["/etc/rsyslog.conf:16"]
    assert {(s.name, s.value, s.file, s.line) for s in log.retention_sources} == {
        ("frequency", "weekly", "/etc/logrotate.d/rsyslog", 9),
        ("rotate", "4", "/etc/logrotate.d/rsyslog", 8),
    }
    assert log.retention_days == 35.0 and not log.unbounded
    assert mail.configured_days == 35.0


def test_observed_oldest_entry_comes_from_the_oldest_rotated_file(debian: Path) -> None:
    mail = _collect(debian).family("mail")
    assert mail is not None and mail.observed is not None
    assert mail.observed.oldest_file == "/var/log/mail.log.4.gz"
    age = mail.observed.age_days_at(hb.NOW)
    assert age is not None and 32.9 < age < 33.1
    assert {"ip-address", "e-mail-address"} <= {f.field for f in mail.fields}


def test_other_families_from_the_fixture(debian: Path) -> None:
    host = _collect(debian)
    web = host.family("web-access")
    assert web is not None and "/var/log/nginx/webmail.access.log" in {t.path for t in web.targets}
    assert {"ip-address", "user-agent"} <= {f.field for f in web.fields}
    webmail = host.family("webmail")  # Roundcube logs to syslog local5 -> rsyslog.d/30-webmail.conf
    assert webmail is not None and [str(r) for t in webmail.targets for r in t.routed_by] == [
        "/etc/rsyslog.d/30-webmail.conf:2"
    ]
    assert webmail.unbounded  # logrotate rotates it by size only
    cloud = host.family("cloud")
    assert cloud is not None and cloud.unbounded and "log_rotate_size" in render(cloud.targets[0].basis, "en")
    auth = host.family("auth")
    assert auth is not None and [t.path for t in auth.targets] == ["/var/log/auth.log"]
    journal = host.family("journal")
    assert journal is not None and journal.targets[0].path == "/run/log/journal"  # auto without /var/log/journal


def test_mysql_user_database_needs_credentials_and_is_never_guessed(debian: Path) -> None:
    host = _collect(debian)
    mail_db = next(d for d in host.databases if d.purpose == "mail-users")
    assert mail_db.engine == "mysql" and mail_db.inventory is None
    assert mail_db.error is not None and "pass --db" in render(mail_db.error, "en")
    assert [str(r) for r in mail_db.found_in][0] == "/etc/dovecot/dovecot-sql.conf.ext:2"
    assert [s.value for s in host.pass_schemes] == ["SHA512-CRYPT"]


def test_transport_settings_exclude_loopback_reinjection(debian: Path) -> None:
    host = _collect(debian)
    assert host.postfix is not None and {s.name for s in host.postfix} == {"smtp", "submission", "submissions"}
    submission = next(s for s in host.postfix if s.role == "submission")
    level = submission.get("smtpd_tls_security_level")
    assert level is not None and (level.value, level.file, level.line) == ("encrypt", "/etc/postfix/master.cf", 7)
    assert host.dovecot is not None and [s.scope for s in host.dovecot.scoped] == [("remote 127.0.0.1",)]


def test_evidence_round_trips_and_holds_no_secret(debian: Path) -> None:
    hb.dovecot_sqlite(debian)
    hb.user_db(debian, hashes=(MD5, SHA512))
    host = _collect(debian)
    evidence = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at=hb.NOW.isoformat(),
        target=Target(domain=None),
        network=False,
        host=host,
    )
    data = evidence_to_json(evidence)
    assert evidence_from_json(data) == evidence
    for secret in (*PLANTED, MD5, SHA512, "qjXMvbEw8oaL"):
        assert secret.encode() not in data


def test_sqlite_user_database_found_through_dovecot(debian: Path) -> None:
    hb.dovecot_sqlite(debian)
    hb.user_db(debian, hashes=(MD5, MD5, SHA512), extra_columns=("phone",))
    db = next(d for d in _collect(debian).databases if d.purpose == "mail-users")
    assert db.error is None and db.inventory is not None
    assert db.inventory.hash_schemes == {"MD5-CRYPT": 2, "SHA512-CRYPT": 1}
    assert "phone" in db.inventory.categories_found


def test_given_dsn_replaces_discovery(tmp_path: Path, debian: Path) -> None:
    db_file = hb.user_db(tmp_path / "elsewhere", "/users.sqlite", hashes=(SHA512,))
    host = _collect(debian, db=f"sqlite:///{db_file}")
    assert [(d.given, d.purpose) for d in host.databases] == [(True, "given")]
    assert host.databases[0].inventory is not None and host.databases[0].inventory.hash_schemes == {"SHA512-CRYPT": 1}


def test_unused_postfix_map_file_is_not_a_database(debian: Path) -> None:
    hb.write(
        debian,
        "/etc/postfix/sql/mysql_old_aliases.cf",
        "user = old\npassword = x\nhosts = 10.0.0.9\n"
        "dbname = legacy\nquery = SELECT goto FROM alias WHERE address='%s'\n",
    )
    assert all("legacy" not in d.dsn_redacted for d in _collect(debian).databases)


def test_symlinks_cannot_lead_outside_the_root(tmp_path: Path, debian: Path) -> None:
    outside = tmp_path / "outside.log"
    outside.write_text("Jan  1 00:00:00 other secret-outside-line 10.9.9.9\n")
    os.symlink(outside, debian / "var/log/mail.log.5")  # absolute link: re-rooted, so not found
    os.symlink("../../../outside.log", debian / "var/log/mail.log.6")  # climbs above the root: refused
    os.symlink(str(outside), debian / "etc/logrotate.d/evil")
    mail = _collect(debian).family("mail")
    assert mail is not None and mail.observed is not None
    assert mail.observed.oldest_file == "/var/log/mail.log.4.gz"
    assert not mail.observed.complete and mail.errors


def test_unreadable_and_malformed_files_are_errors_not_crashes(debian: Path) -> None:
    os.mkfifo(debian / "var/log/mail.log.7.gz")  # a FIFO must never hang or crash the reader
    hb.write(debian, "/etc/postfix/main.cf", "this line is no setting\nsmtpd_tls_security_level = may\n")
    hb.write(debian, "/etc/borgmatic/config.yaml", "retention: [unclosed\n")
    host = _collect(debian)
    mail = host.family("mail")
    assert mail is not None and any("FIFO" in e or "regular" in e for e in mail.errors)
    assert any(e.startswith("/etc/postfix/main.cf:1") for e in host.errors_in("transport"))
    assert any("/etc/borgmatic/config.yaml" in e for e in host.errors_in("backup"))


def test_missing_root_is_an_error_value(tmp_path: Path) -> None:
    host = _collect(tmp_path / "nope")
    assert host.logs == () and host.errors_in("host")


def test_empty_root_has_no_software(tmp_path: Path) -> None:
    host = _collect(tmp_path)
    assert host.postfix is None and host.dovecot is None and host.databases == ()
    assert [f.family for f in host.logs if f.present] == []
