#!/usr/bin/env bash
# Records of the mail-domain variants under lab.test (one $ORIGIN block each).
# Every variant starts from the "good" set and changes exactly one thing, so a
# finding the auditor reports for a variant can only come from that defect.
# Runs with the lab environment exported by tests/lab/lib.sh (LAB_* variables).
set -euo pipefail

mail_ip="$LAB_MAIL_IP" web_ip="$LAB_WEB_IP" dead_ip="$LAB_DEAD_IP"
sts_id='20261101T000000'
# Planted markup for the HTML-escaping tests. In zone-file syntax a TXT string
# is double-quoted and an embedded '"' must be written as '\"'.
xss1='<script>alert(1)</script>'
xss2='\"><img src=x onerror=alert(2)>'

variant() {
  local v="$1" d="$1.$LAB_ZONE"
  local mx=std sts=yes sts_ip="$web_ip" tlsrpt=yes dmarc=reject spf='v=spf1 mx -all'
  case "$v" in
    mxmissing) ;;  # DNS as good; its policy lists mx1 only, so mx2 is uncovered
    notlsrpt)  tlsrpt=no ;;
    nodmarc)   dmarc=no ;;
    weakdmarc) dmarc=none ;;
    nullmx)    mx=null sts=no tlsrpt=no spf='v=spf1 -all' ;;
    implicit)  mx=implicit spf='v=spf1 a -all' ;;
    nomtasts)  sts=no ;;
    dead)      sts_ip="$dead_ip" ;;
  esac

  printf '\n$ORIGIN %s.\n' "$d"
  case "$mx" in
    std)      printf '@ MX 10 mx1\n@ MX 20 mx2\nmx1 A %s\nmx2 A %s\n' "$mail_ip" "$mail_ip" ;;
    null)     printf '@ MX 0 .\n' ;;                      # RFC 7505: accepts no mail
    implicit) printf '@ A %s\n' "$mail_ip" ;;            # RFC 5321 5.1: the A record is the MX
  esac
  if [ "$v" = xss ]; then
    printf '@ TXT "v=spf1 mx include:%s -all"\n' "$xss1"
    printf '@ TXT "site-verification=%s"\n' "$xss2"
  else
    printf '@ TXT "%s"\n' "$spf"
  fi
  if [ "$sts" = yes ]; then
    if [ "$v" = xss ]; then
      printf '_mta-sts TXT "v=STSv1; id=%s%s;"\n' "$xss1" "$xss2"
    else
      printf '_mta-sts TXT "v=STSv1; id=%s;"\n' "$sts_id"
    fi
    printf 'mta-sts A %s\n' "$sts_ip"
  fi
  [ "$tlsrpt" = yes ] && printf '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s"\n' "$d"
  case "$dmarc" in
    reject) printf '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@%s"\n' "$d" ;;
    none)   printf '_dmarc TXT "v=DMARC1; p=none; rua=mailto:dmarc@%s"\n' "$d" ;;
  esac
  if [ "$mx" != null ]; then
    # RFC 6186 / RFC 8314 service records, all on one host.
    printf '_submission._tcp SRV 0 1 587 mail\n_submissions._tcp SRV 0 1 465 mail\n'
    printf '_imap._tcp SRV 0 1 143 mail\n_imaps._tcp SRV 0 1 993 mail\n'
    printf '_pop3._tcp SRV 0 1 110 mail\n_pop3s._tcp SRV 0 1 995 mail\n'
    printf 'mail A %s\n' "$mail_ip"
  fi
}

# The same list as LAB_VARIANTS in lib.sh (arrays do not cross the exec).
for v in ${LAB_VARIANTS_LIST:?}; do variant "$v"; done
