"""German reports of the mail-DNS checks speak German throughout: the problems the record
parsers find (MTA-STS, TLS-RPT, DMARC, SPF lint), the DNS answer reasons and the DNSSEC
verdicts reach findings as messages, never as English sentences."""

from __future__ import annotations

import re

import pytest

from auditor.evidence import evidence_from_json, evidence_to_json
from auditor.evidence.network import DaneLookup, DnsAnswer
from auditor.messages import render
from auditor.metadata import packaged_metadata
from auditor.models import Finding, msg
from auditor.registry import load_checks
from auditor.runner import evaluate
from tests.checks.evidence_factory import DOMAIN, discovery, evidence, mail_dns, policy_fetch, txt

CHECKS = [
    c
    for c in load_checks(packaged_metadata())
    if c.meta.id.split(".")[0] in ("mta-sts", "tls-rpt", "spf", "dmarc", "dane")
]

# Words of the English sentences the parsers and collectors used to write; none is German.
ENGLISH = re.compile(
    r"\b(the|is|are|not|receivers|senders|must|which|does|given|found|line|missing|appears|times|with|"
    r"of|to|and|or|from|has|field|exceeds|although|signed|signature|verified|proof|available|"
    r"timeout|exist|authorises|addresses|never|after|ignored|because)\b",
    re.IGNORECASE,
)


def _dmarc(*records: str):  # type: ignore[no-untyped-def]
    return evidence(mail_dns=mail_dns(dmarc_record=txt(f"_dmarc.{DOMAIN}", *records)))


def _sts(*records: str):  # type: ignore[no-untyped-def]
    return evidence(mail_dns=mail_dns(mta_sts_record=txt(f"_mta-sts.{DOMAIN}", *records)))


def _tlsrpt(*records: str):  # type: ignore[no-untyped-def]
    return evidence(mail_dns=mail_dns(tlsrpt_record=txt(f"_smtp._tls.{DOMAIN}", *records)))


def _policy(body: str):  # type: ignore[no-untyped-def]
    return evidence(mail_dns=mail_dns(mta_sts_policy=policy_fetch(body)))


def _spf(*records: str):  # type: ignore[no-untyped-def]
    return evidence(mail_dns=mail_dns(spf_record=txt(DOMAIN, *records)))


def _dane(dnssec: str, why: object, status: str = "ok"):  # type: ignore[no-untyped-def]
    name = "_25._tcp.mx1.example.org"
    error = None if status == "ok" else msg("dns.answer.timeout", name=name, rdtype="TLSA", via="system")
    answer = DnsAnswer(name, "TLSA", status, records=("3 1 1 " + "ab" * 32,) if status == "ok" else (), error=error)
    lookup = DaneLookup("mx1.example.org", name, answer, dnssec, why)  # type: ignore[arg-type]
    return evidence(discovery=discovery("mx1.example.org"), dane=(lookup,))


FIXTURES = {
    "dmarc": [
        _dmarc(),
        _dmarc("v=DMARC2; p=reject"),
        _dmarc("v=DMARC1; p=reject", "v=DMARC1; p=none"),
        _dmarc("v=DMARC1; p=bogus; rua=mailto:a@example.org"),
        _dmarc("v=DMARC1; p=bogus"),
        _dmarc("v=DMARC1; sp=none"),
        _dmarc("v=DMARC1; p=reject; p=none"),
        _dmarc("v=DMARC1; p=none; pct=200; adkim=x; fo=zz; rf=!!; ri=abc; rua=https://x.example, foo; np=bad;;"),
        _dmarc("v=DMARC1; rua=mailto:a@example.org; p=reject; aspf=r; aspf=s"),
    ],
    "mta-sts": [
        _sts(),
        _sts("v=STSv2; id=1"),
        _sts("v=STSv1; id=1", "v=STSv1; id=2"),
        _sts("v=STSv1; id=abc-def; x=1;; foo bar; id=2 "),
        _sts("v=STSv1; x = 1"),
        _sts("v=STSv1;"),
        _policy("version: STSv2\nmode: maybe\nmax_age: abc\nbroken\nversion: STSv1\n"),
        _policy("mode: enforce\nmax_age: 99999999\n"),
        _policy(""),
    ],
    "tls-rpt": [
        _tlsrpt(),
        _tlsrpt("v=TLSRPTv2; rua=mailto:a@example.org"),
        _tlsrpt("v=TLSRPTv1; rua=mailto:a@b.example", "v=TLSRPTv1; rua=mailto:c@d.example"),
        _tlsrpt("v=TLSRPTv1; rua=ftp://x, mailto:bad, https://"),
        _tlsrpt("v=TLSRPTv1"),
        _tlsrpt("v=TLSRPTv1; rua=mailto:a@example.org, ftp://x,"),
        _tlsrpt("v=TLSRPTv1; rua=mailto:a@example.org; rua=mailto:b@example.org; x y"),
    ],
    "spf": [
        _spf(),
        _spf("v=spf1 -all", "v=spf1 +all"),
        _spf("v=spf1 ip4:10.0.0.0/12 ~all"),
        _spf("v=spf1 ip6:::/0 -all"),
        _spf("v=spf1 ip4:192.0.2.1 -all ip4:192.0.2.2 redirect=other.example"),
        _spf("v=spf1 include:absent.example -all"),  # not recorded: temperror names the lookup
        evidence(
            mail_dns=mail_dns(
                spf_record=DnsAnswer(
                    DOMAIN, "TXT", "timeout", error=msg("dns.answer.timeout", name=DOMAIN, rdtype="TXT", via="system")
                )
            )
        ),
    ],
    "dane": [
        _dane(
            "bogus", msg("dnssec.bad-signature", what="_25._tcp.mx1.example.org TLSA", zone="example.org", error="x")
        ),
        _dane("indeterminate", msg("dnssec.no-anchor", name="_25._tcp.mx1.example.org")),
        _dane("insecure", msg("dnssec.unsigned", zone="mx1.example.org", parent="example.org")),
        _dane("secure", msg("dnssec.ad-bit", reason=msg("dnssec.secure", anchor=".", zone="example.org"))),
        _dane("indeterminate", "", status="timeout"),
    ],
}


def _texts(finding: Finding) -> list[str]:
    found = [finding.detail]
    for obs in finding.observations:
        if obs.label not in ("Eintrag", "TLSA") or str(obs.value).startswith(("DNS", "_")):
            found.append(f"{obs.label}: {obs.value}")
    return found


def _english(finding: Finding) -> list[str]:
    left = []
    for text in _texts(finding):
        text = re.sub(r"\b(mta-sts|dmarc|spf|tls-rpt)\.[a-z-]+", "", text)  # check ids
        for part in re.split(r"[;\n]| — |: ", text):
            part = part.strip()
            if part.startswith(("v=", "'", '"')) or ("=" in part[:12] and " " not in part):
                continue  # the record itself, quoted
            if ENGLISH.search(part):
                left.append(part)
    return left


@pytest.mark.parametrize("family", sorted(FIXTURES))
def test_german_findings_have_no_english_sentence_left(family: str) -> None:
    checks = [c for c in CHECKS if c.meta.id.startswith(family)]
    findings = [f for ev in FIXTURES[family] for f in evaluate(checks, ev, lang="de")]
    assert any(f.status.value in ("fail", "warn", "error") for f in findings)
    assert [(f.check_id, part) for f in findings for part in _english(f)] == []


@pytest.mark.parametrize("family", sorted(FIXTURES))
def test_the_same_findings_in_english_keep_their_wording(family: str) -> None:
    checks = [c for c in CHECKS if c.meta.id.startswith(family)]
    details = " ".join(f.detail for ev in FIXTURES[family] for f in evaluate(checks, ev, lang="en"))
    expected = {
        "dmarc": "receivers discard it and apply no DMARC policy (RFC 7489 §6.6.3)",
        "mta-sts": "senders must assume the domain has no MTA-STS policy (RFC 8461 §3.1)",
        "tls-rpt": "no rua= field (RFC 8460 §3 requires one): senders have nowhere to report",
        "spf": "a DNS lookup failed (DNS error for absent.example TXT: this lookup was not recorded in the evidence)",
        "dane": "signature of _25._tcp.mx1.example.org TLSA does not verify with the keys of example.org: x",
    }[family]
    assert expected in details


def test_dns_answer_and_dnssec_messages_round_trip_through_the_bundle() -> None:
    name = "_25._tcp.mx1.example.org"
    reason = msg("dnssec.ad-bit", reason=msg("dnssec.secure", anchor=".", zone="example.org"))
    answer = DnsAnswer(name, "TLSA", "nodata", error=msg("dns.answer.nodata", name=name, rdtype="TLSA"))
    ev = evidence(
        discovery=discovery("mx1.example.org"),
        dane=(DaneLookup("mx1.example.org", name, answer, "secure", reason),),
        mail_dns=mail_dns(spf_record=DnsAnswer(DOMAIN, "TXT", "error", error="an old bundle's plain reason")),
    )
    back = evidence_from_json(evidence_to_json(ev))
    assert back == ev
    assert back.dane[0].validation == reason and back.dane[0].answer.error == answer.error
    assert back.mail_dns is not None and back.mail_dns.spf_record.error == "an old bundle's plain reason"
    german = render(back.dane[0].validation, "de")
    assert "Vertrauensanker" in german and "AD-Bit" in german
