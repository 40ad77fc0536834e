#!/usr/bin/env bash
# Publish the hoster's customer domains (tests/lab/fleet/customers.sh) for tests and the
# fleet benchmark: run/lab.d/fleet.json = {"fleet": {"zone": ..., "domains": {name: defect}}}.
# The records themselves are a zone fragment (zones/lab.test.d/50-fleet.sh). No daemon.
#
# Usage: 50-fleet.sh up|down
source "$(dirname "$0")/../lib.sh"
source "$LAB_DIR/fleet/customers.sh"

up() {
  local n
  for ((n = 1; n <= FLEET_COUNT; n++)); do fleet_customer "$n"; printf '%s\t%s\n' "$FLEET_NAME" "$FLEET_KIND"; done \
    | jq -R -n --arg zone "$FLEET_ZONE" '{fleet: {zone: $zone, domains: ([inputs | split("\t") | {(.[0]): .[1]}] | add)}}' \
    | lab_write_if_changed "$LAB_RUN/lab.d/fleet.json" || true
}

down() { :; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
