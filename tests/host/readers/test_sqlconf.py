"""SQL lookup files: connection target kept, password dropped, query shape read."""

from __future__ import annotations

from auditor.host.readers.sqlconf import query_shape, read_sql_lookup
from auditor.host.root import HostRoot


def test_fixture_dovecot_sql(hostroot: HostRoot) -> None:
    r = read_sql_lookup(hostroot, "/etc/dovecot/dovecot-sql.conf.ext", "dovecot")
    assert (r.driver, r.hosts, r.dbname, r.user) == ("mysql", ("127.0.0.1",), "postfix", "dovecot")
    assert r.default_pass_scheme is not None and str(r.default_pass_scheme) == (
        "default_pass_scheme = SHA512-CRYPT (/etc/dovecot/dovecot-sql.conf.ext:3)"
    )
    assert r.queries["password_query"].tables == ("mailbox",)
    assert r.queries["password_query"].columns == ("username", "password")
    assert "S3cr3t" not in repr(r)


def test_fixture_postfix_sql(hostroot: HostRoot) -> None:
    r = read_sql_lookup(hostroot, "/etc/postfix/sql/mysql_virtual_mailbox_maps.cf", "postfix")
    assert (r.driver, r.hosts, r.dbname, r.user) == ("mysql", ("127.0.0.1",), "postfix", "postfix")
    assert r.queries["query"].columns == ("maildir",)
    assert "password" not in {s.name for s in r.settings} and "S3cr3t" not in repr(r)


def test_query_shape_drops_functions_literals_and_aliases() -> None:
    shape = query_shape(
        "SELECT LOWER('%u') AS u, CONCAT(m.maildir, '/') AS home, m.quota FROM mailbox m JOIN domain d ON x WHERE 1"
    )
    assert shape.columns == ("maildir", "quota")
    assert shape.tables == ("mailbox", "domain")


def test_corpus_iredmail_dovecot_sql(corpus: HostRoot) -> None:
    r = read_sql_lookup(corpus, "/iRedMail/samples/dovecot/dovecot-sql.conf", "dovecot")
    assert r.default_pass_scheme is not None and r.default_pass_scheme.value == "CRYPT"
    assert (r.driver, r.dbname, r.hosts) == ("PH_SQL_DRIVER", "PH_VMAIL_DB_NAME", ("PH_SQL_SERVER_ADDRESS",))
    assert r.queries["password_query"].tables == ("mailbox", "domain")
    assert r.queries["password_query"].columns == ("password", "allow_nets")
    assert "PH_VMAIL_DB_BIND_PASSWD" not in repr(r)


def test_corpus_dovecot_core_sql_all_commented(corpus: HostRoot) -> None:
    r = read_sql_lookup(corpus, "/dovecot-core/doc/example-config/dovecot-sql.conf.ext", "dovecot")
    assert r.default_pass_scheme is None  # "#default_pass_scheme = MD5" is only a comment
    assert r.errors == () and r.settings == ()
