"""TLSA lookups with DNSSEC validation against the lab's signed zone and its trust anchor."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.collectors.dane import collect_dane
from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.collectors.dnssec import TrustAnchor, TrustAnchorError
from auditor.evidence.network import MxHost


def test_signed_tlsa_is_secure_with_the_anchor_and_insecure_without(lab) -> None:  # type: ignore[no-untyped-def]
    client = DnsClient(ResolverSpec.parse(lab.resolver))
    hosts = [MxHost("mx.clean.lab.test", 10), MxHost("mx1.good.lab.test", 10)]
    clean, good = collect_dane(hosts, client, trust_anchor=lab.trust_anchor)
    assert clean.answer.ok and clean.answer.records[0].startswith("3 1 1 ") and clean.dnssec == "secure"
    assert good.answer.status in ("nxdomain", "nodata") and good.dnssec == "secure"
    [unvalidated] = collect_dane(hosts[:1], client)
    assert unvalidated.dnssec == "insecure"  # the lab server is authoritative only: no AD bit


def test_wrong_anchor_makes_answers_bogus(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wrong = tmp_path / "wrong.ds"
    wrong.write_text("lab.test. 300 IN DS 4444 13 2 " + "00" * 32 + "\n")
    [clean] = collect_dane(
        [MxHost("mx.clean.lab.test", 10)], DnsClient(ResolverSpec.parse(lab.resolver)), trust_anchor=wrong
    )
    assert clean.dnssec == "bogus" and "matches the trust anchor" in clean.validation


def test_malformed_anchor_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ds"
    bad.write_text("; comment\nlab.test. IN A 127.0.0.1\n")
    with pytest.raises(TrustAnchorError, match=r"bad.ds:2"):
        TrustAnchor.load(bad)
