"""No injection: markup from every untrusted source comes out inert in every report format.

One run, end to end through the CLI, where each string source carries
``<script>alert(1)</script>`` and ``"><img src=x onerror=alert(2)>``: the SMTP banner
and EHLO lines, the certificate subject and SAN, DNS TXT records (SPF, DMARC, TLS-RPT,
the MTA-STS id), the MTA-STS policy body, a config value in the host root and the
privacy statement's text. A few control characters ride along (ESC, BEL in the banner
and a TXT record), since XML 1.0 cannot carry them.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import LabInfo
from tests.hardening.hostile_servers import dns_server, https_server_at, make_ca_and_certs, zone_behaviour
from tests.hardening.hostile_smtp import hostile_server, run_auditor, scripted_smtp, server_context
from tests.hardening.planted import plant

P1 = "<script>alert(1)</script>"
P2 = '"><img src=x onerror=alert(2)>'
DNS_IP, MX_IP, WEB_IP = "127.0.56.53", "127.0.56.25", "127.0.56.80"
D = "inject.test"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

ZONE = {
    (D, "MX"): [f"10 mx.{D}."],
    (f"mx.{D}", "A"): [MX_IP],
    (D, "TXT"): [f'"v=spf1 ip4:{MX_IP} \\027\\007 {P1} -all"'],
    (f"_dmarc.{D}", "TXT"): ['"v=DMARC1; p=none; rua=mailto:\\"><img src=x onerror=alert(2)>@inject.test"'],
    (f"_mta-sts.{D}", "TXT"): [f'"v=STSv1; id={P1};"'],
    (f"mta-sts.{D}", "A"): [WEB_IP],
    (f"_smtp._tls.{D}", "TXT"): [f'"v=TLSRPTv1; rua=mailto:{P1}@inject.test"'],
}
POLICY = f"version: STSv1\nmode: {P1}\nmx: {P2}\nmx: {P1}.{D}\nmax_age: 86400\n".encode()


class _Policy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(POLICY)))
        self.end_headers()
        self.wfile.write(POLICY)

    def log_message(self, *args: object) -> None:
        return


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _statement(lab: LabInfo, path: Path) -> Path:
    text = (lab.root / "statement" / "datenschutz.md").read_text(encoding="utf-8")
    text = text.replace("speichern unsere Mailserver sieben", f"speichern unsere Mailserver {P1} {P2} sieben", 1)
    text += f"\n\n## Kontakt {P1}\n\nSchreib uns: [Kontakt {P2}](javascript:alert(3)) {P1}\n"
    assert P1 in text
    path.write_text(text, encoding="utf-8")
    return path


class Scan:
    def __init__(self, out: Path, stdout: str, stderr: str) -> None:
        self.out, self.stdout, self.stderr = out, stdout, stderr

    def text(self, ext: str) -> str:
        return (self.out / f"r.{ext}").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scan(lab: LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Scan:
    """One scan in which every string source carries the payloads."""
    tmp_path = tmp_path_factory.mktemp("inject")
    ca, certs = make_ca_and_certs(
        tmp_path,
        {
            "mta-sts": (f"mta-sts.{D}", [f"mta-sts.{D}"]),
            "mx": (f"{P1}{P2}", [f"mx.{D}", P1, P2]),
        },
    )
    banner = f"220 mx.{D} ESMTP {P1} {P2} \x1b[31m\x07".encode()
    ehlo = [P1.encode(), P2.encode(), b"X-\x1b[2J" + P1.encode(), b"AUTH PLAIN LOGIN"]
    planted = plant(lab.root, tmp_path / "root", value=P1 + P2)
    statement = _statement(lab, tmp_path / "statement.md")
    out = tmp_path / "out"
    out.mkdir()
    with (
        dns_server(DNS_IP, zone_behaviour(ZONE)),
        https_server_at(WEB_IP, 443, *certs["mta-sts"], _Policy),
        hostile_server(MX_IP, 25, scripted_smtp(banner, ehlo, server_context(*certs["mx"]))) as mx,
    ):
        run = run_auditor(
            [
                "scan",
                D,
                "--resolver",
                DNS_IP,
                "--ca-file",
                str(ca),
                "--timeout",
                "40",
                "--host-root",
                str(planted.root),
                "--statement",
                str(statement),
                "--evidence-out",
                str(out / "bundle.json"),
                "--show-passed",
                "--skip",
                "tls.vulnerabilities",
                "--skip",
                "tls.cipher-suites",
                *[a for ext in ("html", "json", "sarif", "xml", "md") for a in ("-o", str(out / f"r.{ext}"))],
            ],
            timeout=120,
        )
        assert mx.accepted, "the payload SMTP server was never contacted"
    print(f"injection scan: exit {run.code}, wall {run.wall:.1f} s, peak RSS {run.peak_mib:.0f} MiB")
    assert run.code in (0, 1, 4), run.stderr
    assert "Traceback" not in run.stderr
    return Scan(out, run.stdout, run.stderr)


def test_json_and_sarif_parse_and_carry_the_payload_as_data(scan: Scan) -> None:
    report = json.loads(scan.text("json"))
    sarif = json.loads(scan.text("sarif"))
    dumped = json.dumps(report, ensure_ascii=False)
    assert P1 in dumped and P2 in dumped, "the payloads did not reach the report at all (the other tests prove nothing)"
    assert P1 in json.dumps(sarif, ensure_ascii=False)
    carried = {
        source: any(
            marker in (f["subject"] + f["detail"] + json.dumps(f.get("observations", []))).lower()
            for f in report["findings"]
            if f["check_id"].startswith(prefix)
        )
        for source, prefix, marker in (
            ("banner/EHLO", "starttls.", "alert"),
            ("SPF TXT", "spf.", "alert"),
            ("DMARC TXT", "dmarc.", "onerror"),
            ("MTA-STS", "mta-sts.", "alert"),
            ("certificate", "tls.certificate", "alert"),
            ("statement", "statement.", "alert"),
        )
    }
    print("payload carried into findings per source:", carried)
    assert sum(carried.values()) >= 3, carried


def test_html_has_no_element_or_handler_from_the_payload(scan: Scan) -> None:
    html = scan.text("html")
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert not [t for t, _ in parser.tags if t in ("script", "img", "iframe", "object", "embed")]
    handlers = [(t, a) for t, attrs in parser.tags for a, _ in attrs if a.lower().startswith("on")]
    assert not handlers, handlers
    assert not [v for _, attrs in parser.tags for _, v in attrs if v and "javascript:" in v.lower()]
    assert P1 in "".join(parser.text), "the payload is not shown as text in the HTML"


def test_html_carries_no_raw_control_characters(scan: Scan) -> None:
    """Server text (EHLO lines, TXT records) with ESC/BEL must not reach the HTML raw."""
    html = scan.text("html")
    found = [repr(html[max(m.start() - 60, 0) : m.end() + 20]) for m in CONTROL.finditer(html)]
    assert not found, "\n".join(found[:5])


def test_junit_is_well_formed_xml(scan: Scan) -> None:
    junit = scan.text("xml")
    assert not CONTROL.search(junit), repr(CONTROL.search(junit))
    root = ET.fromstring(junit)
    assert P1 in "".join(root.itertext()) + "".join(v for el in root.iter() for v in el.attrib.values())


def test_markdown_is_inert(scan: Scan) -> None:
    markdown = scan.text("md")
    assert "alert" in markdown, "guard: the payload did not reach the Markdown summary"
    assert "<script" not in markdown.lower() and "<img" not in markdown.lower()
    assert "](javascript:" not in markdown.lower().replace(" ", "")
    assert not CONTROL.search(markdown)


def test_terminal_output_carries_no_escape_sequences(scan: Scan) -> None:
    assert "\x1b[2J" not in scan.stdout and "\x1b[31m" not in scan.stdout and "\x07" not in scan.stdout
