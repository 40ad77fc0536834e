"""TLSA lookups with our own DNSSEC validation against the lab's DNS tree.

The lab has a root of its own (Knot, 127.0.53.1) delegating lab.test (signed, with DS),
plain.test (unsigned) and bogus.test (signed, but the root's DS matches none of its
keys), and two recursive resolvers (unbound): one validating from the lab root
(127.0.53.2), one not validating (127.0.53.3). The matrix: resolver x anchor x zone.
Without the lab root's anchor nothing can be validated (the built-in anchors are the
public root's), which must be ``indeterminate`` with the reason, never a verdict.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.collectors.dane import collect_dane
from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.collectors.dnssec import TrustAnchor, TrustAnchorError, check_name, validator_for
from auditor.evidence.network import MxHost
from auditor.messages import render

SIGNED, UNSIGNED, BOGUS = "mx.clean.lab.test", "mx1.plain.test", "mx.bogus.test"
WITH_ANCHOR = {SIGNED: "secure", UNSIGNED: "insecure", BOGUS: "bogus"}


def lookups(resolver: str, anchor: Path | None) -> dict[str, object]:
    client = DnsClient(ResolverSpec.parse(resolver))
    found = collect_dane([MxHost(h, 10) for h in WITH_ANCHOR], client, trust_anchor=anchor)
    return {d.mx_host: d for d in found}


@pytest.mark.parametrize("which", ["validating", "plain"])
def test_lab_root_anchor_gives_the_real_verdicts(lab, which: str) -> None:  # type: ignore[no-untyped-def]
    found = lookups(lab.data["resolvers"][which], Path(lab.data["root_trust_anchor"]))
    states = {host: (d.dnssec, render(d.validation, "en")) for host, d in found.items()}  # type: ignore[attr-defined]
    assert {host: state for host, (state, _) in states.items()} == WITH_ANCHOR, states
    signed = found[SIGNED]
    assert signed.answer.ok and signed.answer.records[0].startswith("3 1 1 ")  # type: ignore[attr-defined]
    assert "no DS" in states[UNSIGNED][1] and "plain.test" in states[UNSIGNED][1]
    assert "bogus.test" in states[BOGUS][1]
    if which == "validating":  # the resolver's AD bit is mentioned, never relied on
        assert "AD bit" in states[SIGNED][1]


@pytest.mark.parametrize("which", ["validating", "plain"])
def test_without_the_anchor_nothing_is_judged(lab, which: str) -> None:  # type: ignore[no-untyped-def]
    # A private tree behind a (validating or not) resolver: the built-in root anchors do
    # not match its root, so every answer is indeterminate, naming why -- even where the
    # validating resolver sets AD.
    for host, lookup in lookups(lab.data["resolvers"][which], None).items():
        assert lookup.dnssec == "indeterminate", (host, lookup)  # type: ignore[attr-defined]
        assert "--trust-anchor" in render(lookup.validation, "en"), (host, lookup)  # type: ignore[attr-defined]


def test_zone_anchor_against_the_authoritative_server(lab) -> None:  # type: ignore[no-untyped-def]
    # An anchor for lab.test alone lets us ask Knot directly (no recursion needed).
    client = DnsClient(ResolverSpec.parse(lab.resolver))
    hosts = [MxHost("mx.clean.lab.test", 10), MxHost("mx1.good.lab.test", 10)]
    clean, good = collect_dane(hosts, client, trust_anchor=lab.trust_anchor)
    assert clean.answer.ok and clean.answer.records[0].startswith("3 1 1 ") and clean.dnssec == "secure"
    assert good.answer.status in ("nxdomain", "nodata") and good.dnssec == "secure"


def test_wrong_anchor_makes_answers_bogus(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wrong = tmp_path / "wrong.ds"
    wrong.write_text("lab.test. 300 IN DS 4444 13 2 " + "00" * 32 + "\n")
    [clean] = collect_dane(
        [MxHost("mx.clean.lab.test", 10)], DnsClient(ResolverSpec.parse(lab.resolver)), trust_anchor=wrong
    )
    assert clean.dnssec == "bogus" and "matches the trust anchor" in render(clean.validation, "en")


def test_malformed_anchor_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ds"
    bad.write_text("; comment\nlab.test. IN A 127.0.0.1\n")
    with pytest.raises(TrustAnchorError, match=r"bad.ds:2"):
        TrustAnchor.load(bad)


@pytest.mark.parametrize("with_anchor", [True, False])
def test_zone_and_mta_sts_names_get_our_verdicts(lab, with_anchor: bool) -> None:  # type: ignore[no-untyped-def]
    client = DnsClient(ResolverSpec.parse(lab.data["resolvers"]["plain"]))
    validator = validator_for(client, Path(lab.data["root_trust_anchor"]) if with_anchor else None)
    cases = {
        ("clean.lab.test", "MX"): "secure",
        ("_mta-sts.good.lab.test", "TXT"): "secure",
        ("plain.test", "MX"): "insecure",
        ("bogus.test", "MX"): "bogus",
        ("nosuchname.lab.test", "MX"): "secure",  # a signed proof of non-existence
    }
    for (name, rdtype), expected in cases.items():
        verdict = check_name(validator, name, rdtype)
        assert verdict.state == (expected if with_anchor else "indeterminate"), (name, verdict)
