#!/usr/bin/env bash
# The lab's hoster: FLEET_COUNT customer domains c001..c1000.fleet.lab.test whose mail is
# handled by the lab's mail hosts (mx.clean.lab.test, a few at mx.weak.lab.test), with
# DNS defects varied by the customer's number, so a fleet audit of them has something to
# find and a shared MX to probe once. Sourced by zones/lab.test.d/50-fleet.sh (records)
# and components/50-fleet.sh (run/lab.d/fleet.json, the list and each one's defect).
#
# Every customer starts from the clean set (MX mx.clean.lab.test, SPF "mx -all", DMARC
# p=reject, TLS-RPT) and changes one thing:
#   clean           nothing
#   spf-plusall     SPF ends in +all (everyone may send)
#   nodmarc         no _dmarc record
#   dmarc-none      DMARC p=none
#   nospf           no SPF record
#   srv             clean, plus RFC 6186/8314 SRV records for submission and IMAPS on mx.clean
#   notlsrpt        no _smtp._tls record
#   sts-nohost      _mta-sts record but no mta-sts host (the policy cannot be fetched)
#   weakmx          MX at mx.weak.lab.test (old TLS, weak suites, wrong DANE pin)
#   spf-twice       two SPF records (permerror)
#   dmarc-bad       DMARC with an invalid policy value
#   softfail        SPF ~all
# and every 40th customer, in turn: a null MX (RFC 7505), an MX name that does not exist,
# an MX of its own name on the clean host's address (certificate name mismatch), an MX on
# an address where nothing listens.
FLEET_COUNT=1000   # the benchmark's largest fleet; tests use the first few hundred
FLEET_ZONE="fleet.lab.test"
FLEET_KINDS=(clean spf-plusall nodmarc dmarc-none nospf srv notlsrpt sts-nohost weakmx spf-twice dmarc-bad softfail)
FLEET_DEAD_IP=127.0.25.99   # nothing listens here (30-mail.sh uses .1-.4)

# Name and defect of customer N (1-based) into FLEET_NAME and FLEET_KIND: no subshells,
# so a thousand customers cost the lab's start-up well under a second.
fleet_customer() {
  local n="$1"
  printf -v FLEET_NAME 'c%03d.%s' "$n" "$FLEET_ZONE"
  case $((n % 40)) in
    10) FLEET_KIND=nullmx ;;
    20) FLEET_KIND=dangling-mx ;;
    30) FLEET_KIND=own-mx ;;
    0) FLEET_KIND=dead-mx ;;
    *) FLEET_KIND="${FLEET_KINDS[$((n % ${#FLEET_KINDS[@]}))]}" ;;
  esac
}

# Zone records of customer N (relative names under its own $ORIGIN).
fleet_records() {
  local n="$1" d kind spf='v=spf1 mx -all' dmarc='v=DMARC1; p=reject'
  fleet_customer "$n"; d="$FLEET_NAME"; kind="$FLEET_KIND"
  printf '\n$ORIGIN %s.\n' "$d"
  case "$kind" in
    nullmx) printf '@ MX 0 .\n@ TXT "v=spf1 -all"\n_dmarc TXT "v=DMARC1; p=reject"\n'; return ;;
    weakmx) printf '@ MX 10 mx.weak.%s.\n' "$LAB_ZONE" ;;
    dangling-mx) printf '@ MX 10 mx.gone.%s.\n' "$FLEET_ZONE" ;;
    own-mx) printf '@ MX 10 mx\nmx A %s\n' "$LAB_MAIL_IP" ;;
    dead-mx) printf '@ MX 10 mx\nmx A %s\n' "$FLEET_DEAD_IP" ;;
    *) printf '@ MX 10 mx.clean.%s.\n' "$LAB_ZONE" ;;
  esac
  case "$kind" in
    spf-plusall) spf='v=spf1 mx +all' ;;
    softfail) spf='v=spf1 mx ~all' ;;
  esac
  [ "$kind" = nospf ] || printf '@ TXT "%s"\n' "$spf"
  [ "$kind" = spf-twice ] && printf '@ TXT "v=spf1 a -all"\n'
  case "$kind" in
    nodmarc) ;;
    dmarc-none) printf '_dmarc TXT "v=DMARC1; p=none"\n' ;;
    dmarc-bad) printf '_dmarc TXT "v=DMARC1; p=maybe"\n' ;;
    *) printf '_dmarc TXT "%s"\n' "$dmarc" ;;
  esac
  [ "$kind" = notlsrpt ] || printf '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s"\n' "$d"
  [ "$kind" = sts-nohost ] && printf '_mta-sts TXT "v=STSv1; id=20261201T000000;"\n'
  if [ "$kind" = srv ]; then
    printf '_submission._tcp SRV 0 1 587 mx.clean.%s.\n_imaps._tcp SRV 0 1 993 mx.clean.%s.\n' "$LAB_ZONE" "$LAB_ZONE"
  fi
  return 0
}
