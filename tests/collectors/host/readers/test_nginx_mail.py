"""nginx mail { } proxies: servers, inherited TLS settings, weak suites; graded by config.transport."""

from __future__ import annotations

from pathlib import Path

from auditor.checks.config_transport import _proxy_problems

from auditor.collectors.host.readers.nginx_mail import mail_proxy, weak_suites
from auditor.collectors.host.readers.weblogs import read_nginx
from auditor.evidence.host import MailProxyServer
from auditor.messages import render
from tests.collectors.host.conftest import write_files

CONF = """events {}
http { server { listen 80; access_log /var/log/nginx/a.log; } }
mail {
    ssl_protocols TLSv1.2 TLSv1.3;
    starttls only;
    server { listen 143; protocol imap; }
    server { listen 110; protocol pop3; starttls off; pop3_auth apop; }
    server { listen 25; protocol smtp; starttls on; }
    server { listen 993 ssl; protocol imap; ssl_protocols TLSv1.1 TLSv1.2; }
}
"""


def _servers(tmp_path: Path, text: str) -> dict[str, MailProxyServer]:
    root = write_files(tmp_path, {"/etc/nginx/nginx.conf": text})
    found = mail_proxy(read_nginx(root))
    assert found is not None
    return {f"{s.protocol}:{s.listens[0]}": s for s in found}


def test_servers_inherit_the_mail_level(tmp_path: Path) -> None:
    servers = _servers(tmp_path, CONF)
    assert set(servers) == {"imap:143", "pop3:110", "smtp:25", "imap:993 ssl"}
    assert servers["imap:143"].get("starttls").value == "only"  # type: ignore[union-attr]
    assert servers["imap:993 ssl"].get("ssl_protocols").value == "TLSv1.1 TLSv1.2"  # type: ignore[union-attr]
    assert servers["imap:143"].line == 6 and servers["imap:143"].file == "/etc/nginx/nginx.conf"
    problems = {k: [render(p[0], "en") for p in _proxy_problems(s)] for k, s in servers.items()}
    assert problems["imap:143"] == [] and problems["smtp:25"] == []  # starttls only; MX port 25
    assert problems["pop3:110"] == []  # no TLS, but APOP only: no password in the clear
    assert problems["imap:993 ssl"] == ["ssl_protocols TLSv1.1 TLSv1.2: TLSv1.1 still accepted"]


def test_no_mail_block_and_cipher_expansion(tmp_path: Path) -> None:
    assert mail_proxy(read_nginx(write_files(tmp_path, {"/etc/nginx/nginx.conf": "events {}\n"}))) is None
    assert weak_suites("HIGH:!aNULL:!MD5") == () and weak_suites("not a cipher string") == ()
    assert any(s.startswith("ADH-") for s in weak_suites("ALL"))
