"""Discovery and the mail-DNS collector against the lab's real authoritative DNS and nginx."""

from __future__ import annotations

from auditor.collectors.discovery import discover
from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.collectors.https import fetch
from auditor.collectors.mail_dns import collect_mail_dns, policy_url
from auditor.messages import render


def client(lab) -> DnsClient:  # type: ignore[no-untyped-def]
    return DnsClient(ResolverSpec.parse(lab.resolver), timeout=2, lifetime=4)


def test_mx_in_preference_order_with_addresses_and_srv_endpoints(lab) -> None:  # type: ignore[no-untyped-def]
    found = discover("good.lab.test", client(lab))
    assert [(h.preference, h.name) for h in found.mx_hosts] == [(10, "mx1.good.lab.test"), (20, "mx2.good.lab.test")]
    assert all(h.addresses == ("127.0.25.1",) for h in found.mx_hosts)
    by_proto = {(e.proto, e.port): e for e in found.endpoints}
    assert {
        ("smtp", 25),
        ("submission", 587),
        ("submissions", 465),
        ("imap", 143),
        ("imaps", 993),
        ("pop3", 110),
        ("pop3s", 995),
    } <= set(by_proto)
    assert by_proto[("submissions", 465)].tls == "implicit" and by_proto[("imap", 143)].tls == "starttls"
    assert found.fatal is None and not found.null_mx and not found.implicit_mx


def test_null_mx_and_implicit_mx(lab) -> None:  # type: ignore[no-untyped-def]
    null = discover("nullmx.lab.test", client(lab))
    assert null.null_mx and null.mx_hosts == () and null.fatal is None
    implicit = discover("implicit.lab.test", client(lab))
    assert implicit.implicit_mx and [h.name for h in implicit.mx_hosts] == ["implicit.lab.test"]


def test_nxdomain_is_fatal_with_reason(lab) -> None:  # type: ignore[no-untyped-def]
    found = discover("nothere.lab.test", client(lab))
    assert found.mx.status == "nxdomain" and "NXDOMAIN" in render(found.fatal or "", "en")


def test_user_service_is_added(lab) -> None:  # type: ignore[no-untyped-def]
    found = discover("good.lab.test", client(lab), ["mail.good.lab.test:8443/https"])
    extra = [e for e in found.endpoints if e.source == "user"]
    assert [(e.host, e.port, e.proto, e.addresses) for e in extra] == [
        ("mail.good.lab.test", 8443, "https", ("127.0.25.1",))
    ]


def test_policy_fetch_uses_our_resolver_and_validates_certificates(lab) -> None:  # type: ignore[no-untyped-def]
    dns = client(lab)
    good = fetch(policy_url("good.lab.test"), dns, ca_file=str(lab.ca_file))
    assert good.ok and good.peer_address == lab.web_ip and "mode: enforce" in (good.body or "")
    assert fetch(policy_url("expired.lab.test"), dns, ca_file=str(lab.ca_file)).error_kind == "cert-expired"
    assert fetch(policy_url("untrusted.lab.test"), dns, ca_file=str(lab.ca_file)).error_kind == "cert-untrusted"
    # Without the test CA the lab's certificates are not trusted: validation is really on.
    assert fetch(policy_url("good.lab.test"), dns).error_kind == "cert-untrusted"
    dead = fetch(policy_url("dead.lab.test"), dns, ca_file=str(lab.ca_file), timeout=3)
    assert not dead.ok and dead.error_kind in ("connect", "timeout")


def test_mail_dns_collects_raw_records(lab) -> None:  # type: ignore[no-untyped-def]
    collected = collect_mail_dns("good.lab.test", client(lab), ca_file=str(lab.ca_file))
    assert collected.mta_sts_record.records[0].startswith("v=STSv1")
    assert collected.spf_record.records == ("v=spf1 mx -all",)
    assert collected.dmarc_record.ok and collected.tlsrpt_record.ok
    assert collected.mta_sts_policy is not None and collected.mta_sts_policy.ok
    missing = collect_mail_dns("nomtasts.lab.test", client(lab), ca_file=str(lab.ca_file))
    assert missing.mta_sts_record.status in ("nxdomain", "nodata") and missing.mta_sts_policy is None
