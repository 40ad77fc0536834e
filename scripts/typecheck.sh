#!/usr/bin/env bash
# mypy --strict on the package as it is installed: checks/ and reports/ are auditor.checks and
# auditor.reports (pyproject's package-dir), which mypy cannot follow by itself. So lay the
# package out in a temporary directory (symbolic links, nothing copied) and check that.
# Usage: bash scripts/typecheck.sh [extra mypy arguments]
set -euo pipefail
project="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$project/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/auditor"
for entry in "$project"/auditor/*; do
  [ "$(basename "$entry")" = "__pycache__" ] || ln -s "$entry" "$work/auditor/$(basename "$entry")"
done
ln -s "$project/checks" "$work/auditor/checks"
ln -s "$project/reports" "$work/auditor/reports"
cd "$work"
"$python" -m mypy --config-file "$project/pyproject.toml" --cache-dir "$work/.mypy_cache" "$@" -p auditor
