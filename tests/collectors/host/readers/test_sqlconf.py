"""SQL lookup files: connection target kept, password dropped, query shape read."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.host.readers.sqlconf import query_shape, read_sql_lookup
from auditor.collectors.host.root import HostRoot


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


CONNECT_FORMS = {
    # the whole value in double quotes, libpq single quotes inside (the form Dovecot docs and entrypoints write)
    "connect = \"host=db.internal dbname=vmail user=dovecot password='pa ss\\'w0rd'\"": (
        "db.internal",
        "vmail",
        "dovecot",
        None,
    ),
    # the whole value in single quotes
    "connect = 'host=10.0.0.5 port=5433 dbname=mail user=mailreader password=zz9'": (
        "10.0.0.5",
        "mail",
        "mailreader",
        "5433",
    ),
    # libpq allows spaces around '=' and quoted values with spaces
    "connect = host = localhost dbname = 'mail db' user = 'mail user' password = 'p w'": (
        "localhost",
        "mail db",
        "mail user",
        None,
    ),
    # MySQL failover: several host= values, a Unix socket as host
    "connect = host=/run/mysqld/mysqld.sock host=db2 dbname=postfix user=postfix password=secretpw": (
        "/run/mysqld/mysqld.sock",
        "postfix",
        "postfix",
        None,
    ),
}


def test_connect_strings_in_every_quoting_form(tmp_path: Path) -> None:
    for line, (host, dbname, user, port) in CONNECT_FORMS.items():
        (tmp_path / "sql.conf").write_text(f"driver = pgsql\n{line}\n")
        r = read_sql_lookup(HostRoot(tmp_path), "/sql.conf", "dovecot")
        assert (r.hosts[0], r.dbname, r.user, r.port) == (host, dbname, user, port), line
        assert not r.errors
        text = repr(r)
        assert "pa ss" not in text and "zz9" not in text and "p w'" not in text and "secretpw" not in text
    assert r.hosts == ("/run/mysqld/mysqld.sock", "db2")


def test_quoted_sqlite_path(tmp_path: Path) -> None:
    (tmp_path / "sql.conf").write_text('driver = sqlite\nconnect = "/var/lib/mail/users db.sqlite"\n')
    assert read_sql_lookup(HostRoot(tmp_path), "/sql.conf", "dovecot").dbname == "/var/lib/mail/users db.sqlite"


def test_unquoted_connect_of_a_real_install(corpus: HostRoot) -> None:
    r = read_sql_lookup(corpus, "/mailserv/install/templates/dovecot-sql.conf", "dovecot")
    assert (r.driver, r.hosts, r.dbname, r.user) == ("mysql", ("localhost",), "mail", "postfix")
    assert r.default_pass_scheme is not None and r.default_pass_scheme.value == "PLAIN"
    assert "password=postfix" not in repr(r)
