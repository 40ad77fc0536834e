#!/usr/bin/env bash
# Records of the hoster's customer domains (tests/lab/fleet/customers.sh).
set -euo pipefail
source "$LAB_DIR/fleet/customers.sh"
for n in $(seq "$FLEET_COUNT"); do fleet_records "$n"; done
