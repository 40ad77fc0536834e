#!/usr/bin/env python3
"""Benchmark: our TLS collector vs. bare sslyze vs. testssl.sh on the lab (not a test).

Every tool reaches the lab through a small counting TCP relay on 127.0.9.x (same port),
so connections are counted the same way for all three, at the TCP level. Measured:

* connections per endpoint and wall time on the clean host (no delay), all 7 ports;
* the same on the weak host (127.0.25.2: 91 suites across TLS 1.0-1.3), on the ports
  given by ``--weak-ports`` (default 25 and 993), with the acceptance bound for ours:
  connections <= 1.3 x (accepted suites + versions + groups);
* the same with the 1 s greeting delay (lab host 127.0.25.4), on the ports given by
  ``--delay-ports`` (default 25: one endpoint; the peers need minutes per port there);
* results on the throttled host (127.0.25.3, Postfix anvil 10/min), against the truth
  from the clean host (same Postfix configuration).

Run with the lab up:  .venv/bin/python bench/bench_transport.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sslyze import (
    ProtocolWithOpportunisticTlsEnum,
    ScanCommand,
    Scanner,
    ServerNetworkConfiguration,
    ServerNetworkLocation,
    ServerScanRequest,
)

from auditor.collectors.tls.collector import collect_tls
from auditor.evidence.network import Endpoint

ROOT = Path(__file__).resolve().parent.parent
CA = ROOT / "tests/lab/run/ca/ca.pem"
PORTS = {
    25: ("smtp", "starttls"),
    587: ("submission", "starttls"),
    465: ("submissions", "implicit"),
    143: ("imap", "starttls"),
    993: ("imaps", "implicit"),
    110: ("pop3", "starttls"),
    995: ("pop3s", "implicit"),
}
STARTTLS = {
    "smtp": ProtocolWithOpportunisticTlsEnum.SMTP,
    "submission": ProtocolWithOpportunisticTlsEnum.SMTP,
    "imap": ProtocolWithOpportunisticTlsEnum.IMAP,
    "pop3": ProtocolWithOpportunisticTlsEnum.POP3,
}
TESTSSL_T = {"smtp": "smtp", "submission": "smtp", "imap": "imap", "pop3": "pop3"}
CIPHER_COMMANDS = {
    ScanCommand.SSL_2_0_CIPHER_SUITES,
    ScanCommand.SSL_3_0_CIPHER_SUITES,
    ScanCommand.TLS_1_0_CIPHER_SUITES,
    ScanCommand.TLS_1_1_CIPHER_SUITES,
    ScanCommand.TLS_1_2_CIPHER_SUITES,
    ScanCommand.TLS_1_3_CIPHER_SUITES,
}


class Relay:
    """Counting TCP relay ``listen_ip:port -> target_ip:port`` (threads, loopback only)."""

    def __init__(self, listen_ip: str, port: int, target_ip: str) -> None:
        self.target = (target_ip, port)
        self.connections = 0
        self._lock = threading.Lock()
        self.sock = socket.create_server((listen_ip, port), reuse_port=False)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._pair, args=(client,), daemon=True).start()

    def _pair(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=30)
        except OSError:
            client.close()
            return
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def take(self) -> int:
        with self._lock:
            count, self.connections = self.connections, 0
        return count

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread
        self.sock.close()


@contextlib.contextmanager
def relays(listen_ip: str, target_ip: str, ports: list[int]) -> Iterator[dict[int, Relay]]:
    opened = {p: Relay(listen_ip, p, target_ip) for p in ports}
    try:
        yield opened
    finally:
        for relay in opened.values():
            relay.close()


@dataclass
class Run:
    tool: str
    scenario: str
    port: int
    connections: int
    seconds: float
    result: str


#: (host, port) -> (accepted suites, accepted versions, groups) from our scans, for the bound.
SIZES: dict[tuple[str, int], tuple[int, int, int]] = {}


def ours(host: str, ip: str, ports: list[int]) -> tuple[float, dict[int, str]]:
    endpoints = [Endpoint(host, p, *PORTS[p], "bench", (ip,)) for p in ports]
    started = time.monotonic()
    scans = collect_tls(endpoints, ca_file=str(CA), deadline=time.monotonic() + 600)
    elapsed = time.monotonic() - started
    summary = {}
    for s in scans:
        accepted = sum(len(v) for v in s.suites.values())
        versions = [v for v, ok in s.protocols.items() if ok]
        SIZES[(host, s.port)] = (accepted, len(versions), len(s.groups))
        text = f"{accepted} suites, {'/'.join(versions)}, {len(s.groups)} groups"
        if s.incomplete:
            text += f"; INCOMPLETE: {', '.join(s.incomplete)}"
        if s.throttled_after is not None:
            text += f"; THROTTLED after {s.throttled_after} (unknown: {', '.join(s.incomplete)})"
        summary[s.port] = text
    return elapsed, summary


def bare_sslyze(host: str, ip: str, ports: list[int]) -> tuple[float, dict[int, str]]:
    requests = []
    for p in ports:
        proto, mode = PORTS[p]
        config = ServerNetworkConfiguration(
            tls_server_name_indication=host,
            tls_opportunistic_encryption=STARTTLS.get(proto) if mode == "starttls" else None,
        )
        requests.append(ServerScanRequest(ServerNetworkLocation(host, p, ip), config, scan_commands=CIPHER_COMMANDS))
    scanner = Scanner()
    started = time.monotonic()
    scanner.queue_scans(requests)
    summary = {}
    for result in scanner.get_results():
        port = result.server_location.port
        if result.scan_result is None:
            summary[port] = f"no connectivity: {result.connectivity_error_trace}".splitlines()[0][:60]
            continue
        accepted, versions = 0, []
        for name in ("ssl_3_0", "tls_1_0", "tls_1_1", "tls_1_2", "tls_1_3"):
            attempt = getattr(result.scan_result, f"{name}_cipher_suites")
            if attempt.result is None:
                versions.append(f"{name}:error")
                continue
            accepted += len(attempt.result.accepted_cipher_suites)
            if attempt.result.accepted_cipher_suites:
                versions.append(name)
        summary[port] = f"{accepted} suites, {'/'.join(versions)}"
    return time.monotonic() - started, summary


def testssl(host: str, ip: str, ports: list[int], full: bool) -> tuple[float, dict[int, str]]:
    binary = shutil.which("testssl") or shutil.which("testssl.sh")
    if not binary:
        sys.exit("testssl.sh is not installed (source tests/lab/lib.sh; lab_apt_install testssl.sh)")
    started = time.monotonic()
    summary = {}
    with tempfile.TemporaryDirectory() as tmp:
        for p in ports:  # testssl.sh scans one target at a time
            proto, mode = PORTS[p]
            out = Path(tmp) / f"{p}.json"
            args = [binary, "--quiet", "--warnings", "off", "--color", "0", "--ip", ip, "--jsonfile", str(out)]
            args += [] if full else ["-p", "-E"]
            if mode == "starttls":
                args += ["-t", TESTSSL_T[proto]]
            subprocess.run([*args, f"{host}:{p}"], capture_output=True, timeout=1800, check=False)
            findings = json.loads(out.read_text()) if out.exists() else []
            suites = sum(1 for f in findings if f["id"].startswith("cipher-") and f["id"].count("_x") == 1)
            offered = [
                f["id"]
                for f in findings
                if f["id"] in ("SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3") and f["finding"].startswith("offered")
            ]
            summary[p] = f"{suites} suites, {'/'.join(offered)}"
    return time.monotonic() - started, summary


def measure(
    tool: str,
    scenario: str,
    target_ip: str,
    host: str,
    ports: list[int],
    relay_ip: str,
    func: Callable[[str, str, list[int]], tuple[float, dict[int, str]]],
) -> list[Run]:
    with relays(relay_ip, target_ip, ports) as opened:
        elapsed, summary = func(host, relay_ip, ports)
        time.sleep(0.2)
        counts = {p: r.take() for p, r in opened.items()}
    print(f"  {tool:8} {scenario:10} {elapsed:7.1f} s  {counts}", file=sys.stderr)
    return [Run(tool, scenario, p, counts[p], elapsed, summary.get(p, "-")) for p in ports]


def wait_for_anvil() -> None:
    print("  waiting 65 s for the throttled host's anvil window to reset", file=sys.stderr)
    time.sleep(65)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay-ports", default="25", help="ports scanned behind the 1 s greeting delay")
    parser.add_argument("--weak-ports", default="25,993", help="ports scanned on the weak host")
    parser.add_argument("--quick", action="store_true", help="testssl.sh with -p -E instead of its default run")
    opts = parser.parse_args()
    all_ports = list(PORTS)
    delay_ports = [int(p) for p in opts.delay_ports.split(",")]
    weak_ports = [int(p) for p in opts.weak_ports.split(",")]
    runs: list[Run] = []

    def ts(host: str, ip: str, ports: list[int]) -> tuple[float, dict[int, str]]:
        return testssl(host, ip, ports, full=not opts.quick)

    tools = (("ours", ours), ("sslyze", bare_sslyze), ("testssl", ts))
    # A fresh relay address per run, so no run inherits another's connections.
    for n, (tool, func) in enumerate(tools):
        runs += measure(tool, "no delay", "127.0.25.1", "mx.clean.lab.test", all_ports, f"127.0.9.{101 + n}", func)
    for n, (tool, func) in enumerate(tools):
        runs += measure(tool, "weak", "127.0.25.2", "mx.weak.lab.test", weak_ports, f"127.0.9.{131 + n}", func)
    for n, (tool, func) in enumerate(tools):
        runs += measure(tool, "1 s delay", "127.0.25.4", "mx.delayed.lab.test", delay_ports, f"127.0.9.{111 + n}", func)
    for n, (tool, func) in enumerate(tools):
        wait_for_anvil()
        runs += measure(tool, "throttled", "127.0.25.3", "mx.throttled.lab.test", [25], f"127.0.9.{121 + n}", func)
    report(runs, delay_ports)


def report(runs: list[Run], delay_ports: list[int]) -> None:
    def per(tool: str, scenario: str) -> list[Run]:
        return [r for r in runs if r.tool == tool and r.scenario == scenario]

    print("| scenario | tool | endpoints | connections per endpoint (mean) | wall time (whole run) | s per endpoint |")
    print("|---|---|---|---|---|---|")
    for scenario in ("no delay", "weak", "1 s delay"):
        for tool in ("ours", "sslyze", "testssl"):
            rows = per(tool, scenario)
            if not rows:
                continue
            mean = sum(r.connections for r in rows) / len(rows)
            print(
                f"| {scenario} | {tool} | {len(rows)} | {mean:.1f} | {rows[0].seconds:.1f} s "
                f"| {rows[0].seconds / len(rows):.1f} |"
            )
    print()
    print("| host:port | tool | connections | what it reported |")
    print("|---|---|---|---|")
    for scenario, host in (("no delay", "mx.clean.lab.test"), ("weak", "mx.weak.lab.test")):
        for tool in ("ours", "sslyze", "testssl"):
            for r in per(tool, scenario):
                print(f"| {host}:{r.port} | {tool} | {r.connections} | {r.result} |")
    print()
    for r in per("ours", "weak") + per("ours", "no delay"):
        host = "mx.weak.lab.test" if r.scenario == "weak" else "mx.clean.lab.test"
        suites, versions, groups = SIZES.get((host, r.port), (0, 0, 0))
        size = suites + versions + groups
        rule = "acceptance <= 1.3 x" if r.scenario == "weak" else "acceptance: <= 20 connections"
        print(
            f"ours {host}:{r.port}: {r.connections} connections for {suites} suites + {versions} versions + "
            f"{groups} groups = {size}: {r.connections / max(size, 1):.2f} x ({rule})"
        )
    print()
    for scenario in ("no delay", "weak", "1 s delay"):
        base = {t: per(t, scenario) for t in ("ours", "sslyze", "testssl")}
        if not all(base.values()):
            continue
        ours_c = sum(r.connections for r in base["ours"])
        ours_t = base["ours"][0].seconds
        print(
            f"{scenario}: connections ours/sslyze = {ours_c / max(sum(r.connections for r in base['sslyze']), 1):.3f}"
            f", speed-up vs sslyze = {base['sslyze'][0].seconds / ours_t:.1f}x"
            f", vs testssl.sh = {base['testssl'][0].seconds / ours_t:.1f}x"
        )
    delayed = per("sslyze", "1 s delay")
    if delayed:
        polite = sum(r.connections for r in delayed) / 2
        print(
            f"sslyze held to our politeness (2 connections per IP) would need about {polite:.0f} s "
            f"behind the 1 s greeting (connections x 1 s / 2)."
        )
    print()
    print("| tool | throttled host port 25: what it reported | connections |")
    print("|---|---|---|")
    for tool in ("ours", "sslyze", "testssl"):
        for r in per(tool, "throttled"):
            print(f"| {tool} | {r.result} | {r.connections} |")
    truth = {r.tool: r.result for r in per("ours", "no delay") if r.port == 25}
    print(f"\nTruth (same Postfix config, unthrottled clean host, port 25): {truth.get('ours', '-')}")
    print(f"Delay ports: {delay_ports}")


if __name__ == "__main__":
    main()
