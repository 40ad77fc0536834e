"""spf.record, dmarc.policy and dmarc.reporting on evidence fixtures (no network)."""

from __future__ import annotations

import pytest

from auditor.evidence.network import DnsAnswer
from auditor.metadata import packaged_metadata
from auditor.models import Severity, Status
from auditor.registry import load_checks
from auditor.runner import evaluate
from tests.checks.evidence_factory import GOOD_SPF_LOOKUPS, evidence, mail_dns, spf_answers, txt

CHECKS = {c.meta.id: c for c in load_checks(packaged_metadata())}


def one(check_id: str, **changes):  # type: ignore[no-untyped-def]
    [finding] = evaluate([CHECKS[check_id]], evidence(mail_dns=mail_dns(**changes)))
    return finding


def spf(*records: str, lookups: tuple[DnsAnswer, ...] = GOOD_SPF_LOOKUPS):  # type: ignore[no-untyped-def]
    return one("spf.record", spf_record=txt("example.org", *records), spf_lookups=lookups)


@pytest.mark.parametrize(
    ("records", "status", "words"),
    [
        (("v=spf10 -all",), Status.FAIL, "begin with exactly 'v=spf1'"),
        (("v=spf10", "v=spf1 mx -all"), Status.PASS, "fails unlisted senders"),  # v=spf10 is not SPF: one record
        (("v=spf1 ip4:192.0.2.4/33 -all",), Status.FAIL, "permerror (RFC 7208 §4.6)"),
        (("v=spf1 mx foo:bar -all",), Status.FAIL, "permerror"),
        (("v=spf1 redirect=a.example redirect=b.example",), Status.FAIL, "permerror"),
        (("v=spf1 ip4:0.0.0.0/0 -all",), Status.FAIL, "like +all"),
        (("v=spf1 +all",), Status.FAIL, "is pass"),
        (("v=spf1 ptr mx -all",), Status.WARN, "§5.5"),
        (("v=spf1 mx ~all",), Status.WARN, "softfail"),
        (("site-verification=x", "v=spf1 mx -all"), Status.PASS, "fails unlisted senders"),
    ],
)
def test_spf_grades(records: tuple[str, ...], status: Status, words: str) -> None:
    ptr = spf_answers(
        ("254.100.51.198.in-addr.arpa", "PTR", ()),
        ("e.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "PTR", ()),
    )
    lookups = (*GOOD_SPF_LOOKUPS, *ptr)
    finding = spf(*records, lookups=lookups)
    assert finding.status == status and words in finding.detail, finding.detail


def test_spf_redirect_target_decides() -> None:
    redirect = spf_answers(("_spf.example.net", "TXT", ("v=spf1 -all",)))
    assert spf("v=spf1 redirect=_spf.example.net", lookups=redirect).status == Status.PASS
    soft = spf_answers(("_spf.example.net", "TXT", ("v=spf1 ~all",)))
    assert spf("v=spf1 redirect=_spf.example.net", lookups=soft).status == Status.WARN


def test_spf_lookup_limit_and_void_limit_fail_high() -> None:
    names = [f"h{i}.example.org" for i in range(11)]
    lookups = spf_answers(*((n, "A", ("192.0.2.1",)) for n in names), *((n, "AAAA", ()) for n in names))
    finding = spf("v=spf1 " + " ".join(f"a:{n}" for n in names) + " -all", lookups=lookups)
    assert (finding.status, finding.severity) == (Status.FAIL, Severity.HIGH)
    assert "§4.6.4" in finding.detail and "DMARC" in finding.detail


def test_spf_unrecorded_lookup_is_error_not_pass() -> None:
    finding = spf("v=spf1 include:_spf.example.net -all", lookups=())
    assert finding.status == Status.ERROR and "temperror" in finding.detail


def dmarc(*records: str, **changes):  # type: ignore[no-untyped-def]
    return one("dmarc.policy", dmarc_record=txt("_dmarc.example.org", *records), **changes)


@pytest.mark.parametrize(
    ("records", "status", "words"),
    [
        (("v=DMARC1 ; p = reject",), Status.PASS, "p=reject"),
        ((" v=DMARC1; p=reject",), Status.FAIL, "apply no DMARC policy"),
        (("v=dmarc1; p=reject",), Status.FAIL, "exactly v=DMARC1"),
        (("v=DMARC10; p=reject",), Status.FAIL, "exactly v=DMARC1"),
        (("v=DMARC1; p=reject; p=none",), Status.FAIL, "given 2 times"),
        (("v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.org",), Status.FAIL, "as if the record said p=none"),
        (("v=DMARC1; p=reject; pct=150",), Status.WARN, "pct='150'"),
        (("v=DMARC1; p=reject; pct=abc",), Status.WARN, "§6.3"),
        (("v=DMARC1; p=reject; sp=none",), Status.WARN, "sp=none"),
        (("v=DMARC1; p=reject; np=none",), Status.WARN, "np=none"),
        (("v=DMARC1; p=reject; t=y",), Status.WARN, "t=y"),
        (("v=DMARC1; p=none",), Status.WARN, "only monitors"),
    ],
)
def test_dmarc_grades(records: tuple[str, ...], status: Status, words: str) -> None:
    finding = dmarc(*records)
    assert finding.status == status and words in finding.detail, finding.detail


def test_dmarc_inherits_the_organizational_domains_record() -> None:
    org = txt("_dmarc.example.org", "v=DMARC1; p=none; sp=reject")
    finding = evaluate(
        [CHECKS["dmarc.policy"]],
        evidence(
            target=evidence().target.__class__(domain="shop.example.org"),
            mail_dns=mail_dns(
                dmarc_record=txt("_dmarc.shop.example.org"), dmarc_org_domain="example.org", dmarc_org_record=org
            ),
        ),
    )[0]
    assert finding.status == Status.PASS and "inherited from the organizational domain example.org" in finding.detail
    assert "p=reject" in finding.detail  # sp= applies to the subdomain (§6.6.3 step 3)


def test_dmarc_without_own_or_org_record_fails() -> None:
    finding = dmarc(dmarc_org_domain="example.com", dmarc_org_record=txt("_dmarc.example.com"))
    assert finding.status == Status.FAIL and "organizational domain" in finding.detail


def reporting(rua: str, auth: tuple[DnsAnswer, ...]):  # type: ignore[no-untyped-def]
    return one(
        "dmarc.reporting",
        dmarc_record=txt("_dmarc.example.org", f"v=DMARC1; p=reject; rua={rua}"),
        dmarc_report_auth=auth,
    )


def test_dmarc_external_rua_needs_authorization() -> None:
    name = "example.org._report._dmarc.reports.example.net"
    assert reporting("mailto:d@reports.example.net", (txt(name, "v=DMARC1"),)).status == Status.PASS
    unauthorized = reporting("mailto:d@reports.example.net", (txt(name),))
    assert unauthorized.status == Status.FAIL and "§7.1" in unauthorized.detail
    failed = DnsAnswer(name, "TXT", "timeout", error="DNS timeout")
    assert reporting("mailto:d@reports.example.net", (failed,)).status == Status.ERROR
    assert reporting("mailto:d@example.org", ()).status == Status.PASS  # inside the organization
    assert reporting("bogus", ()).status == Status.WARN


def test_record_text_in_a_finding_carries_no_control_characters() -> None:
    finding = spf("v=spf1 ip4:192.0.2.1 \x1b[2J\x07 -all")
    assert finding.status == Status.FAIL and "\\x1b" in finding.detail
    assert not any(ord(c) < 32 for c in finding.detail)
