"""Our DNSSEC walk on an in-memory signed tree (no network): DS -> DNSKEY -> RRSIG.

A fake resolver answers from zones signed here with dnspython: a root delegating
``signed.example`` (DS), ``plain.example`` (signed proof of no DS) and ``bogus.example``
(a DS matching none of its keys). The same answers are then tampered with or stripped
to check that the walk says ``bogus`` or ``indeterminate`` and never ``secure``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.rrset
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from auditor.collectors.dnssec import ChainValidator, TrustAnchor, anchors_with, root_anchors
from auditor.messages import render

TLSA_NAME = "_25._tcp.mx.signed.example."
PIN = "3 1 1 " + "ab" * 32


@dataclass
class Zone:
    origin: dns.name.Name
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    @property
    def dnskey(self) -> dns.rdata.Rdata:
        return dns.dnssec.make_dnskey(self.key.public_key(), "ECDSAP256SHA256", flags=257)

    def signed(self, name: str, rdtype: str, *rdatas: str) -> list[dns.rrset.RRset]:
        rrset = dns.rrset.from_text(name, 300, "IN", rdtype, *rdatas)
        return self.sign(rrset)

    def sign(self, rrset: dns.rrset.RRset, key: ec.EllipticCurvePrivateKey | None = None) -> list[dns.rrset.RRset]:
        dnskey = dns.dnssec.make_dnskey((key or self.key).public_key(), "ECDSAP256SHA256", flags=257)
        sig = dns.dnssec.sign(rrset, key or self.key, self.origin, dnskey, lifetime=3600)
        return [rrset, dns.rrset.from_rdata(rrset.name, 300, sig)]

    def keyset(self) -> list[dns.rrset.RRset]:
        return self.sign(dns.rrset.from_rdata(self.origin, 300, self.dnskey))

    def ds(self) -> str:
        return dns.dnssec.make_ds(self.origin, self.dnskey, "SHA256").to_text()

    def nsec(self, owner: str, types: str) -> list[dns.rrset.RRset]:
        return self.signed(owner, "NSEC", f"{dns.name.from_text('zzz', self.origin)} {types}")


class Tree:
    """The zones and the answers a (non-validating, DO-honouring) resolver would give."""

    def __init__(self) -> None:
        self.root = Zone(dns.name.root)
        self.signed = Zone(dns.name.from_text("signed.example."))
        self.bogus = Zone(dns.name.from_text("bogus.example."))
        other = Zone(dns.name.from_text("bogus.example."))
        self.answers: dict[tuple[str, str], tuple[list[dns.rrset.RRset], list[dns.rrset.RRset], int]] = {
            (".", "DNSKEY"): (self.root.keyset(), [], dns.rcode.NOERROR),
            ("signed.example.", "DS"): (self.root.signed("signed.example.", "DS", self.signed.ds()), [], 0),
            ("signed.example.", "DNSKEY"): (self.signed.keyset(), [], 0),
            ("plain.example.", "DS"): ([], self.root.nsec("plain.example.", "NS RRSIG NSEC"), 0),
            ("bogus.example.", "DS"): (self.root.signed("bogus.example.", "DS", other.ds()), [], 0),
            ("bogus.example.", "DNSKEY"): (self.bogus.keyset(), [], 0),
            (TLSA_NAME, "TLSA"): (self.signed.signed(TLSA_NAME, "TLSA", PIN), [], 0),
            ("_25._tcp.mx.plain.example.", "TLSA"): (
                [dns.rrset.from_text("_25._tcp.mx.plain.example.", 300, "IN", "TLSA", PIN)],
                [],
                0,
            ),
            ("_25._tcp.mx.bogus.example.", "TLSA"): (
                self.bogus.signed("_25._tcp.mx.bogus.example.", "TLSA", PIN),
                [],
                0,
            ),
        }

    def answer(self, name: str, rdtype: str) -> dns.message.Message:
        response = dns.message.make_response(dns.message.make_query(name, rdtype, want_dnssec=True))
        found = self.answers.get((name, rdtype))
        if found is None:  # a DS query at a name that is no zone cut: NODATA, signed by its zone
            zone = self.signed if name.endswith("signed.example.") else self.root
            found = ([], zone.nsec(name, "A RRSIG NSEC") if rdtype == "DS" else [], 0)
        response.answer, response.authority = list(found[0]), list(found[1])
        response.set_rcode(found[2])
        return response


class FakeResolver(ChainValidator):
    def __init__(self, tree: Tree, anchors: tuple[TrustAnchor, ...], strip: bool = False) -> None:
        super().__init__(anchors, "192.0.2.53", 53)
        self.tree, self.strip = tree, strip

    def query(self, name: str, rdtype: str) -> dns.message.Message:
        response = self.tree.answer(name, rdtype)
        if self.strip:
            response.answer = [r for r in response.answer if r.rdtype != dns.rdatatype.RRSIG]
            response.authority = []
        return response


def anchor_of(zone: Zone) -> TrustAnchor:
    return TrustAnchor.parse(f". 300 IN DS {zone.ds()}\n", "test")


def verdict(tree: Tree, name: str, *, strip: bool = False, anchors: tuple[TrustAnchor, ...] | None = None) -> str:
    validator = FakeResolver(tree, anchors or (anchor_of(tree.root),), strip)
    result = validator.verify(validator.query(name, "TLSA"), name, "TLSA")
    return f"{result.state}: {render(result.reason, 'en')}"


@pytest.fixture(scope="module")
def tree() -> Tree:
    return Tree()


def test_signed_chain_is_secure(tree: Tree) -> None:
    assert verdict(tree, TLSA_NAME).startswith("secure: signatures verified"), verdict(tree, TLSA_NAME)


def test_proven_unsigned_delegation_is_insecure(tree: Tree) -> None:
    result = verdict(tree, "_25._tcp.mx.plain.example.")
    assert result.startswith("insecure:") and "plain.example" in result, result


def test_ds_matching_no_key_is_bogus(tree: Tree) -> None:
    result = verdict(tree, "_25._tcp.mx.bogus.example.")
    assert result.startswith("bogus:") and "bogus.example" in result, result


def test_tampered_record_is_bogus(tree: Tree) -> None:
    forged = Tree()
    forged.root, forged.signed = tree.root, tree.signed
    forged.answers = dict(tree.answers)
    rrset, sig = tree.answers[(TLSA_NAME, "TLSA")][0]
    other = dns.rrset.from_text(TLSA_NAME, 300, "IN", "TLSA", "3 1 1 " + "cd" * 32)
    forged.answers[(TLSA_NAME, "TLSA")] = ([other, sig], [], 0)
    assert verdict(forged, TLSA_NAME).startswith("bogus:"), verdict(forged, TLSA_NAME)


def test_stripping_resolver_is_indeterminate_never_a_verdict(tree: Tree) -> None:
    result = verdict(tree, TLSA_NAME, strip=True)
    assert result.startswith("indeterminate:") and "strips DNSSEC" in result, result


def test_private_root_without_its_anchor_is_indeterminate(tree: Tree) -> None:
    result = verdict(tree, TLSA_NAME, anchors=(root_anchors(),))
    assert result.startswith("indeterminate:") and "--trust-anchor" in result, result


def test_builtin_root_anchors_are_data_and_user_anchors_add_or_replace(tmp_path: Path) -> None:
    builtin = root_anchors()
    assert builtin.zone == dns.name.root and builtin.builtin and len(builtin.ds) >= 2
    zone_anchor = tmp_path / "zone.ds"
    zone_anchor.write_text("example. 300 IN DS 4444 13 2 " + "00" * 32 + "\n")
    assert [a.zone.to_text() for a in anchors_with(zone_anchor)] == [".", "example."]
    root_anchor = tmp_path / "root.ds"
    root_anchor.write_text(". 300 IN DS 4444 13 2 " + "00" * 32 + "\n")
    [only] = anchors_with(root_anchor)
    assert only.zone == dns.name.root and not only.builtin
    assert anchors_with(None) == (builtin,)


def test_ad_bit_alone_proves_nothing(tree: Tree) -> None:
    class Liar(FakeResolver):
        def query(self, name: str, rdtype: str) -> dns.message.Message:
            response = super().query(name, rdtype)
            response.flags |= dns.flags.AD
            return response

    validator = Liar(tree, (root_anchors(),))
    name = "_25._tcp.mx.bogus.example."
    assert validator.verify(validator.query(name, "TLSA"), name, "TLSA").state == "indeterminate"
