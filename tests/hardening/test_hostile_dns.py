"""DNS-level hostility: huge, cut and looping answers, answers for other names, bogus DNSSEC.

A resolver (or a network path) that lies or floods must cost the audit neither its time
budget nor its memory, and must never be believed: answers for another name are not the
record asked for, a bogus signature is not a secure answer. Each case runs the CLI against
our own DNS server on 127.x (the mail ports behind it are closed, so only DNS matters).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.hardening.hostile_servers import dns_server, zone_behaviour
from tests.hardening.hostile_smtp import run_auditor

DNS_IP = "127.0.62.53"
DOMAIN = "flood.test"
MX_IP = "127.0.62.25"  # nothing listens there: connections are refused at once
ZONE = {
    (DOMAIN, "MX"): [f"10 mx.{DOMAIN}."],
    (f"mx.{DOMAIN}", "A"): [MX_IP],
    (DOMAIN, "TXT"): ['"v=spf1 -all"'],
    (f"_dmarc.{DOMAIN}", "TXT"): ['"v=DMARC1; p=reject"'],
}
BUDGET_S = 20
GRACE_S = 10.0
PEAK_RSS_MIB = 1024.0

Behaviour = Callable[[dns.message.Message], dns.message.Message | None]


def _scan(tmp_path: Path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / "r.json"
    run = run_auditor(
        ["scan", DOMAIN, "--resolver", DNS_IP, "--timeout", str(BUDGET_S), "-q", "-o", str(out), *extra],
        timeout=BUDGET_S + GRACE_S + 40,
    )
    print(f"exit {run.code}, wall {run.wall:.1f} s (--timeout {BUDGET_S}), peak RSS {run.peak_mib:.0f} MiB")
    assert run.code is not None, f"killed after {run.wall:.0f} s"
    assert run.code in (0, 1, 3, 4), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.wall < BUDGET_S + GRACE_S, f"{run.wall:.1f} s"
    assert run.peak_mib < PEAK_RSS_MIB, f"peak RSS {run.peak_mib:.0f} MiB"
    return run.code, json.loads(out.read_text())


def _findings(report: dict, check: str) -> list[dict]:
    return [f for f in report["findings"] if f["check_id"] == check]


def _flood(query: dns.message.Message) -> dns.message.Message:
    """Maximal answers: 2000 MX hosts (each with 40 addresses), 250 TXT records of 220 bytes per name (about 60 KB)."""
    response = dns.message.make_response(query)
    question = query.question[0]
    name, rdtype = question.name, dns.rdatatype.to_text(question.rdtype)
    if rdtype == "MX" and name.to_text() == f"{DOMAIN}.":
        rows = [f"{n % 100} mx{n}.{DOMAIN}." for n in range(2000)]
    elif rdtype == "A" and name.to_text().endswith(f".{DOMAIN}."):
        rows = [f"127.0.62.{n + 100}" for n in range(40)]
    elif rdtype == "TXT":
        rows = [f'"v=DMARC1; p=none; n={n}; {"x" * 200}"' for n in range(250)]
    else:
        response.set_rcode(dns.rcode.NXDOMAIN)
        return response
    response.answer.append(dns.rrset.from_text_list(name, 60, "IN", rdtype, rows))
    return response


def _udp_truncating(behaviour: Behaviour) -> Behaviour:
    def answer(query: dns.message.Message) -> dns.message.Message | None:
        response = behaviour(query)
        if response is not None and len(response.to_wire(max_size=65535)) > 1232:
            response.flags |= dns.flags.TC
            response.answer = []
        return response

    return answer


def test_huge_answers_are_bounded(tmp_path: Path) -> None:
    """Over TCP (after TC) every name answers with tens of kilobytes: the audit stays small and in time."""
    with dns_server(DNS_IP, _udp_truncating(_flood), tcp_behaviour=_flood):
        _, report = _scan(tmp_path, "--only", "dmarc.*", "--only", "starttls.offered")
    [dmarc] = _findings(report, "dmarc.policy")
    assert dmarc["status"] in ("fail", "error"), dmarc  # 250 DMARC records are no valid policy


def test_cut_off_messages_are_errors_not_crashes(tmp_path: Path) -> None:
    """Half a DNS message (over UDP and TCP): no answer is taken from it."""
    full = zone_behaviour(ZONE)

    class Cut(dns.message.Message):
        pass

    def cut(query: dns.message.Message) -> dns.message.Message | None:
        response = full(query)
        assert response is not None
        wire = response.to_wire()
        half = wire[: max(12, len(wire) // 2)]
        message = Cut()
        message.to_wire = lambda *a, **k: half  # type: ignore[method-assign]
        return message

    with dns_server(DNS_IP, cut):
        code, report = _scan(tmp_path, "--only", "dmarc.*")
    assert code == 3
    [dmarc] = _findings(report, "dmarc.policy")
    assert dmarc["status"] == "error", dmarc


def test_cname_loops_everywhere_are_bounded(tmp_path: Path) -> None:
    """Every name a CNAME to the next, the last back to the first."""
    names = [f"loop{n}.{DOMAIN}" for n in range(8)]

    def loops(query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        qname = query.question[0].name
        if qname.to_text() == f"{DOMAIN}." and query.question[0].rdtype == dns.rdatatype.MX:
            response.answer.append(dns.rrset.from_text_list(qname, 60, "IN", "MX", [f"10 {names[0]}."]))
            return response
        target = (
            names[(names.index(qname.to_text().rstrip(".")) + 1) % len(names)]
            if qname.to_text().rstrip(".") in names
            else names[0]
        )
        response.answer.append(dns.rrset.from_text_list(qname, 60, "IN", "CNAME", [f"{target}."]))
        return response

    with dns_server(DNS_IP, loops):
        _, report = _scan(tmp_path, "--only", "dmarc.*", "--only", "starttls.*")
    assert _findings(report, "dmarc.policy")[0]["status"] in ("fail", "error")
    assert not [f for f in report["findings"] if f["status"] == "pass"]


def test_answers_for_other_names_are_not_believed(tmp_path: Path) -> None:
    """The resolver answers every question with records of another name (a spoofing attempt)."""
    evil = dns.name.from_text("attacker.example.")

    def other_names(query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        rdtype = dns.rdatatype.to_text(query.question[0].rdtype)
        rows = {"MX": ["10 mx.attacker.example."], "A": ["127.0.62.66"], "TXT": ['"v=DMARC1; p=reject"']}
        if rdtype in rows:
            response.answer.append(dns.rrset.from_text_list(evil, 60, "IN", rdtype, rows[rdtype]))
        return response

    with dns_server(DNS_IP, other_names):
        _, report = _scan(tmp_path, "--only", "dmarc.*")
    [dmarc] = _findings(report, "dmarc.policy")
    assert dmarc["status"] != "pass", dmarc  # attacker.example's DMARC record is not flood.test's


def _signed_zone_behaviour(anchor_key: ec.EllipticCurvePrivateKey) -> Behaviour:
    """An apex with a real DNSKEY (the trust anchor's) whose every signature is random bytes,
    and the AD bit set: a resolver vouching for data that does not validate."""
    apex = dns.name.from_text(f"{DOMAIN}.")
    dnskey = dns.dnssec.make_dnskey(anchor_key.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257)
    tag = dns.dnssec.key_id(dnskey)
    base = zone_behaviour({**ZONE, (f"_25._tcp.mx.{DOMAIN}", "TLSA"): ["3 1 1 " + "ab" * 32]})

    def answer(query: dns.message.Message) -> dns.message.Message | None:
        question = query.question[0]
        if question.rdtype == dns.rdatatype.DNSKEY:
            response = dns.message.make_response(query)
            response.answer.append(dns.rrset.from_rdata(apex, 60, dnskey))
        else:
            response = base(query)
            if response is None:
                return None
        for rrset in list(response.answer):
            bogus = base64.b64encode(os.urandom(64)).decode()
            text = (
                f"{dns.rdatatype.to_text(rrset.rdtype)} 13 {len(rrset.name) - 1} 60 20300101000000 20200101000000 "
                f"{tag} {DOMAIN}. {bogus}"
            )
            rrsig = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.RRSIG, text)
            response.answer.append(dns.rrset.from_rdata(rrset.name, 60, rrsig))
        response.flags |= dns.flags.AD
        return response

    return answer


def test_bogus_dnssec_signatures_are_never_secure(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    dnskey = dns.dnssec.make_dnskey(key.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257)
    ds = dns.dnssec.make_ds(f"{DOMAIN}.", dnskey, "SHA256")
    anchor = tmp_path / "anchor.ds"
    anchor.write_text(f"{DOMAIN}. 3600 IN DS {ds.to_text()}\n")
    with dns_server(DNS_IP, _signed_zone_behaviour(key)):
        _, report = _scan(tmp_path, "--trust-anchor", str(anchor), "--only", "dane.*")
    dane = _findings(report, "dane.tlsa")
    assert dane, "no DANE finding"
    assert all(f["status"] != "pass" for f in dane), dane


@pytest.mark.parametrize("size", [65535])
def test_oversized_udp_datagram_is_survived(tmp_path: Path, size: int) -> None:
    """A UDP answer far above the advertised 1232-byte buffer (padded with junk records)."""

    def oversized(query: dns.message.Message) -> dns.message.Message:
        response = zone_behaviour(ZONE)(query)
        assert response is not None
        junk = [f'"{"j" * 250}"' for _ in range((size - 2000) // 260)]
        response.additional.append(dns.rrset.from_text_list(f"junk.{DOMAIN}.", 60, "IN", "TXT", junk))
        return response

    with dns_server(DNS_IP, oversized):
        _, report = _scan(tmp_path, "--only", "dmarc.*")
    assert _findings(report, "dmarc.policy")
