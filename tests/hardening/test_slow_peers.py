"""Slow peers cannot outlast ``--timeout``: one deadline bounds every read and handshake.

A peer that drips one byte every two seconds restarts every per-read timeout, so only a
wall-clock deadline on the whole connection bounds it. Each case runs the real CLI in a
subprocess against such a peer and must finish within ``--timeout`` plus the documented
grace, with a report, a normal exit code and bounded memory.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.hardening import hostile_smtp as hs
from tests.hardening.hostile_servers import dns_server, https_server, make_ca_and_cert, zone_behaviour

DNS_IP, WEB_IP, MX_IP = "127.0.61.53", "127.0.61.80", "127.0.61.25"
DOMAIN = "slow.test"
ZONE = {
    (DOMAIN, "MX"): [f"10 mx.{DOMAIN}."],
    (f"mx.{DOMAIN}", "A"): [MX_IP],
    (f"_submission._tcp.{DOMAIN}", "SRV"): [f"0 1 587 mx.{DOMAIN}."],
    (f"_mta-sts.{DOMAIN}", "TXT"): ['"v=STSv1; id=1;"'],
    (f"mta-sts.{DOMAIN}", "A"): [WEB_IP],
    (DOMAIN, "TXT"): ['"v=spf1 -all"'],
    (f"_dmarc.{DOMAIN}", "TXT"): ['"v=DMARC1; p=reject"'],
}
BUDGET_S = 12
GRACE_S = 10.0  # the acceptance bound: --timeout + 10 s (start-up, evaluation, rendering)
PEAK_RSS_MIB = 400.0
DRIP_INTERVAL_S = 2.0


class _DripBody(BaseHTTPRequestHandler):
    """Headers at once, then a body of one byte every two seconds."""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "4000")
        self.end_headers()
        _drip(self, b"version: STSv1\nmode: enforce\n" + b"mx: x\n" * 600)

    def log_message(self, *args: object) -> None:
        return


class _DripHeaders(BaseHTTPRequestHandler):
    """A status line, then header bytes one every two seconds, never ending the headers."""

    def do_GET(self) -> None:  # noqa: N802
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        self.wfile.flush()
        _drip(self, b"X-Slow: " + b"a" * 2000)

    def log_message(self, *args: object) -> None:
        return


def _drip(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    for byte in data[:120]:  # bounded: the test server must end too
        try:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(DRIP_INTERVAL_S)


def _scan(tmp_path: Path, *extra: str, budget: int = BUDGET_S) -> tuple[hs.Run, dict]:
    out = tmp_path / "r.json"
    run = hs.run_auditor(
        ["scan", *extra, "--resolver", DNS_IP, "--timeout", str(budget), "-q", "-o", str(out)],
        timeout=budget + GRACE_S + 30,
    )
    print(f"exit {run.code}, wall {run.wall:.1f} s (--timeout {budget}), peak RSS {run.peak_mib:.0f} MiB")
    assert run.code is not None, f"killed after {run.wall:.0f} s: the audit overran its {budget} s budget"
    assert run.wall < budget + GRACE_S, f"{run.wall:.1f} s for a {budget} s budget"
    assert run.peak_mib < PEAK_RSS_MIB, f"peak RSS {run.peak_mib:.0f} MiB"
    assert run.code in (0, 1, 3, 4), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    return run, json.loads(out.read_text())


@pytest.mark.parametrize("handler", [_DripBody, _DripHeaders], ids=["body", "headers"])
def test_dripping_mta_sts_policy_ends_at_the_deadline(tmp_path: Path, handler: type[BaseHTTPRequestHandler]) -> None:
    ca, cert, key = make_ca_and_cert(tmp_path, f"mta-sts.{DOMAIN}")
    with dns_server(DNS_IP, zone_behaviour(ZONE)), https_server(WEB_IP, cert, key, handler):
        _, report = _scan(tmp_path, DOMAIN, "--ca-file", str(ca), "--only", "mta-sts.*", "--only", "dmarc.*")
    [policy] = [f for f in report["findings"] if f["check_id"] == "mta-sts.policy"]
    assert policy["status"] in ("fail", "error") and "within" in policy["detail"], policy
    assert [f["status"] for f in report["findings"] if f["check_id"] == "dmarc.policy"] == ["pass"]


def test_dripping_https_statement_ends_at_the_deadline(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_cert(tmp_path, f"mta-sts.{DOMAIN}")
    url = f"https://mta-sts.{DOMAIN}/privacy"
    with dns_server(DNS_IP, zone_behaviour(ZONE)), https_server(WEB_IP, cert, key, _DripBody):
        run, report = _scan(tmp_path, "--no-network", "--statement", url, "--ca-file", str(ca))
    notes = " ".join(report.get("notes", [])) + " ".join(f["detail"] for f in report["findings"])
    assert "within" in notes, notes[:2000]


def test_dripped_starttls_handshake_ends_at_the_deadline(tmp_path: Path) -> None:
    """The dialog collector and the TLS scanner both meet a handshake dripped after STARTTLS.

    The budget leaves the TLS scanner time after the dialogs (which give up after their
    10 s step), so its handshakes run with full 10 s read timeouts that each dripped byte
    restarts: only the deadline guard ends them.
    """
    with (
        dns_server(DNS_IP, zone_behaviour(ZONE)),
        hs.hostile_server(MX_IP, 25, hs.drip_tls_handshake) as mx,
        hs.hostile_server(MX_IP, 587, hs.drip_tls_handshake),
    ):
        _, report = _scan(tmp_path, DOMAIN, "--only", "starttls.*", "--only", "tls.*", budget=30)
        accepted = mx.accepted
    assert accepted >= 2, "the dripping server was not reached by both collectors"
    tls = [f for f in report["findings"] if f["check_id"].startswith("tls.") and f["subject"].startswith("mx.")]
    assert tls and all(f["status"] == "error" for f in tls), tls
