#!/usr/bin/env bash
# Records of the mail lab hosts (components/30-mail.sh): one domain per host with
# MX, A, RFC 6186/8314 SRV records, and TLSA 3 1 1 pins computed from the issued
# certificates: matching for mx.clean, deliberately wrong for mx.weak.
# Runs with the lab environment exported by tests/lab/lib.sh (LAB_* variables).
set -euo pipefail
source "$LAB_DIR/lib.sh"
source "$LAB_DIR/mail/certs.sh"
mail_issue_certs   # idempotent; the DNS component may run before the mail component

domain() {  # NAME IP SERVICES...
  local d="$1.$LAB_ZONE" ip="$2"; shift 2
  printf '\n$ORIGIN %s.\n@ MX 10 mx\nmx A %s\n@ TXT "v=spf1 mx -all"\n' "$d" "$ip"
  local svc port
  for svc in "$@"; do
    case "$svc" in
      submission) port=587 ;; submissions) port=465 ;; imap) port=143 ;;
      imaps) port=993 ;; pop3) port=110 ;; pop3s) port=995 ;;
    esac
    printf '_%s._tcp SRV 0 1 %s mx\n' "$svc" "$port"
  done
}

all=(submission submissions imap imaps pop3 pop3s)
domain clean 127.0.25.1 "${all[@]}"
printf '_25._tcp.mx TLSA 3 1 1 %s\n' "$(mail_spki_sha256 "$LAB_CERTS/$MAIL_CERT_CLEAN.pem")"
domain weak 127.0.25.2 "${all[@]}"
# A pin of a key the server does not have: the SHA-256 of a fixed label.
printf '_25._tcp.mx TLSA 3 1 1 %s\n' "$(printf 'not the key of mx.weak.lab.test' | sha256sum | cut -d' ' -f1)"
domain throttled 127.0.25.3 submission submissions
domain delayed 127.0.25.4 "${all[@]}"
