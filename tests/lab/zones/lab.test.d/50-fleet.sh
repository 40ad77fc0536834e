#!/usr/bin/env bash
# Records of the hoster's customer domains (tests/lab/fleet/customers.sh).
set -euo pipefail
source "$LAB_DIR/fleet/customers.sh"
for ((n = 1; n <= FLEET_COUNT; n++)); do fleet_records "$n"; done
