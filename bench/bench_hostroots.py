#!/usr/bin/env python3
"""Summary: every host root of tests/hostroots audited, findings by status, expected found/missed (not a test).

Each root is assembled (corpus read in place, Debian packages from scripts/distro-defaults.sh)
into a temporary directory and audited by all host checks with the shared claims file, as
``auditor scan --no-network --host-root ROOT --claims tests/hostroots/claims.yaml`` would.
Prints a Markdown table, then per root the expected findings missed and the fails nobody
expected; ``--write`` stores it as bench/hostroots.md.

Run:  .venv/bin/python bench/bench_hostroots.py [--write] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostroots import assemble  # noqa: E402

STATUSES = ("pass", "fail", "warn", "error", "skipped")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the summary to bench/hostroots.md")
    parser.add_argument("--verbose", action="store_true", help="list every finding")
    args = parser.parse_args()
    lines = [
        "| root | stack | " + " | ".join(STATUSES) + " | expected found | missed | unexpected fails | "
        "max findings per template file | s |",
        "|" + "---|" * (len(STATUSES) + 7),
    ]
    details: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for manifest in assemble.manifests():
            started = time.monotonic()
            root = assemble.assemble(manifest, Path(tmp) / manifest.name)
            findings = assemble.audit(root, assemble.claims(manifest))
            took = time.monotonic() - started
            score = assemble.score(manifest, findings)
            per_file = max(assemble.findings_per_file(root, findings).values(), default=0) if manifest.template else "-"
            counts = " | ".join(str(score.by_status.get(s, 0)) for s in STATUSES)
            stack = manifest.stack.split(":")[0].split(".")[0][:60]
            found = f"{len(score.found)}/{len(manifest.expected)}"
            lines.append(
                f"| {manifest.name} | {stack} | {counts} | {found} | {len(score.missed)} | "
                f"{len(score.unexpected_fails)} | {per_file} | {took:.2f} |"
            )
            for e in score.missed:
                details.append(f"- {manifest.name}: MISSED {e}" + (f" ({e.why})" if e.why else ""))
            for f in score.unexpected_fails:
                details.append(f"- {manifest.name}: UNEXPECTED FAIL {f.check_id} {f.subject}: {f.detail[:160]}")
            if args.verbose:
                details += [
                    f"  - {manifest.name} [{f.status.value}] {f.check_id} {f.subject}: {f.detail[:160]}"
                    for f in findings
                ]
    text = "\n".join(lines + [""] + (details or ["No expected finding missed, no unexpected fail."])) + "\n"
    print(text)
    if args.write:
        out = Path(__file__).resolve().parent / "hostroots.md"
        out.write_text("# Host roots from the wild: findings per root (bench/bench_hostroots.py)\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
