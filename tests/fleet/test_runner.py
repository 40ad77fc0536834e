"""The fleet runner without a network: a backend that answers from recorded evidence.

What is pinned here: every service key is probed once for all domains, each domain's
report is what a scan of the same evidence gives, the summary counts by check, clause
and shared endpoint, a rerun keeps finished reports, and fleet.html escapes DNS text.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from pathlib import Path

from auditor.reports.fleet_html import render_fleet_html
from rich.console import Console

from auditor.cli import build_parser
from auditor.collect import ScanOptions
from auditor.collectors.endpoints import EndpointEvidence, ProbeSettings, ProbeUnit, assemble, service_keys, units_of
from auditor.commands import ReportMaker
from auditor.evidence import Evidence, Target
from auditor.evidence.dialogs import DialogResult
from auditor.evidence.network import Discovery, DnsAnswer, Endpoint, MxHost
from auditor.evidence.tls import TlsScan
from auditor.fleet.command import _summary
from auditor.fleet.runner import FleetRequest, run_fleet
from auditor.fleet.summary import fleet_from_json, fleet_to_json
from auditor.fleet.work import PlanRequest
from auditor.report import report_from_json
from auditor.request import report_request
from tests.checks.evidence_factory import mail_dns, txt

SHARED_MX = "mx.hoster.example"
XSS = "<script>alert(1)</script>"


def _network(domain: str) -> Evidence:
    host = MxHost(SHARED_MX, 10, ("192.0.2.25",))
    discovery = Discovery(
        domain=domain,
        resolver="system",
        mx=DnsAnswer(domain, "MX", "ok", records=(f"10 {SHARED_MX}.",)),
        mx_hosts=(host,),
        endpoints=(Endpoint(SHARED_MX, 25, "smtp", "starttls", "mx", host.addresses),),
    )
    spf = f"v=spf1 mx {XSS} +all" if domain.startswith("bad") else "v=spf1 mx -all"
    return Evidence(
        "1",
        "2026-12-05T10:00:00+00:00",
        Target(domain),
        True,
        discovery=discovery,
        mail_dns=mail_dns(spf_record=txt(domain, spf)),
    )


class RecordedBackend:
    """Plans from canned evidence and counts how often each unit is probed."""

    name = "recorded"

    def __init__(self) -> None:
        self.probed: list[ProbeUnit] = []

    def plan(self, requests: Sequence[PlanRequest]) -> Iterator[tuple[int, Evidence | str]]:
        for index, request in enumerate(requests):
            yield index, _network(request.domain)

    def probe(
        self, units: Sequence[ProbeUnit], settings: ProbeSettings
    ) -> Iterator[tuple[int, tuple[EndpointEvidence, ...]]]:
        for index, unit in enumerate(units):
            self.probed.append(unit)
            yield (
                index,
                tuple(
                    EndpointEvidence(
                        k,
                        DialogResult(k.host, k.ip, k.port, k.proto, k.tls, "probe", "refused", "connection refused"),
                        TlsScan(k.host, k.ip, k.port, k.proto, k.tls, errors=("refused",), incomplete=("all",)),
                    )
                    for k in unit.keys
                ),
            )

    def close(self) -> None:
        return None


def _args(out_dir: Path) -> argparse.Namespace:
    return build_parser().parse_args(["fleet", "domains.txt", "--out-dir", str(out_dir), "-q"])


def test_fleet_probes_the_shared_mx_once_and_reports_each_domain(tmp_path: Path) -> None:
    args = _args(tmp_path)
    jobs = [ScanOptions(domain=d) for d in ("good.example", "bad.example", "other.example")]
    backend = RecordedBackend()
    maker = ReportMaker(report_request(vars(args)), Console(quiet=True))
    request = FleetRequest(domains=jobs, out_dir=tmp_path)
    outcome = run_fleet(request, backend, lambda ev: maker(ev, "2026-12-05T10:00:00+00:00"))

    assert [u.keys[0].text for u in backend.probed] == [f"{SHARED_MX}|192.0.2.25|25|smtp|starttls"]
    assert [d.domain for d in outcome.domains] == ["good.example", "bad.example", "other.example"]
    for job in jobs:
        report = report_from_json((tmp_path / f"{job.domain}.json").read_bytes())
        assert report.target == job.domain
        # The domain's evidence assembled on its own gives the same findings.
        alone = _network(job.domain)
        units = units_of(service_keys(alone))
        results = {item.key: item for _, batch in RecordedBackend().probe(units, ProbeSettings()) for item in batch}
        expected = maker(assemble(alone, results), "x")
        assert [(f.id, f.status, f.detail) for f in report.findings] == [
            (f.id, f.status, f.detail) for f in expected.findings
        ]
    bad = outcome.reports["bad.example"]
    assert any(f.check_id == "spf.record" and f.status.value == "fail" for f in bad.findings)

    summary = _summary(outcome, report_request(vars(args)), backend.name, "2026-12-05T10:00:00+00:00")
    assert fleet_from_json(fleet_to_json(summary)) == summary
    assert summary.endpoints[0].endpoint == f"{SHARED_MX}[192.0.2.25]:25" and summary.endpoints[0].domains == 3
    assert summary.by_check["spf.record"]["fail"] == 1
    assert any(c.domains_failed >= 1 for c in summary.by_clause)
    page = render_fleet_html(summary)
    assert XSS not in page and "&lt;script&gt;" in page

    # A rerun keeps every finished report and probes nothing.
    again = RecordedBackend()
    rerun = run_fleet(request, again, lambda ev: maker(ev, "later"))
    assert again.probed == [] and all(d.resumed for d in rerun.domains)
    assert rerun.reports["bad.example"] == outcome.reports["bad.example"]
