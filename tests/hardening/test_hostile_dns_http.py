"""Hostile DNS and HTTPS peers: the audit finishes in its budget with a clear error.

Every case runs the real CLI in a subprocess so its wall time and peak memory are
measured as a user would meet them.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import dns.message
import dns.rcode
import pytest

from tests.hardening.hostile_servers import dns_server, https_server, make_ca_and_cert, zone_behaviour
from tests.hardening.hostile_smtp import run_auditor

DNS_IP, WEB_IP = "127.0.54.1", "127.0.54.80"
DOMAIN = "hostile.test"
BASE_ZONE = {
    (DOMAIN, "MX"): ["10 mx.hostile.test."],
    ("mx.hostile.test", "A"): ["127.0.54.25"],
    (f"_mta-sts.{DOMAIN}", "TXT"): ['"v=STSv1; id=1;"'],
    (f"mta-sts.{DOMAIN}", "A"): [WEB_IP],
    (DOMAIN, "TXT"): ['"v=spf1 -all"'],
    (f"_dmarc.{DOMAIN}", "TXT"): ['"v=DMARC1; p=reject"'],
    (f"_smtp._tls.{DOMAIN}", "TXT"): ['"v=TLSRPTv1; rua=mailto:r@hostile.test"'],
}


def audit(tmp_path: Path, *extra: str, timeout: float = 20) -> tuple[int, dict, float, float]:
    """Run a scan; return exit code, report, wall seconds and the child's peak RSS in MiB."""
    out = tmp_path / "r.json"
    run = run_auditor(
        [
            "scan",
            DOMAIN,
            "--resolver",
            DNS_IP,
            "--timeout",
            str(timeout),
            "-o",
            str(out),
            "-q",
            "--only",
            "mta-sts.*",
            "--only",
            "dmarc.*",
            *extra,
        ],
        timeout=timeout + 60,
    )
    assert run.code in (0, 1, 3, 4), run.stderr
    assert "Traceback" not in run.stderr
    return run.code, json.loads(out.read_text()), run.wall, run.peak_mib


def details(report: dict, check_id: str) -> list[tuple[str, str]]:
    return [(f["status"], f["detail"]) for f in report["findings"] if f["check_id"] == check_id]


def test_dns_server_that_never_answers(tmp_path: Path) -> None:
    with dns_server(DNS_IP, lambda query: None):
        code, report, wall, _ = audit(tmp_path, timeout=15)
    assert code == 3 and wall < 30
    [(status, detail)] = details(report, "dmarc.policy")
    assert status == "error" and "timeout" in detail.lower(), (status, detail)


def test_servfail_is_an_error_with_the_reason(tmp_path: Path) -> None:
    def servfail(query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.SERVFAIL)
        return response

    with dns_server(DNS_IP, servfail):
        code, report, wall, _ = audit(tmp_path, timeout=15)
    assert code == 3 and wall < 30
    [(status, detail)] = details(report, "dmarc.policy")
    assert status == "error" and "SERVFAIL" in detail


def test_truncated_answers_without_tcp_fallback(tmp_path: Path) -> None:
    with dns_server(DNS_IP, zone_behaviour(BASE_ZONE, truncate=True), tcp_behaviour=lambda query: None):
        code, report, wall, _ = audit(tmp_path, timeout=15)
    assert code == 3 and wall < 30
    assert details(report, "dmarc.policy")[0][0] == "error"


def test_truncated_udp_falls_back_to_tcp(tmp_path: Path) -> None:
    """A TC answer is not an error: the resolver must retry over TCP and get the data."""
    zone = dict(BASE_ZONE)
    del zone[(f"_mta-sts.{DOMAIN}", "TXT")]
    with dns_server(DNS_IP, zone_behaviour(zone, truncate=True), tcp_behaviour=zone_behaviour(zone)):
        _, report, _, _ = audit(tmp_path)
    assert details(report, "dmarc.policy")[0][0] == "pass"


def test_cname_loop_is_an_error_not_a_hang(tmp_path: Path) -> None:
    zone = dict(BASE_ZONE)
    del zone[(f"_dmarc.{DOMAIN}", "TXT")]
    zone[(f"_dmarc.{DOMAIN}", "CNAME")] = ["loop1.hostile.test."]
    zone[("loop1.hostile.test", "CNAME")] = ["loop2.hostile.test."]
    zone[("loop2.hostile.test", "CNAME")] = [f"_dmarc.{DOMAIN}."]
    with dns_server(DNS_IP, zone_behaviour(zone)):
        _, report, wall, _ = audit(tmp_path)
    assert wall < 30
    [(status, detail)] = details(report, "dmarc.policy")
    assert status in ("error", "fail") and detail


class _Huge(BaseHTTPRequestHandler):
    """Streams a 100 MB policy; the client must stop reading long before the end."""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(100 * 1024 * 1024))
        self.end_headers()
        line = b"mx: " + b"a" * 1020 + b"\n"
        try:
            for _ in range(100 * 1024):
                self.wfile.write(line)
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, *args: object) -> None:
        return


class _Redirect(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(302)
        self.send_header("Location", "https://attacker.example/policy.txt")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.mark.parametrize(("handler", "kind"), [(_Huge, "too-large"), (_Redirect, "redirect")])
def test_hostile_policy_server(tmp_path: Path, handler: type[BaseHTTPRequestHandler], kind: str) -> None:
    ca, cert, key = make_ca_and_cert(tmp_path, f"mta-sts.{DOMAIN}")
    with dns_server(DNS_IP, zone_behaviour(BASE_ZONE)), https_server(WEB_IP, cert, key, handler):
        code, report, wall, peak_mib = audit(tmp_path, "--ca-file", str(ca))
    [(status, detail)] = details(report, "mta-sts.policy")
    assert status == "fail" and kind in detail.replace("larger than", "too-large"), (status, detail)
    assert wall < 20
    assert peak_mib < 400, f"peak RSS {peak_mib} MiB: the policy body was not bounded"
    # The DMARC check on the same domain is unaffected.
    assert details(report, "dmarc.policy")[0][0] == "pass"


def test_query_parse_of_garbage_is_ignored() -> None:
    """The test DNS server itself must not be the thing that breaks."""
    with pytest.raises(dns.message.ShortHeader):
        dns.message.from_wire(b"\x00")
