"""Tests of the lab itself: Knot DNS, DNSSEC, the MTA-STS web server and the test CA.

The auditor's own lab tests trust these servers to present exactly one defect per
variant domain; these tests pin that down with plain dnspython and ssl, so a broken
lab shows up here and not as a puzzling auditor failure. The lab is required
(fixture ``lab``): missing servers fail, they never skip.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
from pathlib import Path

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

pytestmark = pytest.mark.lab

XSS1 = "<script>alert(1)</script>"
XSS2 = '"><img src=x onerror=alert(2)>'


def resolver(lab) -> dns.resolver.Resolver:  # type: ignore[no-untyped-def]
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [lab.resolver_host]
    res.port = lab.resolver_port
    res.lifetime = 4
    return res


def txt(lab, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """All TXT records of NAME, each with its strings joined (as SPF/DMARC readers do)."""
    answer = resolver(lab).resolve(name, "TXT")
    return sorted(b"".join(r.strings).decode() for r in answer)


def query_signed(lab, name: str, rdtype: str) -> dns.message.Message:  # type: ignore[no-untyped-def]
    """Ask the authoritative server directly with the DO bit, to get RRSIGs."""
    q = dns.message.make_query(name, rdtype, want_dnssec=True)
    q.flags &= ~dns.flags.RD
    return dns.query.tcp(q, lab.resolver_host, port=lab.resolver_port, timeout=4)


def https_get(lab, host: str, path: str = "/.well-known/mta-sts.txt", ip: str | None = None) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """GET https://HOST/PATH from the lab web server with SNI=HOST, verified against ca_file.

    Returns (status line + headers, body).
    """
    ctx = ssl.create_default_context(cafile=str(lab.ca_file))
    with (
        socket.create_connection((ip or lab.web_ip, 443), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
    head, _, body = data.decode().partition("\r\n\r\n")
    return head, body


def policy(lab, variant: str) -> str:  # type: ignore[no-untyped-def]
    head, body = https_get(lab, f"mta-sts.{lab.domain(variant)}")
    assert head.startswith("HTTP/1.1 200"), head
    return body


# --- DNS ---------------------------------------------------------------------------------------


def test_good_mx_in_preference_order(lab) -> None:  # type: ignore[no-untyped-def]
    answer = resolver(lab).resolve("good.lab.test", "MX")
    assert sorted((r.preference, r.exchange.to_text()) for r in answer) == [
        (10, "mx1.good.lab.test."),
        (20, "mx2.good.lab.test."),
    ]
    assert [r.address for r in resolver(lab).resolve("mx1.good.lab.test", "A")] == ["127.0.25.1"]


def test_unknown_name_is_nxdomain(lab) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver(lab).resolve("nothere.lab.test", "A")


def test_good_has_every_mail_record(lab) -> None:  # type: ignore[no-untyped-def]
    assert txt(lab, "_mta-sts.good.lab.test") == ["v=STSv1; id=20261101T000000;"]
    assert txt(lab, "_smtp._tls.good.lab.test") == ["v=TLSRPTv1; rua=mailto:tlsrpt@good.lab.test"]
    assert txt(lab, "good.lab.test") == ["v=spf1 mx -all"]
    assert txt(lab, "_dmarc.good.lab.test") == ["v=DMARC1; p=reject; rua=mailto:dmarc@good.lab.test"]
    srv = {
        "_submission._tcp": 587,
        "_submissions._tcp": 465,
        "_imap._tcp": 143,
        "_imaps._tcp": 993,
        "_pop3._tcp": 110,
        "_pop3s._tcp": 995,
    }
    for label, port in srv.items():
        (record,) = resolver(lab).resolve(f"{label}.good.lab.test", "SRV")
        assert (record.port, record.target.to_text()) == (port, "mail.good.lab.test."), label
    assert [r.address for r in resolver(lab).resolve("mta-sts.good.lab.test", "A")] == [lab.web_ip]


def test_xss_payloads_survive_zone_quoting(lab) -> None:  # type: ignore[no-untyped-def]
    apex = txt(lab, "xss.lab.test")
    assert f"v=spf1 mx include:{XSS1} -all" in apex
    assert f"site-verification={XSS2}" in apex
    assert txt(lab, "_mta-sts.xss.lab.test") == [f"v=STSv1; id={XSS1}{XSS2};"]


@pytest.mark.parametrize(
    ("name", "rdtype", "expected"),
    [
        ("_smtp._tls.notlsrpt.lab.test", "TXT", dns.resolver.NXDOMAIN),
        ("_dmarc.nodmarc.lab.test", "TXT", dns.resolver.NXDOMAIN),
        ("_mta-sts.nomtasts.lab.test", "TXT", dns.resolver.NXDOMAIN),
        ("mta-sts.nomtasts.lab.test", "A", dns.resolver.NXDOMAIN),
        ("implicit.lab.test", "MX", dns.resolver.NoAnswer),
    ],
)
def test_variant_missing_records(lab, name: str, rdtype: str, expected: type[Exception]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(expected):
        resolver(lab).resolve(name, rdtype)


def test_variant_record_defects(lab) -> None:  # type: ignore[no-untyped-def]
    res = resolver(lab)
    assert txt(lab, "_dmarc.weakdmarc.lab.test") == ["v=DMARC1; p=none; rua=mailto:dmarc@weakdmarc.lab.test"]
    (null_mx,) = res.resolve("nullmx.lab.test", "MX")
    assert (null_mx.preference, null_mx.exchange.to_text()) == (0, ".")
    assert [r.address for r in res.resolve("implicit.lab.test", "A")] == ["127.0.25.1"]
    assert [r.address for r in res.resolve("mta-sts.dead.lab.test", "A")] == ["127.0.80.99"]
    assert txt(lab, "_mta-sts.dead.lab.test") == ["v=STSv1; id=20261101T000000;"]
    mxmissing = sorted(r.exchange.to_text() for r in res.resolve("mxmissing.lab.test", "MX"))
    assert mxmissing == ["mx1.mxmissing.lab.test.", "mx2.mxmissing.lab.test."]


# Every variant except the named defect mirrors good: same kinds of records, own names.
MIRRORS_GOOD = [
    "testing",
    "mxmissing",
    "expired",
    "untrusted",
    "notlsrpt",
    "nodmarc",
    "weakdmarc",
    "nomtasts",
    "badpolicy",
    "maxage",
]


@pytest.mark.parametrize("variant", MIRRORS_GOOD)
def test_variant_otherwise_mirrors_good(lab, variant: str) -> None:  # type: ignore[no-untyped-def]
    domain = lab.domain(variant)
    res = resolver(lab)
    assert sorted(r.exchange.to_text() for r in res.resolve(domain, "MX")) == [f"mx1.{domain}.", f"mx2.{domain}."]
    assert txt(lab, domain) == ["v=spf1 mx -all"]
    (srv,) = res.resolve(f"_submission._tcp.{domain}", "SRV")
    assert srv.target.to_text() == f"mail.{domain}."
    if variant != "notlsrpt":
        assert txt(lab, f"_smtp._tls.{domain}") == [f"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}"]
    if variant not in ("nodmarc", "weakdmarc"):
        assert txt(lab, f"_dmarc.{domain}") == [f"v=DMARC1; p=reject; rua=mailto:dmarc@{domain}"]
    if variant != "nomtasts":
        assert txt(lab, f"_mta-sts.{domain}") == ["v=STSv1; id=20261101T000000;"]


# --- DNSSEC ------------------------------------------------------------------------------------


def trust_anchor(lab) -> dns.rrset.RRset:  # type: ignore[no-untyped-def]
    """The exported DS records, parsed as a validator would load them."""
    lines = [line.split() for line in Path(lab.trust_anchor).read_text().splitlines() if line.strip()]
    assert lines, f"{lab.trust_anchor} is empty"
    assert all(f[0] == "lab.test." and f[2:4] == ["IN", "DS"] for f in lines), lines
    return dns.rrset.from_text_list("lab.test.", int(lines[0][1]), "IN", "DS", [" ".join(f[4:]) for f in lines])


def validated_dnskeys(lab) -> dns.rrset.RRset:  # type: ignore[no-untyped-def]
    """The zone's DNSKEY RRset, after checking it against the trust anchor."""
    zone = dns.name.from_text("lab.test.")
    reply = query_signed(lab, "lab.test.", "DNSKEY")
    keys = reply.find_rrset(reply.answer, zone, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    sigs = reply.find_rrset(reply.answer, zone, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
    anchor = trust_anchor(lab)
    anchored = [k for k in keys for ds in anchor if dns.dnssec.make_ds(zone, k, ds.digest_type) == ds]
    assert anchored, "no DNSKEY of lab.test matches the exported DS records"
    # The KSK named by the anchor signs the DNSKEY RRset.
    dns.dnssec.validate(keys, sigs, {zone: dns.rrset.from_rdata_list(zone, keys.ttl, anchored)})
    return keys


def test_lab_zone_is_signed_and_validates_with_trust_anchor(lab) -> None:  # type: ignore[no-untyped-def]
    zone = dns.name.from_text("lab.test.")
    keys = validated_dnskeys(lab)
    reply = query_signed(lab, "good.lab.test.", "MX")
    name = dns.name.from_text("good.lab.test.")
    mx = reply.find_rrset(reply.answer, name, dns.rdataclass.IN, dns.rdatatype.MX)
    sig = reply.find_rrset(reply.answer, name, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.MX)
    dns.dnssec.validate(mx, sig, {zone: keys})
    # The check is not vacuous: an altered RRset must fail against the same signature.
    forged = dns.rrset.from_text("good.lab.test.", mx.ttl, "IN", "MX", "10 evil.example.")
    with pytest.raises(dns.dnssec.ValidationFailure):
        dns.dnssec.validate(forged, sig, {zone: keys})


def test_nxdomain_is_signed_with_nsec(lab) -> None:  # type: ignore[no-untyped-def]
    reply = query_signed(lab, "nothere.lab.test.", "A")
    assert reply.rcode() == dns.rcode.NXDOMAIN
    kinds = {(rrset.rdtype, rrset.covers) for rrset in reply.authority}
    assert (dns.rdatatype.NSEC, dns.rdatatype.NONE) in kinds
    assert (dns.rdatatype.RRSIG, dns.rdatatype.NSEC) in kinds


def test_plain_zone_is_unsigned(lab) -> None:  # type: ignore[no-untyped-def]
    reply = query_signed(lab, "plain.test.", "MX")
    assert reply.answer and all(rrset.rdtype != dns.rdatatype.RRSIG for rrset in reply.answer)
    assert [r.exchange.to_text() for r in reply.answer[0]] == ["mx1.plain.test."]


# --- HTTPS (MTA-STS policy hosts) and the test CA ------------------------------------------------


def test_good_policy_over_verified_https(lab) -> None:  # type: ignore[no-untyped-def]
    head, body = https_get(lab, "mta-sts.good.lab.test")
    assert head.startswith("HTTP/1.1 200")
    assert "\r\nContent-Type: text/plain\r\n" in head
    assert body == (
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.lab.test\r\nmx: *.good.lab.test\r\nmax_age: 1209600\r\n"
    )


@pytest.mark.parametrize(("variant", "verify_code"), [("expired", 10), ("untrusted", 20)])
def test_bad_certificates_fail_verification(lab, variant: str, verify_code: int) -> None:  # type: ignore[no-untyped-def]
    # 10 = X509_V_ERR_CERT_HAS_EXPIRED, 20 = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    with pytest.raises(ssl.SSLCertVerificationError) as err:
        https_get(lab, f"mta-sts.{lab.domain(variant)}")
    assert err.value.verify_code == verify_code


def test_policy_defects(lab) -> None:  # type: ignore[no-untyped-def]
    assert "mode: testing\r\n" in policy(lab, "testing")
    mxmissing = policy(lab, "mxmissing")
    assert "mx: mx1.mxmissing.lab.test\r\n" in mxmissing and "mx2" not in mxmissing and "*" not in mxmissing
    assert "max_age: 3600\r\n" in policy(lab, "maxage")
    broken = policy(lab, "badpolicy")
    assert "version:" not in broken and "max_age: two weeks\r\n" in broken
    assert "mx: implicit.lab.test\r\n" in policy(lab, "implicit")


def test_dead_policy_host_refuses(lab) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OSError):
        https_get(lab, "mta-sts.dead.lab.test", ip="127.0.80.99")


def test_unknown_sni_and_plain_http(lab) -> None:  # type: ignore[no-untyped-def]
    head, _ = https_get(lab, "lab.test")  # default server, valid cert for lab.test
    assert head.startswith("HTTP/1.1 404")
    with socket.create_connection((lab.web_ip, 80), timeout=5) as raw:
        raw.sendall(
            b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.good.lab.test\r\nConnection: close\r\n\r\n"
        )
        reply = raw.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 301")
    assert "\r\nLocation: https://mta-sts.good.lab.test/.well-known/mta-sts.txt\r\n" in reply


def test_issue_cert_options_and_idempotence(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """issue-cert.sh as other components use it: ECDSA, IP SANs, no reissue when unchanged."""
    script = lab.root / "issue-cert.sh"
    name = "labtest-ecdsa"
    args = ["bash", str(script), name, "--ecdsa", "--days", "30", "probe.lab.test", "127.0.25.9"]
    first = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
    key, pem, chain = (Path(p) for p in first)
    assert (key.name, pem.name, chain.name) == (f"{name}.key", f"{name}.pem", f"{name}.chain.pem")
    stamp = pem.stat().st_mtime_ns
    assert subprocess.run(args, capture_output=True, text=True, check=True).stdout.split() == first
    assert pem.stat().st_mtime_ns == stamp, "unchanged parameters must not reissue"
    text = subprocess.run(
        ["openssl", "x509", "-in", str(pem), "-noout", "-text"], capture_output=True, text=True, check=True
    ).stdout
    assert "DNS:probe.lab.test, IP Address:127.0.25.9" in text and "id-ecPublicKey" in text
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(lab.ca_file), "-untrusted", str(chain), str(pem)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


# --- the lab as a whole ------------------------------------------------------------------------


def test_rerun_is_quick_and_changes_nothing(lab) -> None:  # type: ignore[no-untyped-def]
    before = query_signed(lab, "lab.test.", "SOA").answer[0][0].serial
    start = time.monotonic()
    proc = subprocess.run(["bash", str(lab.root / "up.sh")], capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert query_signed(lab, "lab.test.", "SOA").answer[0][0].serial == before, "an unchanged zone was reloaded"
    assert "issued certificate" not in proc.stderr and "reloaded" not in proc.stderr, proc.stderr
    assert elapsed < 10, f"up.sh took {elapsed:.1f} s although everything was up"


def test_servers_listen_on_loopback_only(lab) -> None:  # type: ignore[no-untyped-def]
    pids = {p.read_text().strip() for p in (lab.root / "run").rglob("*.pid")}
    out = subprocess.run(["ss", "-Htulnp"], capture_output=True, text=True, check=True).stdout
    ours = [line for line in out.splitlines() if any(f"pid={pid}," in line for pid in pids)]
    assert any("127.0.53.1:53" in line for line in ours) and any("127.0.80.1:443" in line for line in ours)
    for line in ours:
        local = line.split()[4]
        assert local.startswith("127."), f"lab socket not on 127/8: {line}"


def test_changed_fragment_is_reloaded_with_new_serial(lab) -> None:  # type: ignore[no-untyped-def]
    """A zone fragment added between two runs of up.sh is served, under a higher serial.

    Uses the unsigned plain.test so the signed zone other tests read stays untouched.
    """
    name = f"probe{time.time_ns()}"
    fragment = lab.root / "zones" / "plain.test.d" / f"99-{name}.zone"
    up = ["bash", str(lab.root / "up.sh")]
    before = query_signed(lab, "plain.test.", "SOA").answer[0][0].serial
    try:
        fragment.write_text(f'{name} A ${{LAB_WEB_IP}}\n{name} TXT "quoted \\"part\\"; ok"\n')
        proc = subprocess.run(up, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        assert [r.address for r in resolver(lab).resolve(f"{name}.plain.test", "A")] == [lab.web_ip]
        assert txt(lab, f"{name}.plain.test") == ['quoted "part"; ok']
        assert query_signed(lab, "plain.test.", "SOA").answer[0][0].serial > before
    finally:
        fragment.unlink(missing_ok=True)
        subprocess.run(up, capture_output=True, text=True, check=False)
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver(lab).resolve(f"{name}.plain.test", "A")
