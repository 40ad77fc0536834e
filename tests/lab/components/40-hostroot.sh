#!/usr/bin/env bash
# Host-root snapshots for the host-evidence audit (issue 5): two unpacked "/" trees of
# the same Debian mail host mx1.good.lab.test, built by tests/lab/hostroot/build.py.
#
#   run/hostroot/drifted/    configuration drifted from tests/lab/statement/datenschutz.md
#                            (33-day-old mail logs, MD5-CRYPT hashes, weak Postfix/Dovecot ...)
#   run/hostroot/compliant/  the same host keeping every promise of the statement
#
# Postfix/Dovecot settings come from the weak and clean lab instances rendered by
# 30-mail.sh (from its templates when that has not run). Log dates are relative to the
# build time: up rebuilds when the snapshots are older than 6 hours or the builder or
# the mail configs changed, and is a quick no-op otherwise. Both roots contain planted
# secrets (see run/lab.d/hostroot.json) that must never appear in any report.
#
# Usage: 40-hostroot.sh up|down      (down keeps the snapshots: they are data, not daemons)
source "$(dirname "$0")/../lib.sh"

python_bin() {
  local venv="$LAB_DIR/../../.venv/bin/python"
  if [ -x "$venv" ]; then echo "$venv"; else command -v python3 || lab_die "python3 not found"; fi
}

up() {
  "$(python_bin)" "$LAB_DIR/hostroot/build.py" --lab-dir "$LAB_DIR" --lab-run "$LAB_RUN" \
    --out "$LAB_RUN/hostroot" || lab_die "building the host roots failed"
}

down() { :; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
