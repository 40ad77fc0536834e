"""Secrets planted in the fixture root (DB password, des_key, Nextcloud secret/salt) never leave a reader."""

from __future__ import annotations

from pydantic import TypeAdapter

from auditor.collectors.host.config import HostConfig, read_host
from auditor.collectors.host.readers.dovecot import read_dovecot
from auditor.collectors.host.root import HostRoot
from auditor.collectors.host.secrets import is_secret_name, scrub

PLANTED = (
    "S3cr3t-DB-Passw0rd",
    "Planted-DES-Key-0123456",
    "NcSecretPlanted42",
    "NcSaltPlanted99",
    "rcmail-!24ByteDESkey*Str",
)


def test_planted_secrets_are_in_the_fixture_files(hostroot: HostRoot) -> None:
    text = "".join(p.read_text() for p in hostroot.root.rglob("*") if p.is_file())
    assert all(secret in text for secret in PLANTED)  # otherwise the next test proves nothing


def test_no_secret_in_repr_or_json_of_any_reader_result(hostroot: HostRoot) -> None:
    host = read_host(hostroot)
    dumped = TypeAdapter(HostConfig).dump_json(host).decode()
    for secret in PLANTED:
        assert secret not in repr(host)
        assert secret not in dumped


def test_no_corpus_secret_placeholder_survives(corpus: HostRoot) -> None:
    cfg = read_dovecot(corpus, ("/postfixadmin/DOCUMENTS/examples/dovecot-2.4-local.conf",))
    assert "DATABASE_PASSWORD" not in repr(cfg)


def test_secret_names_and_scrub() -> None:
    assert all(map(is_secret_name, ("password", "dbpassword", "des_key", "secret", "passwordsalt", "BORG_PASSPHRASE")))
    assert not any(map(is_secret_name, ("password_query", "default_pass_scheme", "auth_verbose_passwords", "ssl_key")))
    assert scrub("pgsql://u:pw@h/db host=x password='a b'") == "pgsql://u:<redacted>@h/db host=x password=<redacted>"
