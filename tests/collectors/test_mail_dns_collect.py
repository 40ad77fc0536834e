"""The mail-DNS collector's follow-up lookups: SPF walk, DMARC fallback, report authorizations.

A stand-in for the scan's DNS client answers from a table and records every question, so
the tests see exactly what is looked up (and that it is looked up once).
"""

from __future__ import annotations

from auditor.collectors.dnsclient import DnsClient
from auditor.collectors.mail_dns import dmarc_fallback, organizational_domain, report_authorizations, spf_lookups
from auditor.deadline import Deadline
from auditor.evidence.network import DnsAnswer


class TableDns(DnsClient):
    def __init__(self, table: dict[tuple[str, str], tuple[str, ...]]) -> None:
        super().__init__()
        self.table = table
        self.asked: list[tuple[str, str]] = []

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        self.asked.append((name, rdtype))
        records = self.table.get((name, rdtype))
        return DnsAnswer(name, rdtype, "ok", records) if records else DnsAnswer(name, rdtype, "nxdomain")


def test_spf_walk_records_every_answer_the_evaluation_needs_once() -> None:
    dns = TableDns(
        {
            ("_spf.example.net", "TXT"): ("v=spf1 ip4:192.0.2.0/24 include:_v6.example.net -all",),
            ("_v6.example.net", "TXT"): ("v=spf1 ip6:2001:db8:1::/48 -all",),
        }
    )
    apex = DnsAnswer("example.org", "TXT", "ok", ("v=spf1 include:_spf.example.net -all",))
    recorded = spf_lookups("example.org", apex, dns, Deadline.after(10))
    assert {(a.name, a.rdtype) for a in recorded} == {("_spf.example.net", "TXT"), ("_v6.example.net", "TXT")}
    assert len(dns.asked) == len(set(dns.asked))  # both address families, each name asked once


def test_spf_walk_stops_at_the_deadline() -> None:
    apex = DnsAnswer("example.org", "TXT", "ok", ("v=spf1 include:_spf.example.net -all",))
    recorded = spf_lookups("example.org", apex, TableDns({}), Deadline(0.0))
    assert [a.status for a in recorded] == ["timeout"]


def test_organizational_domain_comes_from_the_public_suffix_list() -> None:
    assert organizational_domain("mail.shop.example.co.uk") == "example.co.uk"
    assert organizational_domain("example.org") == "example.org"


def test_dmarc_fallback_only_without_an_own_record() -> None:
    dns = TableDns({("_dmarc.example.co.uk", "TXT"): ("v=DMARC1; p=reject",)})
    own_missing = DnsAnswer("_dmarc.shop.example.co.uk", "TXT", "nxdomain")
    org, answer = dmarc_fallback("shop.example.co.uk", own_missing, dns)
    assert org == "example.co.uk" and answer is not None and answer.records == ("v=DMARC1; p=reject",)
    own = DnsAnswer("_dmarc.shop.example.co.uk", "TXT", "ok", ("v=DMARC1; p=none",))
    assert dmarc_fallback("shop.example.co.uk", own, dns)[1] is None
    timeout = DnsAnswer("_dmarc.shop.example.co.uk", "TXT", "timeout", error="timeout")
    assert dmarc_fallback("shop.example.co.uk", timeout, dns)[1] is None  # the failure is reported, not masked


def test_report_authorization_asked_for_external_destinations_only() -> None:
    dns = TableDns({})
    own = DnsAnswer(
        "_dmarc.example.org",
        "TXT",
        "ok",
        ("v=DMARC1; p=reject; rua=mailto:a@example.org,mailto:b@reports.example.net; ruf=mailto:c@mx.example.org",),
    )
    report_authorizations("example.org", own, "example.org", None, dns)
    assert dns.asked == [("example.org._report._dmarc.reports.example.net", "TXT")]
