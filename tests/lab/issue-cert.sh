#!/usr/bin/env bash
# Issue a leaf certificate from the lab's test CA.
#
#   issue-cert.sh NAME [--expired] [--untrusted] [--days N] [--rsa-bits N] [--ecdsa] SAN...
#
# Writes run/certs/NAME.key, NAME.pem (leaf only) and NAME.chain.pem (leaf +
# intermediate, what a server should send) and prints the three paths.
#   --expired    notBefore 60 days ago, notAfter yesterday (the CA itself is valid)
#   --untrusted  signed by the second CA, whose root is NOT in ca_file
#   --days N     validity (default 365); ignored with --expired
#   --rsa-bits N RSA key size (default 2048), e.g. 1024 for a weak-key case
#   --ecdsa      P-256 key instead of RSA
# SANs are DNS names or IPv4/IPv6 addresses; the first one is also the CN.
#
# Idempotent: if NAME exists with the same parameters and the same issuing CA
# (and, unless --expired, is valid for at least another day), nothing is done,
# so DANE records computed from it stay stable between runs.
source "$(dirname "$0")/lib.sh"

usage() { sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

name="" expired=0 untrusted=0 days=365 rsa_bits=2048 ecdsa=0 sans=()
while [ $# -gt 0 ]; do
  case "$1" in
    --expired) expired=1 ;;
    --untrusted) untrusted=1 ;;
    --days) [ $# -ge 2 ] || usage; days="$2"; shift ;;
    --rsa-bits) [ $# -ge 2 ] || usage; rsa_bits="$2"; shift ;;
    --ecdsa) ecdsa=1 ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) if [ -z "$name" ]; then name="$1"; else sans+=("$1"); fi ;;
  esac
  shift
done
[ -n "$name" ] && [ ${#sans[@]} -gt 0 ] || usage
case "$name" in *[!A-Za-z0-9._-]*|.*) lab_die "certificate NAME must be [A-Za-z0-9._-]: $name" ;; esac
case "$days$rsa_bits" in *[!0-9]*) lab_die "--days and --rsa-bits take positive integers" ;; esac

kind=trusted; [ "$untrusted" = 1 ] && kind=untrusted
ca_dir="$LAB_RUN/ca/$kind/int"
if [ ! -s "$ca_dir/int.pem" ]; then bash "$LAB_DIR/components/10-ca.sh" up; fi

san_ext=""
for s in "${sans[@]}"; do
  if [[ "$s" =~ ^[0-9.]+$ || "$s" == *:* ]]; then san_ext+="${san_ext:+,}IP:$s"; else san_ext+="${san_ext:+,}DNS:$s"; fi
done
keyspec="rsa$rsa_bits"; [ "$ecdsa" = 1 ] && keyspec="ecdsa-p256"
validity="days=$days"; [ "$expired" = 1 ] && validity="expired"
# The issuer's fingerprint is part of the parameters, so a recreated CA
# reissues everything. Cached next to the CA: forking openssl costs ~50 ms.
if [ ! -s "$ca_dir/int.fp" ] || [ "$ca_dir/int.pem" -nt "$ca_dir/int.fp" ]; then
  openssl x509 -in "$ca_dir/int.pem" -noout -fingerprint -sha256 | sed 's/.*=//' >"$ca_dir/int.fp"
fi
ca_fp="$(cat "$ca_dir/int.fp")"
params="$keyspec $validity $kind $san_ext $ca_fp"

mkdir -p "$LAB_CERTS"
out="$LAB_CERTS/$name"
exec 9>"$LAB_RUN/ca/.issue.lock"
flock 9   # `openssl ca` keeps a database: one issuer at a time

fresh() {
  [ -s "$out.key" ] && [ -s "$out.pem" ] && [ -s "$out.chain.pem" ] || return 1
  [ "$(cat "$out.params" 2>/dev/null)" = "$params" ] || return 1
  [ "$expired" = 1 ] && return 0
  # notAfter as epoch seconds, recorded at issuance (cheaper than openssl -checkend).
  [ "$(cat "$out.notafter" 2>/dev/null || echo 0)" -gt "$(( $(date +%s) + 86400 ))" ]
}

if ! fresh; then
  tmp="$(mktemp -d "$LAB_CERTS/.issue.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  if [ "$ecdsa" = 1 ]; then
    openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/key"
    ku="digitalSignature"
  else
    openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:$rsa_bits" -out "$tmp/key"
    ku="digitalSignature,keyEncipherment"
  fi
  openssl req -new -key "$tmp/key" -subj "/CN=${sans[0]}" -out "$tmp/csr"
  cat >"$tmp/ext" <<EXT
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,$ku
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $san_ext
EXT
  if [ "$expired" = 1 ]; then
    dates=(-startdate "$(date -u -d '-60 days' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)")
  else
    # Backdate an hour so a slightly skewed clock does not see "not yet valid".
    dates=(-startdate "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" -days "$days")
  fi
  openssl ca -batch -notext -config "$ca_dir/openssl.cnf" -in "$tmp/csr" -out "$tmp/pem" \
    -extfile "$tmp/ext" -extensions leaf "${dates[@]}" 2>"$tmp/err" \
    || { cat "$tmp/err" >&2; lab_die "openssl ca failed for $name"; }
  cat "$tmp/pem" "$ca_dir/int.pem" >"$tmp/chain"
  chmod 644 "$tmp/key"   # lab-only keys; daemons that drop privileges must still read them
  mv -f "$tmp/key" "$out.key"; mv -f "$tmp/pem" "$out.pem"; mv -f "$tmp/chain" "$out.chain.pem"
  date -u -d "$(openssl x509 -in "$out.pem" -noout -enddate | sed 's/^notAfter=//')" +%s >"$out.notafter"
  printf '%s\n' "$params" >"$out.params"
  lab_log "issued certificate $name ($params)"
fi
printf '%s\n' "$out.key" "$out.pem" "$out.chain.pem"
