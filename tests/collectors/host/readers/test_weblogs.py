"""nginx/Apache access logs: personal fields and IP masking."""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.host.readers.nginx_mail import mail_proxy
from auditor.collectors.host.readers.weblogs import apache_fields, nginx_fields, read_apache, read_nginx
from auditor.collectors.host.root import HostRoot
from tests.collectors.host.conftest import write_files


def test_fixture_nginx_masked_and_combined(hostroot: HostRoot) -> None:
    cfg = read_nginx(hostroot)
    assert cfg.errors == ()
    main, webmail = cfg.access_logs
    assert (main.target, main.format_name, main.ip_masked) == ("/var/log/nginx/access.log", "anonymized", True)
    assert main.fields == ("ip-address (masked)", "url", "user-agent")
    assert str(main.source) == "/etc/nginx/nginx.conf:12"
    assert webmail.format_name == "combined" and "ip-address" in webmail.fields and not webmail.ip_masked
    assert webmail.scope == ("http", "server")
    assert [str(r) for r in cfg.disabled] == ["/etc/nginx/sites-enabled/webmail:6"]


def test_fixture_apache_formats_and_anonip(hostroot: HostRoot) -> None:
    cfg = read_apache(hostroot)
    assert cfg.errors == ()
    logs = {a.target: a for a in cfg.access_logs}
    assert logs["/var/log/apache2/access.log"].fields == ("ip-address", "user-name", "url", "referer", "user-agent")
    anon = logs["|/usr/bin/anonip --output /var/log/apache2/anon.log"]
    assert anon.ip_masked and anon.fields[0] == "ip-address (masked)"
    assert logs["/var/log/apache2/noip.log"].fields == ("url",)


def test_field_extraction() -> None:
    assert nginx_fields("$binary_remote_addr $http_referer")[0] == ("ip-address", "referer")
    assert apache_fields('%a "%{User-agent}i" %>s %U%q') == ("ip-address", "user-agent", "url")


def test_corpus_mailcow_nginx_logs_ip(corpus: HostRoot) -> None:
    cfg = read_nginx(corpus, "/mailcow-dockerized/data/conf/nginx/templates/nginx.conf.j2")
    first = cfg.access_logs[0]
    assert (first.target, first.format_name, first.source.line) == ("/var/log/nginx/access.log", "main", 22)
    assert "ip-address" in first.fields and "user-agent" in first.fields and not first.ip_masked
    assert all("not found" in e for e in cfg.errors)  # includes point at files outside this snapshot


def test_corpus_iredmail_placeholder_target(corpus: HostRoot) -> None:
    cfg = read_nginx(corpus, "/iRedMail/samples/nginx/conf-available/log.conf")
    assert [(a.target, a.format_name) for a in cfg.access_logs] == [("PH_NGINX_LOG_ACCESSLOG", "combined")]


def test_corpus_mailinabox_no_access_log_directive(corpus: HostRoot) -> None:
    cfg = read_nginx(corpus, "/mailinabox/conf/nginx-ssl.conf")
    assert cfg.errors == () and cfg.access_logs == ()  # nginx/distribution defaults apply


def test_vhost_fragments_without_nginx_conf(tmp_path: Path) -> None:
    """A configuration repository with vhosts only: enabled sites win over available ones, conf.d is read,
    a mail fragment is read in the mail context, and includes of files the snapshot lacks are no error."""
    root = write_files(
        tmp_path,
        {
            "/etc/nginx/sites-available/old": "server { access_log /var/log/nginx/old.log; }\n",
            "/etc/nginx/sites-enabled/web": (
                "server { include snippets/tls.conf; access_log /var/log/nginx/web.log; }\n"
            ),
            "/etc/nginx/conf.d/mail.conf": "server { listen 143; protocol imap; starttls only; }\n",
        },
    )
    cfg = read_nginx(root)
    assert [log.target for log in cfg.access_logs] == ["/var/log/nginx/web.log"] and cfg.errors == ()
    servers = mail_proxy(cfg)
    assert servers is not None and [(s.protocol, s.listens) for s in servers] == [("imap", ("143",))]
