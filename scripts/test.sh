#!/usr/bin/env bash
# Set up everything (scripts/setup.sh), start the local lab, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Peers and tools the tests drive: testssl.sh (agreement test), Chromium (report screenshots).
( source tests/lab/lib.sh && lab_apt_install testssl.sh chromium poppler-utils )
bash scripts/distro-defaults.sh >/dev/null   # Debian package defaults for tests/hostroots (outside git)
bash tests/lab/up.sh
# Two lanes (tests/conftest.py lane_of): shared services and hostile peers run side by side.
exec .venv/bin/pytest -q -p no:cacheprovider -n 2 --durations=25 "$@"
