"""No leaking: planted secrets and password hashes appear in no output, not even in part.

A host root carries DB passwords (Dovecot ``connect``, Postfix ``*sql*.cf``, Roundcube
``db_dsnw``, Nextcloud ``dbpassword``), keys (Roundcube ``des_key``, Nextcloud
``secret``/``passwordsalt``, a PEM private key, a borgmatic passphrase) and a SQLite user
database of password hashes; the report is mailed with an SMTP password from an
environment variable. Every report format, the evidence bundle, stdout and stderr are
searched for every 8-character window of every secret and hash.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

from auditor.collectors.host.collect import collect_host
from auditor.evidence import evidence_from_json, evidence_to_json
from tests.conftest import LabInfo
from tests.hardening.hostile_smtp import run_auditor
from tests.hardening.planted import find_leaks, plant, token

FORMATS = ("json", "html", "sarif", "xml", "md")


def _outputs(directory: Path, stem: str) -> list[str]:
    args: list[str] = []
    for ext in FORMATS:
        args += ["-o", str(directory / f"{stem}.{ext}")]
    return args


def _haystacks(directory: Path, run_stdout: str, run_stderr: str) -> dict[str, str]:
    stacks = {"stdout": run_stdout, "stderr": run_stderr}
    for path in sorted(directory.iterdir()):
        if path.is_file():
            stacks[path.name] = path.read_text(encoding="utf-8", errors="replace")
    return stacks


def test_scan_with_planted_secrets_leaks_nothing(lab: LabInfo, tmp_path: Path) -> None:
    planted = plant(lab.root, tmp_path / "root")
    smtp_password = token("sm")
    planted.secrets["smtp-password"] = smtp_password
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, AUDITOR_HARDENING_SMTP_PW=smtp_password)
    run = run_auditor(
        [
            "scan",
            "--no-network",
            "--host-root",
            str(planted.root),
            "--statement",
            str(lab.root / "statement" / "datenschutz.md"),
            "--evidence-out",
            str(out / "bundle.json"),
            *_outputs(out, "report"),
            "--show-passed",
            "--resolver",
            lab.resolver,
            "--mail-to",
            "dpo@good.lab.test",
            "--mail-from",
            "auditor@good.lab.test",
            "--smtp-server",
            "mx.clean.lab.test:587",
            "--smtp-user",
            "auditor@good.lab.test",
            "--smtp-password-env",
            "AUDITOR_HARDENING_SMTP_PW",
            "--smtp-ca-file",
            str(lab.ca_file),
        ],
        timeout=120,
        env=env,
    )
    print(f"scan: exit {run.code}, wall {run.wall:.1f} s, peak RSS {run.peak_mib:.0f} MiB")
    assert run.code in (0, 1, 3, 4), run.stderr
    assert "Traceback" not in run.stderr
    stacks = _haystacks(out, run.stdout, run.stderr)
    assert set(stacks) >= {f"report.{e}" for e in FORMATS} | {"bundle.json"}
    leaks = find_leaks(planted.needles(), stacks)
    assert not leaks, "\n".join(leaks)
    # Guard: the host root was really read (else "nothing leaked" proves nothing).
    bundle = json.loads(stacks["bundle.json"])
    assert bundle.get("host"), "--host-root was not read into the evidence (host collection not wired into scan?)"
    assert bundle["host"]["databases"], "the user database was not inventoried"


def test_host_evidence_with_planted_secrets_leaks_nothing(lab: LabInfo, tmp_path: Path) -> None:
    """The host collector's evidence, saved and re-rendered by ``auditor evaluate`` in every format."""
    planted = plant(lab.root, tmp_path / "root")
    out = tmp_path / "out"
    out.mkdir()
    # A bundle from the lab (statement claims, network evidence) with this host's evidence in it.
    seed = out / "seed.json"
    run = run_auditor(
        [
            "scan",
            "--no-network",
            "--statement",
            str(lab.root / "statement" / "datenschutz.md"),
            "--evidence-out",
            str(seed),
            "-q",
        ],
        timeout=60,
    )
    assert run.code in (0, 1, 4), run.stderr
    evidence = evidence_from_json(seed.read_bytes())
    host = collect_host(planted.root, collected_at=evidence.now)
    assert host.databases and host.config_files, "guard: the planted root was not read"
    bundle = out / "bundle.json"
    bundle.write_bytes(evidence_to_json(replace(evidence, host=host)))
    seed.unlink()
    run = run_auditor(["evaluate", str(bundle), *_outputs(out, "report"), "--show-passed"], timeout=60)
    print(f"evaluate: exit {run.code}, wall {run.wall:.1f} s")
    assert run.code in (0, 1, 4), run.stderr
    stacks = _haystacks(out, run.stdout, run.stderr)
    leaks = find_leaks(planted.needles(), stacks)
    assert not leaks, "\n".join(leaks)
    # Guard: host findings were rendered (retention/hashing/config checks saw the evidence).
    report = json.loads(stacks["report.json"])
    assert (
        any(
            f["check_id"].startswith(("hashing.", "config.", "retention.")) and f["status"] != "skipped"
            for f in report["findings"]
        )
        or host.pass_schemes
    )


def test_the_leak_detector_detects() -> None:
    """The search itself: a secret cut down to 8 characters inside other text is found."""
    needles = {"pw": "Zq8-kLm2-Xy7w-Pp0d"}
    assert find_leaks(needles, {"r": "prefix Lm2-Xy7 suffix"}) == []  # 7 characters: not counted
    assert find_leaks(needles, {"r": "prefix kLm2-Xy7 suffix"})
