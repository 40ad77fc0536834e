"""Client-side discovery against the lab: clients.lab.test has autoconfig, Autodiscover
and a webmail on nginx (127.0.80.1); its mail host mail.clients.lab.test answers no HTTPS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.collectors.clientconfig import discover_client_side, merge_endpoints
from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.deadline import Deadline

DOMAIN = "clients.lab.test"
STATEMENT = (
    "Ihr Postfach erreichen Sie auch ueber unser Webmail (Roundcube) unter https://webmail.clients.lab.test/ ; "
    "Administratoren nutzen die Weboberflaeche unter https://127.0.80.1/admin."
)


def test_every_client_side_source_is_found_and_named(lab) -> None:  # type: ignore[no-untyped-def]
    dns = DnsClient(ResolverSpec.parse(lab.resolver))
    found, fetches = discover_client_side(
        DOMAIN, dns, ca_file=str(lab.ca_file), deadline=Deadline.after(60), statement_text=STATEMENT
    )
    by_source = {(e.source, e.host, e.port, e.proto, e.tls) for e in found}
    mail = f"mail.{DOMAIN}"
    assert {
        ("autoconfig", mail, 993, "imaps", "implicit"),
        ("autoconfig", mail, 587, "submission", "starttls"),
        ("autodiscover", mail, 995, "pop3s", "implicit"),
        ("autodiscover", mail, 465, "submissions", "implicit"),
        ("statement", f"webmail.{DOMAIN}", 443, "https", "implicit"),
        ("statement", "127.0.80.1", 443, "https", "implicit"),
        ("name", f"webmail.{DOMAIN}", 443, "https", "implicit"),
        ("mta-sts-site", f"post.{DOMAIN}", 443, "https", "implicit"),
    } <= by_source, by_source
    # Both autoconfig places and both Autodiscover places answered.
    assert sum(1 for e in found if e.source == "autoconfig") == 4
    assert sum(1 for e in found if e.source == "autodiscover") == 4
    # mail.<domain> resolves but answers no HTTPS: no webmail there.
    assert not any(e.source == "name" and e.host == mail for e in found)
    for endpoint in found:
        assert endpoint.addresses and endpoint.via, endpoint
    ip_literal = next(e for e in found if e.host == "127.0.80.1")
    assert ip_literal.addresses == ("127.0.80.1",) and ip_literal.lookup_errors == ()
    assert len(fetches) == 7 and sum(f.ok for f in fetches) >= 5
    merged = merge_endpoints((), found)
    assert len({(e.host, e.port) for e in merged}) == len(merged) == 7


def test_scan_examines_the_discovered_webmail(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """End to end: ``auditor scan`` finds the webmail the statement names and grades it."""
    statement = tmp_path / "statement.md"
    statement.write_text(f"# Datenschutz\n\n{STATEMENT}\n", encoding="utf-8")
    out, bundle = tmp_path / "report.json", tmp_path / "evidence.json"
    with pytest.raises(SystemExit):
        main(["scan", DOMAIN, "--resolver", lab.resolver, "--ca-file", str(lab.ca_file), "--timeout", "120",
              "--statement", str(statement), "--only", "https.webmail", "-o", str(out),
              "--evidence-out", str(bundle), "-q"])  # fmt: skip
    report = json.loads(out.read_text())
    webmail = [f for f in report["findings"] if f["check_id"] == "https.webmail" and "webmail." in f["subject"]]
    assert webmail and all(f["status"] == "pass" for f in webmail), webmail
    endpoints = json.loads(bundle.read_text())["discovery"]["endpoints"]
    sources = {(e["source"], e["host"], e["port"]) for e in endpoints}
    assert ("statement", f"webmail.{DOMAIN}", 443) in sources and ("autoconfig", f"mail.{DOMAIN}", 993) in sources
    assert all(e["via"] for e in endpoints), endpoints
