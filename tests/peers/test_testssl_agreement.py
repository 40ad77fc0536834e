"""Peer agreement: our accepted versions and suites equal testssl.sh's on every lab endpoint.

testssl.sh (Debian package ``testssl.sh``, binary ``testssl``) probes each suite with its
own ClientHellos, independently of sslyze/nassl, so agreement on the clean and weak
hosts is a real cross-check of the elimination method. Runs in CI with the lab; a
missing testssl or lab fails the test, it never skips.

Inherent differences, and why they do not show up in the comparison:

* SSLv2: testssl.sh probes it, we do not (nassl's modern client cannot speak it and an
  SSLv2-only server is refused by sslyze's connection layer). Compared from SSLv3 up;
  the lab servers (Debian OpenSSL 3) cannot offer SSLv2 anyway.
* Suite coverage: testssl.sh knows ~370 suites, some of which no OpenSSL build offers
  (GOST, PSK/SRP, a few export and Fortezza codes). We enumerate what nassl's two
  OpenSSL builds can offer, PSK/SRP excluded. A server accepting only such exotic suites
  would differ; the lab's Debian OpenSSL 3 has none of them.
* The throttled host (127.0.25.3) is left out by design: there both tools are cut off by
  the anvil rate limit, and testssl.sh then prints "not offered" where we say "unknown".
  The delayed host (127.0.25.4) forwards to the clean host's daemons; its only purpose is
  timing (see bench/), and testssl.sh would need minutes per port behind a 1 s greeting.
* testssl.sh's "offered with final" / "offered (deprecated)" wordings are folded into a
  plain offered / not offered.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from auditor.collectors.tls.collector import collect_tls
from auditor.evidence.network import Endpoint
from tests.lab_ports import MAIL_PORTS

pytestmark = pytest.mark.lab

HOSTS = (("mx.clean.lab.test", "127.0.25.1"), ("mx.weak.lab.test", "127.0.25.2"))
PORTS = MAIL_PORTS
TESTSSL_STARTTLS = {"smtp": "smtp", "submission": "smtp", "imap": "imap", "pop3": "pop3"}
VERSION_IDS = {"SSLv3": "SSLv3", "TLS1": "TLSv1.0", "TLS1_1": "TLSv1.1", "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}
CIPHER_PREFIX = {"tls1": "TLSv1.0", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3", "ssl3": "SSLv3"}


def _testssl_binary() -> str:
    binary = shutil.which("testssl") or shutil.which("testssl.sh")
    assert binary, "testssl.sh is required: source tests/lab/lib.sh; lab_apt_install testssl.sh"
    return binary


def run_testssl(endpoint: Endpoint, out: Path) -> tuple[dict[str, bool], dict[str, set[str]]]:
    """Protocols (-p) and per-protocol suites (-E) of one endpoint, from its JSON file."""
    args = [
        _testssl_binary(),
        "--quiet",
        "--warnings",
        "off",
        "--color",
        "0",
        "-p",
        "-E",
        "--ip",
        endpoint.addresses[0],
        "--jsonfile",
        str(out),
        "--connect-timeout",
        "5",
        "--openssl-timeout",
        "5",
    ]
    if endpoint.tls == "starttls":
        args += ["-t", TESTSSL_STARTTLS[endpoint.proto]]
    subprocess.run([*args, f"{endpoint.host}:{endpoint.port}"], capture_output=True, timeout=240, check=False)
    findings = json.loads(out.read_text())
    protocols: dict[str, bool] = {}
    suites: dict[str, set[str]] = {}
    for item in findings:
        ident, finding = item["id"], item["finding"]
        if ident in VERSION_IDS:
            protocols[VERSION_IDS[ident]] = finding.startswith("offered")
        elif ident.startswith("cipher-") and ident.count("_x") == 1:
            proto = ident[len("cipher-") :].rsplit("_x", 1)[0]
            suites.setdefault(CIPHER_PREFIX[proto], set()).add(finding.split()[-1])
    return protocols, suites


def test_accepted_versions_and_suites_equal_testssl(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    endpoints = [Endpoint(host, port, proto, mode, "test", (ip,)) for host, ip in HOSTS for port, proto, mode in PORTS]
    ours = {
        (s.ip, s.port): s
        for s in collect_tls(endpoints, ca_file=str(lab.ca_file), deadline=time.monotonic() + 120, per_ip_budget=60)
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        peers = dict(
            zip(
                [(e.addresses[0], e.port) for e in endpoints],
                pool.map(lambda e: run_testssl(e, tmp_path / f"{e.addresses[0]}_{e.port}.json"), endpoints),
                strict=True,
            )
        )
    for key, (their_protocols, their_suites) in peers.items():
        scan = ours[key]
        assert scan.incomplete == (), (key, scan.incomplete, scan.errors)
        assert {v: bool(scan.protocols[v]) for v in their_protocols} == their_protocols, key
        assert set(their_protocols) == set(VERSION_IDS.values()), (key, their_protocols)
        mine = {v: {s.name for s in suites} for v, suites in scan.suites.items()}
        assert mine == their_suites, (key, mine, their_suites)
