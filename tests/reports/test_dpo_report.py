"""The HTML report a DPO signs, rendered by headless Chromium for screen and for print.

The demo's full audit (lab domain + drifted host root + German statement) must come out
in German, with the verdict, the claim-vs-evidence table, remediation, the clause
coverage and the audit metadata visible both on screen and on paper.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.cli import main

STATEMENT = Path(__file__).resolve().parents[1] / "lab" / "statement" / "datenschutz.md"


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: run the README's test command, which installs it")
    return path


@pytest.fixture(scope="module")
def dpo_report(lab, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("dpo") / "bericht.html"
    hostroot = Path(lab.data["hostroot"]["drifted"]) if "hostroot" in lab.data else lab.root / "run/hostroot/drifted"
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "scan",
                "good.lab.test",
                "--resolver",
                lab.resolver,
                "--ca-file",
                str(lab.ca_file),
                "--trust-anchor",
                str(lab.trust_anchor),
                "--statement",
                str(STATEMENT),
                "--host-root",
                str(hostroot),
                "-o",
                str(out),
                "-q",
            ]
        )
    assert exited.value.code == 1  # the drifted host contradicts the statement
    return out


def _flags(tmp: Path) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp}",
    ]


def test_screen_rendering_is_german_and_shows_the_essentials(dpo_report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "screen.png"
    subprocess.run(
        [_chromium(), *_flags(tmp_path / "p1"), "--window-size=1280,3000", f"--screenshot={shot}", dpo_report.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert shot.stat().st_size > 50_000
    dom = subprocess.run(
        [_chromium(), *_flags(tmp_path / "p2"), "--dump-dom", dpo_report.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    for text in (
        "Datenschutz-Prüfung des Mail-Dienstes",
        "Mängel gefunden",
        "Was die Datenschutzerklärung verspricht",
        "sieben Tage lang in Logdateien",
        "retention.mail",
        "Abhilfe",
        "Abdeckung der Vorschriften",
        "In dieser Prüfung nicht untersucht",
        "sha256",
        "bsi-tr-02102-2",
    ):
        assert text in dom, text


def test_print_rendering_keeps_verdict_claims_and_remediation(dpo_report: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "bericht.pdf"
    subprocess.run(
        [_chromium(), *_flags(tmp_path / "p3"), "--no-pdf-header-footer", f"--print-to-pdf={pdf}", dpo_report.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, timeout=60, capture_output=True, text=True
    ).stdout
    pages = text.count("\f")
    assert pages >= 2
    flat = " ".join(text.split())
    for needle in (
        "Mängel gefunden",
        "Was die Datenschutzerklärung verspricht",
        "Abhilfe",
        "Art. 5",
        "retention.mail",
        "Nachweis",
        "Freigabe",
        "Name und Funktion",
        "Unterschrift",
    ):
        assert needle in flat, needle
    # The print stylesheet spells out link targets so a paper copy keeps the sources.
    assert "(https://" in flat
