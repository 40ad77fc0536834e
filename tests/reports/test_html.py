"""The HTML report: escaped, self-contained, bilingual, and really rendered by a browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from auditor.reports.html import render_html

from auditor.claims import extract_claims, statement_from_bytes
from auditor.cli import main
from auditor.metadata import packaged_metadata
from auditor.registry import load_checks
from auditor.report import build_report
from auditor.runner import evaluate
from tests.checks.evidence_factory import evidence, mail_dns, txt

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(2)>')


class _Resources(HTMLParser):
    """Collects every attribute that would make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetching: list[tuple[str, str, str]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in ("src", "srcset", "poster", "data") or (name == "href" and tag == "link"):
                self.fetching.append((tag, name, value or ""))
            if name.startswith("on"):
                self.fetching.append((tag, name, value or ""))


def report_html(lang: str = "en") -> str:
    hostile = mail_dns(spf_record=txt("example.org", f"v=spf1 {PAYLOADS[0]} {PAYLOADS[1]} +all"))
    ev = evidence(mail_dns=hostile)
    findings = evaluate(load_checks(packaged_metadata()), ev, lang=lang)
    return render_html(build_report(ev, findings, profile="bsi-tr-02102-2", lang=lang))


def test_hostile_strings_are_escaped_and_nothing_is_fetched() -> None:
    html = report_html()
    for payload in PAYLOADS:
        assert payload not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    parser = _Resources()
    parser.feed(html)
    assert parser.scripts == 0 and parser.fetching == []
    assert "default-src 'none'" in html
    assert not re.search(r"url\(\s*['\"]?https?:", html)


def test_german_report_uses_german_labels_and_titles() -> None:
    html = report_html("de")
    assert 'lang="de"' in html and "Zusammenfassung" in html and "SPF beschränkt die zulässigen Absender" in html
    assert "Freigabe" in html and "Unterschrift" in html


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: run the README's test command, which installs it")
    return path


# Chromium labels every request with a traffic annotation; the one below marks requests a
# page's own resources make (Blink's resource loader). Browser-internal traffic (update
# checks, time sync) carries other annotations and is not the report's doing.
_PAGE_ANNOTATION = 101845102


def _flags(tmp_path: Path, name: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        f"--user-data-dir={tmp_path / ('profile-' + name)}",
        "--window-size=1280,2200",
    ]


def _page_requests(tmp_path: Path, page: Path, name: str) -> list[str]:
    netlog = tmp_path / f"netlog-{name}.json"
    subprocess.run(
        [_chromium(), *_flags(tmp_path, name), f"--log-net-log={netlog}", "--dump-dom", page.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
    )
    found = re.findall(r'"traffic_annotation":(\d+),"url":"([^"]+)"', netlog.read_text())
    return sorted({url for annotation, url in found if int(annotation) == _PAGE_ANNOTATION})


def test_browser_renders_lab_report_without_any_network_request(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "report.html"
    with pytest.raises(SystemExit):
        main(
            [
                "scan",
                "xss.lab.test",
                "--resolver",
                lab.resolver,
                "--ca-file",
                str(lab.ca_file),
                "-o",
                str(report),
                "-o",
                str(tmp_path / "report.json"),
                "-q",
            ]
        )
    html = report.read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    shot = tmp_path / "shot.png"
    subprocess.run(
        [_chromium(), *_flags(tmp_path, "a"), f"--screenshot={shot}", report.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert shot.stat().st_size > 10_000
    dom = subprocess.run(
        [_chromium(), *_flags(tmp_path, "b"), "--dump-dom", report.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    assert "xss.lab.test" in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script>alert(1)" not in dom
    # Positive control: the detector must see a page's external request when there is one.
    control = tmp_path / "control.html"
    control.write_text('<html><body><img src="http://198.51.100.7/x.png">control</body></html>')
    assert _page_requests(tmp_path, control, "c") == ["http://198.51.100.7/x.png"]
    external = _page_requests(tmp_path, report, "d")
    assert external == [], f"the report made network requests: {external}"


@pytest.mark.parametrize(("lang", "label"), [("en", "not checked"), ("de", "nicht geprüft")])
def test_a_claim_no_check_examined_says_so(lang: str, label: str) -> None:
    text = "Your data is never shared with third parties.\n\nWe store the server logs for seven days."
    claims = extract_claims(statement_from_bytes(text.encode(), "statement.md"))
    assert [c.kind for c in claims.claims][:1] == ["transfer"]
    ev = evidence(claims=claims)
    findings = evaluate(load_checks(packaged_metadata()), ev, lang=lang)
    html = render_html(build_report(ev, findings, profile="bsi-tr-02102-2", lang=lang))
    claims_table = html[html.index('id="claims"') : html.index('id="findings"')]
    transfer_row = claims_table[claims_table.index("third parties") :].split("</tr>")[0]
    assert label in transfer_row


def test_sentences_the_reader_did_not_understand_are_listed_for_review() -> None:
    text = "We store the server logs for seven days.\n\nBackups are rotated on a schedule agreed with the board."
    claims = extract_claims(statement_from_bytes(text.encode(), "statement.md"))
    assert claims.not_understood, "fixture must contain a privacy-relevant sentence the rules do not read"
    ev = evidence(claims=claims)
    report = build_report(ev, evaluate(load_checks(packaged_metadata()), ev), profile="bsi-tr-02102-2", lang="de")
    assert report.statement_not_understood == tuple(s.text for s in claims.not_understood)
    html = render_html(report)
    listed = html[html.index('id="not-understood"') : html.index('id="findings"')]
    assert "Datenschutzrelevante Sätze ohne erkannte Aussage" in listed
    assert "agreed with the board" in listed


def test_claims_show_their_confidence_and_the_weakest_come_first() -> None:
    text = (
        "Mail server logs\n\nThey are deleted after seven days.\n\n"
        "Web server access logs are kept for 14 days.\n\nThese records are removed after ten days."
    )
    claims = extract_claims(statement_from_bytes(text.encode(), "statement.md"))
    assert {(c.subject, c.confidence) for c in claims.claims if c.kind == "retention"} == {
        ("mail-metadata-logs", "low"),
        ("web-access-logs", "high"),
        ("web-access-logs", "medium"),
    }
    ev = evidence(claims=claims)
    findings = evaluate(load_checks(packaged_metadata()), ev)
    html = render_html(build_report(ev, findings, profile="bsi-tr-02102-2", lang="en"))
    table = html[html.index('id="claims"') : html.index('id="findings"')]
    assert table.index("conf c-low") < table.index("conf c-medium") < table.index("conf c-high")
    assert "taken from the heading" in table
