"""Client-side discovery parsers: autoconfig, Autodiscover, webmail hosts in a statement."""

from __future__ import annotations

from auditor.collectors.clientconfig import (
    merge_endpoints,
    parse_autoconfig,
    parse_autodiscover,
    statement_webmail_hosts,
)
from auditor.evidence.network import Endpoint

AUTOCONFIG = """<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="example.org">
  <incomingServer type="imap"><hostname>imap.%EMAILDOMAIN%</hostname><port>993</port>
    <socketType>SSL</socketType></incomingServer>
  <incomingServer type="pop3"><hostname>pop.example.org</hostname><port>110</port>
    <socketType>STARTTLS</socketType></incomingServer>
  <outgoingServer type="smtp"><hostname>SMTP.example.org</hostname><port>587</port>
    <socketType>plain</socketType></outgoingServer>
  <incomingServer type="exchange"><hostname>ews.example.org</hostname><port>443</port></incomingServer>
</emailProvider></clientConfig>"""

AUTODISCOVER = """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
  <Account><Protocol><Type>IMAP</Type><Server>mail.example.org</Server><Port>993</Port><SSL>on</SSL></Protocol>
   <Protocol><Type>SMTP</Type><Server>mail.example.org</Server><Port>587</Port><SSL>on</SSL>
     <Encryption>TLS</Encryption></Protocol>
   <Protocol><Type>EXCH</Type><Server>x</Server></Protocol></Account></Response></Autodiscover>"""


def test_autoconfig_servers_with_placeholders_and_socket_types() -> None:
    assert parse_autoconfig(AUTOCONFIG, "example.org") == [
        ("imap.example.org", 993, "imaps", "implicit", "socketType SSL"),
        ("pop.example.org", 110, "pop3", "starttls", "socketType STARTTLS"),
        ("smtp.example.org", 587, "submission", "starttls", "socketType PLAIN"),
    ]


def test_autodiscover_protocols_implicit_by_port_or_encryption() -> None:
    assert parse_autodiscover(AUTODISCOVER) == [
        ("mail.example.org", 993, "imaps", "implicit", "SSL on, Encryption (none)"),
        ("mail.example.org", 587, "submission", "starttls", "SSL on, Encryption TLS"),
    ]


def test_garbage_and_entity_tricks_give_nothing() -> None:
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaa">]><clientConfig>&a;</clientConfig>'
    for text in ("", "not xml <", bomb, "<html><body>404</body></html>"):
        assert parse_autoconfig(text, "example.org") == [] and parse_autodiscover(text) == []


def test_statement_names_webmail_in_the_domain_or_by_address() -> None:
    text = (
        "Unsere Homepage https://www.example.org/ nutzt Cookies. Sie erreichen Ihr Postfach ueber "
        "unser Webmail (Roundcube) unter https://webmail.example.org/ oder intern unter https://192.0.2.7/mail. "
        "Dienstleister: https://tracker.other.example/."
    )
    hosts = dict(statement_webmail_hosts(text, "example.org"))
    assert set(hosts) == {"www.example.org", "webmail.example.org", "192.0.2.7"}
    assert "Roundcube" in hosts["webmail.example.org"]
    assert statement_webmail_hosts("Webmail: https://webmail.example.org/", "other.example") == []
    assert statement_webmail_hosts("Our site https://www.example.org/ sets no cookies.", "example.org") == []
    # A host named webmail is a webmail word of its own.
    assert [h for h, _ in statement_webmail_hosts("See https://webmail.example.org/.", "example.org")] == [
        "webmail.example.org"
    ]


def test_merge_keeps_the_first_source_of_an_endpoint() -> None:
    srv = Endpoint("mail.example.org", 993, "imaps", "implicit", "srv")
    same = Endpoint("mail.example.org", 993, "imaps", "implicit", "autoconfig", via="https://autoconfig...")
    new = Endpoint("mail.example.org", 465, "submissions", "implicit", "autodiscover")
    assert merge_endpoints([srv], [same, new, new]) == (srv, new)
