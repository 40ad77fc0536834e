"""Template recognition on real configuration files (the shared corpus, read in place) and minimal ones."""

from __future__ import annotations

import time

import pytest

from auditor.collectors.host.root import HostRoot
from auditor.collectors.host.templates import has_placeholder, scan

TEMPLATES = {
    "/yunohost/conf/postfix/main.cf": "jinja-go",
    "/yunohost/conf/dovecot/dovecot.conf": "jinja-go",
    "/puppet-dovecot/templates/conf.d/10-ssl.conf.erb": "erb",
    "/sous-chefs-postfix/templates/master.cf.erb": "erb",
    "/debops/ansible/roles/dovecot/templates/etc/dovecot/dovecot-sql.conf.ext.j2": "jinja-go",
    "/bokysan-docker-postfix/helm/mail/templates/configmap-metrics.yaml": "jinja-go",
    "/iRedMail/samples/postfix/main.cf": "installer",
    "/rsnapshot/rsnapshot.conf.default.in": "autoconf",
    "/restic-automatic-backup-scheduler/etc/restic/default.env.sh": "jinja-go",
}
PLAIN = (
    "/mailcow-dockerized/data/conf/postfix/main.cf",
    "/mailcow-dockerized/data/conf/dovecot/dovecot.conf",
    "/docker-mailserver/target/postfix/master.cf",
    "/dovecot-core/doc/example-config/conf.d/10-logging.conf",
    "/dovecot-core/doc/example-config/dovecot-sql.conf.ext",
    "/debian-rsyslog/ouvrages-rsyslog/debian/rsyslog.conf",
    "/roundcubemail/config/defaults.inc.php",
    "/alpine-aports/main/logrotate/logrotate.conf",
)
_DOVECOT = frozenset({"hiera"})


@pytest.mark.parametrize(("path", "language"), sorted(TEMPLATES.items()))
def test_templates_of_every_family_are_recognised(corpus: HostRoot, path: str, language: str) -> None:
    got = corpus.read_text(path)
    assert got.text is not None
    found = scan(path, got.text)
    assert found is not None and language in found.languages and found.placeholders >= 1
    assert corpus.templates[path] == found  # noted by the root when read


@pytest.mark.parametrize("path", PLAIN)
def test_rendered_configs_are_not_templates(corpus: HostRoot, path: str) -> None:
    got = corpus.read_text(path, native=_DOVECOT if "dovecot" in path else frozenset())
    assert got.text is not None
    assert scan(path, got.text, _DOVECOT if "dovecot" in path else frozenset()) is None
    assert path not in corpus.templates


def test_branches_and_loops_are_template_logic() -> None:
    text = (
        "a = 1\n{% if x %}\nb = 2\n{% else %}\nb = 3\n{% endif %}\n"
        "<% @list.each do |item| -%>\nc = <%= item %>\n<% end -%>\n{{ if .Values.on }}\nd = 4\n{{ end }}\ne = 5\n"
    )
    found = scan("/f", text)
    assert found is not None and set(found.languages) == {"erb", "jinja-go"}
    assert [found.in_logic(n) for n in range(1, 14)] == [False] + [True] * 11 + [False]


def test_placeholder_shapes_and_what_formats_use_natively() -> None:
    for value in (
        "{{ main_domain }}",
        "<%= @ssl_protocols %>",
        "@sysconfdir@/x",
        "PH_HOSTNAME",
        "${MAIL_DOMAIN}",
        "${DB:-mail}",
        "%{facts.fqdn}",
        "${cfg.backup.retain}",
    ):
        assert has_placeholder(value), value
    for value in (
        "$myhostname, localhost.$mydomain",
        "${data_directory}/smtpd_scache",
        "%u",
        "/var/log/mail.log",
        "btree:${data_directory}/x",
        "$remote_addr - $remote_user",
        "postmaster@example.org",
    ):
        assert not has_placeholder(value), value
    assert not has_placeholder("/home/%{user | domain}", frozenset({"hiera"}))  # Dovecot 2.4 variable
    assert not has_placeholder("${APACHE_LOG_DIR}/access.log", frozenset({"envsubst"}))  # Apache envvars


@pytest.mark.parametrize("unit", ["{{", "{%", "<%", "${A:-", "${a.", "@a", "%{a"])
def test_a_hostile_line_of_openers_is_scanned_in_linear_time(unit: str) -> None:
    """A megabyte of one placeholder opener without its closer: every shape stops at the next
    opener and after a bounded body, so the scan stays linear (a lazy ``.*?`` or an unbounded
    ``[^}]*`` rescans the rest of the line from every opener: hours on this line)."""
    line = unit * ((1 << 20) // len(unit))
    started = time.monotonic()
    scan("hostile.cf", line)
    assert time.monotonic() - started < 10.0
