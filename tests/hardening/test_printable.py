"""Names and text chosen by others never drive the terminal, and never break the bundle.

A host root whose file names carry terminal escapes (``ESC[2J`` clears the screen,
``ESC[8m`` hides text) or bytes that are not UTF-8, a user database whose table names
do the same, and a statement with escapes in its sentences: the terminal summary, the
``auditor claims`` table, the Markdown and JUnit reports hold no control character,
and the evidence bundle is written (with the odd bytes as visible escapes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

from tests.hardening.hostile_smtp import run_auditor

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hostroot"
CLEAR, HIDE = "\x1b[2J", "\x1b[8m"
C1 = "\x9b31m"  # CSI as one C1 character
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _hostile_root(base: Path) -> tuple[Path, Path]:
    root = base / "root"
    shutil.copytree(FIXTURES, root, symlinks=True)
    logs = root / "var" / "log"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"mail{CLEAR}.log").write_text("Jan  1 00:00:00 mx postfix/smtpd[1]: connect\n")
    os.mkdir(os.fsencode(logs) + b"/odd\xff\xfe")
    (Path(os.fsdecode(os.fsencode(logs) + b"/odd\xff\xfe")) / "mail.log").write_text("x\n")
    rotate = root / "etc" / "logrotate.d"
    (rotate / f"evil{HIDE}").write_text(f"/var/log/mail{CLEAR}.log {{\n  rotate 400\n  daily\n}}\n")
    with open(os.fsencode(rotate) + b"/latin1-\xe9t\xe9", "w") as handle:
        handle.write("/var/log/odd\xff.log {\n  rotate 3\n  weekly\n}\n")
    database = base / "users.sqlite"
    with sqlite3.connect(database) as conn:
        conn.execute(f'CREATE TABLE "mailbox{CLEAR}" (username TEXT, password TEXT, "name{C1}" TEXT)')
        conn.execute(f'INSERT INTO "mailbox{CLEAR}" VALUES (?, ?, ?)', ("a@example.org", "{SHA512-CRYPT}$6$x", "A"))  # noqa: S608 (a constant name)
    return root, database


def _statement(base: Path) -> Path:
    path = base / "statement.md"
    path.write_text(
        f"# Datenschutz{CLEAR}\n\nMail-Logdateien werden{HIDE} sieben Tage gespeichert.\n\n"
        f"Server logs are kept for 30 days{C1} and then deleted.\n\n"
        + "Wir verarbeiten personenbezogene Daten nur, soweit es für den Betrieb nötig ist.\n"
        * 6
    )
    return path


def _assert_clean(name: str, text: str) -> None:
    found = CONTROL.findall(text.replace("\n", "").replace("\t", "").replace("\r", ""))
    assert not found, f"{name} holds control characters {sorted(set(found))!r}"


def test_hostile_names_reach_no_terminal_and_no_report(tmp_path: Path) -> None:
    root, database = _hostile_root(tmp_path)
    statement = _statement(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    run = run_auditor(
        [
            "scan",
            "--no-network",
            "--host-root",
            str(root),
            "--db",
            f"sqlite:///{database}",
            "--statement",
            str(statement),
            "--evidence-out",
            str(out / "bundle.json"),
            "--show-passed",
            "-o",
            str(out / "r.md"),
            "-o",
            str(out / "r.xml"),
            "-o",
            str(out / "r.json"),
        ],
        timeout=120,
    )
    print(f"exit {run.code}, wall {run.wall:.1f} s, peak RSS {run.peak_mib:.0f} MiB")
    assert run.code in (0, 1, 4), f"exit {run.code}:\n{run.stderr}"
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    _assert_clean("the terminal summary", run.stdout + run.stderr)
    _assert_clean("the Markdown report", (out / "r.md").read_text())
    _assert_clean("the JUnit report", (out / "r.xml").read_text())
    bundle = (out / "bundle.json").read_text()
    json.loads(bundle)
    # The odd names are kept visibly, so the DPO can find the files.
    assert "\\\\x1b[2J" in bundle and "latin1-\\\\xe9t\\\\xe9" in bundle, "escaped names missing from the bundle"
    assert "mailbox" in run.stdout, "the hostile table name is not shown at all: nothing was tested"


def test_claims_table_holds_no_terminal_escapes(tmp_path: Path) -> None:
    statement = _statement(tmp_path)
    run = run_auditor(["claims", str(statement), "-o", str(tmp_path / "claims.yaml")], timeout=60)
    assert run.code == 0, run.stderr
    _assert_clean("the claims table", run.stdout + run.stderr)
    _assert_clean("the claims file", (tmp_path / "claims.yaml").read_text())
    assert "sieben Tage" in run.stdout
