#!/usr/bin/env bash
# A signed zone whose delegation is bogus (the lab root's DS names a key this zone does
# not have): a validator must call its records bogus, and a validating resolver answers
# SERVFAIL. The TLSA pin itself is correct (the clean host's key), so only DNSSEC is wrong.
set -euo pipefail
source "$LAB_DIR/lib.sh"
source "$LAB_DIR/mail/certs.sh"
mail_issue_certs
printf '@ MX 10 mx\nmx A %s\n@ TXT "v=spf1 mx -all"\n' "$LAB_MAIL_IP"
printf '_25._tcp.mx TLSA 3 1 1 %s\n' "$(mail_spki_sha256 "$LAB_CERTS/$MAIL_CERT_CLEAN.pem")"
