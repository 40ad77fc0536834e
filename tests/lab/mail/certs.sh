# Certificates of the lab mail hosts (sourced by components/30-mail.sh and the
# zone fragment zones/lab.test.d/30-mail.sh, which pins them in TLSA records).
# issue-cert.sh is idempotent, so calling this twice reissues nothing.

MAIL_CERT_CLEAN=mail-clean            # 127.0.25.1 (and the delaying proxy 127.0.25.4)
MAIL_CERT_WEAK_SMTP=mail-weak-expired # 127.0.25.2 Postfix: expired
MAIL_CERT_WEAK_IMAP=mail-weak-wrongname  # 127.0.25.2 Dovecot: names another host
MAIL_CERT_THROTTLED=mail-throttled    # 127.0.25.3

mail_issue_certs() {
  local issue="$LAB_DIR/issue-cert.sh"
  [ -x "$issue" ] || [ -f "$issue" ] || lab_die "missing $issue (lab base not installed)"
  bash "$issue" "$MAIL_CERT_CLEAN" mx.clean.lab.test mx1.good.lab.test mx2.good.lab.test \
    mail.good.lab.test mx.delayed.lab.test >/dev/null
  bash "$issue" "$MAIL_CERT_WEAK_SMTP" --expired mx.weak.lab.test >/dev/null
  bash "$issue" "$MAIL_CERT_WEAK_IMAP" mail.elsewhere.lab.test >/dev/null
  bash "$issue" "$MAIL_CERT_THROTTLED" mx.throttled.lab.test >/dev/null
}

# SHA-256 of a certificate's SubjectPublicKeyInfo: the data of a TLSA 3 1 1 record.
mail_spki_sha256() {
  openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
