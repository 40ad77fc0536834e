"""Hostile mail servers, end to end through the CLI: the audit finishes, says why, stays small.

The zone ``hostile.test`` (served by our own DNS server) points its MX (port 25) and its
submission SRV record (port 587) at one misbehaving server; the lab's clean Postfix is
added with ``--service`` as the well-behaved neighbour in the same run. For each hostile
behaviour the run must finish inside its time budget, give the hostile endpoint ``error``
findings that say why, leave the clean endpoint's findings as usual (pass/warn/fail, never
``error``) and keep the child's peak RSS bounded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LabInfo
from tests.hardening import hostile_smtp as hs
from tests.hardening.hostile_servers import dns_server, zone_behaviour

DNS_IP, HOSTILE_IP = "127.0.55.53", "127.0.55.25"
DOMAIN = "hostile.test"
CLEAN = "mx.clean.lab.test"
ZONE = {
    (DOMAIN, "MX"): ["10 mx.hostile.test."],
    ("mx.hostile.test", "A"): [HOSTILE_IP],
    (f"_submission._tcp.{DOMAIN}", "SRV"): ["0 1 587 mx.hostile.test."],
    (CLEAN, "A"): ["127.0.25.1"],
}
HOSTILE_PORTS = (25, 587)
# Slack over --timeout for start-up, evaluation and rendering on a busy CI machine.
SLACK_S = 10.0
# Baseline is ~80 MiB; a bounded reader adds a few MiB. 10 MB read whole would add ~60 MiB per endpoint.
PEAK_RSS_MIB = 160.0

CASES = {
    # behaviour: (budget --timeout, words one of which the starttls.offered reason must contain)
    "garbage_banner": (20, ("not an smtp reply", "garbage")),
    "endless_banner": (20, ("longer than", "too long")),
    "slow_drip": (20, ("within", "deadline", "timeout", "timed out")),
    "close_after_starttls": (20, ("closed",)),
    "tls_alert": (20, ("handshake", "alert")),
    "huge_ehlo": (20, ("bytes received", "too large", "too long")),
    "http_server": (12, ("within", "not an smtp reply", "timeout")),
}


def _subjects(report: dict, host: str) -> list[dict]:
    return [f for f in report["findings"] if f["subject"].startswith(f"{host}[")]


@pytest.mark.parametrize("behaviour", list(CASES))
def test_hostile_mail_server_end_to_end(behaviour: str, tmp_path: Path, lab: LabInfo) -> None:
    budget, reasons = CASES[behaviour]
    out = tmp_path / "r.json"
    with (
        dns_server(DNS_IP, zone_behaviour(ZONE)),
        hs.hostile_server(HOSTILE_IP, 25, getattr(hs, behaviour)) as mx,
        hs.hostile_server(HOSTILE_IP, 587, getattr(hs, behaviour)),
    ):
        run = hs.run_auditor(
            [
                "scan",
                DOMAIN,
                "--resolver",
                DNS_IP,
                "--ca-file",
                str(lab.ca_file),
                "--service",
                f"{CLEAN}:587/submission",
                "--timeout",
                str(budget),
                "--only",
                "starttls.*",
                "--only",
                "tls.*",
                "-q",
                "-o",
                str(out),
            ],
            timeout=budget + SLACK_S + 5,
        )
        accepted = mx.accepted
    print(f"{behaviour}: exit {run.code}, wall {run.wall:.1f} s (budget {budget} s), peak RSS {run.peak_mib:.0f} MiB")
    assert run.code is not None, f"{behaviour}: killed after {run.wall:.0f} s: the audit overran its {budget} s budget"
    assert run.code in (0, 1, 4), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert accepted >= 1, "the hostile server was never contacted"
    assert run.wall < budget + SLACK_S, f"{behaviour}: {run.wall:.1f} s for a {budget} s budget"
    assert run.peak_mib < PEAK_RSS_MIB, f"{behaviour}: peak RSS {run.peak_mib:.0f} MiB"
    report = json.loads(out.read_text())

    hostile = _subjects(report, "mx.hostile.test")
    for port in HOSTILE_PORTS:
        on_port = [f for f in hostile if f["subject"].endswith(f"]:{port}")]
        offered = [f for f in on_port if f["check_id"] == "starttls.offered"]
        assert offered and all(f["status"] == "error" for f in offered), (port, offered)
        assert any(word in f["detail"].lower() for f in offered for word in reasons), offered
        tls = [f for f in on_port if f["check_id"].startswith("tls.")]
        assert tls, f"no tls.* finding for the hostile endpoint on port {port}"
        assert all(f["status"] == "error" and f["detail"].strip() for f in tls), tls
        # Nothing the hostile server did may be graded as a verified pass of its TLS.
        assert not [f for f in on_port if f["status"] == "pass" and f["check_id"] != "starttls.auth-before-tls"]

    clean = _subjects(report, CLEAN)
    by_check = {f["check_id"] for f in clean}
    assert {"starttls.offered", "starttls.submission-requires-tls", "tls.protocols", "tls.cipher-suites"} <= by_check
    assert not [f for f in clean if f["status"] not in ("pass", "warn", "fail")], "the clean endpoint was affected"
    assert [f for f in clean if f["check_id"] == "starttls.offered"][0]["status"] == "pass"
