#!/usr/bin/env bash
# A correct TLSA pin in the unsigned zone: a validator must call it insecure (a signed
# proof from the lab root that plain.test has no DS), never secure.
set -euo pipefail
source "$LAB_DIR/lib.sh"
source "$LAB_DIR/mail/certs.sh"
mail_issue_certs
printf '_25._tcp.mx1 TLSA 3 1 1 %s\n' "$(mail_spki_sha256 "$LAB_CERTS/$MAIL_CERT_CLEAN.pem")"
