#!/usr/bin/env bash
# Set up, start the local lab, and audit the lab's mail domain like a DPO would: its
# network services, its host (a snapshot whose configuration drifted from the privacy
# statement) and its German privacy statement. Writes report.html and report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash tests/lab/up.sh
rc=0
.venv/bin/auditor scan good.lab.test \
  --resolver 127.0.53.1 --ca-file tests/lab/run/ca/ca.pem --trust-anchor tests/lab/run/dns/lab.test.ds \
  --statement tests/lab/statement/datenschutz.md \
  --host-root tests/lab/run/hostroot/drifted \
  -o report.html -o report.json || rc=$?
echo "auditor exited with $rc (0 clean, 1 findings at/above --fail-on, 3 could not run, 4 incomplete; see README)"
[ -s report.html ] && [ -s report.json ] || { echo "demo failed: no report written" >&2; exit 1; }
echo "open report.html in a browser"
