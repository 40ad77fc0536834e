"""SPF evaluation over recorded DNS answers: limits, targets, syntax, and the lint."""

from __future__ import annotations

from auditor.dnspolicy.spf import STRANGERS, SpfErrorKind, evaluate, is_spf, lint_record, replay
from auditor.evidence.network import DnsAnswer
from auditor.messages import render


def answers(zone: dict[tuple[str, str], tuple[str, ...]]) -> tuple[DnsAnswer, ...]:
    return tuple(DnsAnswer(name, rdtype, "ok", records=records) for (name, rdtype), records in zone.items())


def stranger(zone: dict[tuple[str, str], tuple[str, ...]]):  # type: ignore[no-untyped-def]
    return evaluate(replay(answers(zone)), ip=STRANGERS[0], domain="example.org")


def test_selection_is_exact() -> None:
    assert is_spf("v=spf1 -all") and is_spf("V=SPF1") and is_spf("v=spf1")
    assert not is_spf("v=spf10 -all") and not is_spf(" v=spf1 -all") and not is_spf("v=spf1foo")


def test_redirect_is_followed_and_its_all_counts() -> None:
    result = stranger(
        {("example.org", "TXT"): ("v=spf1 redirect=_spf.example.net",), ("_spf.example.net", "TXT"): ("v=spf1 -all",)}
    )
    assert (result.result, result.lookups) == ("fail", 1)


def test_eleven_lookups_are_a_permerror() -> None:
    zone = {("example.org", "TXT"): ("v=spf1 " + " ".join(f"a:h{i}.example.org" for i in range(11)) + " -all",)}
    zone.update({(f"h{i}.example.org", "A"): ("192.0.2.1",) for i in range(11)})
    result = stranger(zone)
    assert (result.result, result.error_kind, result.section) == (
        "permerror",
        SpfErrorKind.LOOKUP_LIMIT,
        "RFC 7208 §4.6.4",
    )


def test_three_void_lookups_are_a_permerror_but_nodata_names_must_be_recorded() -> None:
    zone = {("example.org", "TXT"): ("v=spf1 a:n1.example.org a:n2.example.org a:n3.example.org -all",)}
    voids = tuple(DnsAnswer(f"n{i}.example.org", "A", "nxdomain") for i in (1, 2, 3))
    result = evaluate(replay(answers(zone) + voids), ip=STRANGERS[0], domain="example.org")
    assert result.error_kind is SpfErrorKind.VOID_LIMIT
    # Not recorded: the check could not verify, which is a temperror, never a pass.
    assert stranger(zone).result == "temperror"


def test_include_without_record_and_syntax_errors() -> None:
    zone = {("example.org", "TXT"): ("v=spf1 include:gone.example.net -all",)}
    gone = (DnsAnswer("gone.example.net", "TXT", "nxdomain"),)
    result = evaluate(replay(answers(zone) + gone), ip=STRANGERS[0], domain="example.org")
    assert result.error_kind is SpfErrorKind.INCLUDE_NONE
    for record in (
        "v=spf1 ip4:192.0.2.4/33 -all",
        "v=spf1 a:%{?} -all",
        "v=spf1 redirect=a.example redirect=b.example",
    ):
        assert stranger({("example.org", "TXT"): (record,)}).error_kind is SpfErrorKind.SYNTAX, record


def test_mx_term_without_addresses_counts_one_void_lookup() -> None:
    zone = {
        ("example.org", "TXT"): ("v=spf1 mx -all",),
        ("example.org", "MX"): ("10 a.example.org.", "20 b.example.org.", "30 c.example.org."),
    }
    zone.update({(f"{h}.example.org", "A"): ("192.0.2.1",) for h in "abc"})
    v6 = tuple(DnsAnswer(f"{h}.example.org", "AAAA", "nodata") for h in "abc")
    result = evaluate(replay(answers(zone) + v6), ip=STRANGERS[1], domain="example.org")
    assert (result.result, result.void_lookups) == ("fail", 1)


def test_lint_flags_ptr_and_broad_ranges_only_when_they_authorise() -> None:
    notes = lint_record("v=spf1 ptr ip4:0.0.0.0/0 ip4:10.0.0.0/8 -ip4:0.0.0.0/0 ip6:2001:db8::/32 -all", "example.org")
    texts = [render(n.text, "en") for n in notes]
    assert any("§5.5" in t for t in texts)
    assert [n.severe for n in notes if "0.0.0.0/0" in render(n.text, "en")] == [True]  # the '-' one denies: fine
    assert any("10.0.0.0/8" in t for t in texts) and not any("2001:db8::/32" in t for t in texts)
