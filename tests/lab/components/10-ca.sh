#!/usr/bin/env bash
# Test CAs for the lab (openssl CLI only).
#
# Two independent hierarchies, each root -> intermediate -> leaf, because real
# servers send leaf + intermediate and the auditor must validate that chain:
#   run/ca/trusted/    root in ca_file (run/ca/ca.pem): certificates from here verify
#   run/ca/untrusted/  a second root that is never in ca_file: certificates fail
# Leaf certificates are issued by tests/lab/issue-cert.sh; this component only
# makes sure both CAs exist and issues the certificate of nginx's default server.
#
# Usage: 10-ca.sh up|down       (down keeps the keys: the CA must stay stable)
source "$(dirname "$0")/../lib.sh"

CA_ROOT_DIR="$LAB_RUN/ca"

# Write an `openssl ca` config for the intermediate in DIR. The database lets
# `openssl ca` set explicit validity dates, which is how expired certs are made.
_write_ca_conf() {
  local dir="$1"
  cat >"$dir/openssl.cnf" <<CNF
[ ca ]
default_ca = lab_ca

[ lab_ca ]
dir             = $dir
database        = \$dir/index.txt
new_certs_dir   = \$dir/newcerts
serial          = \$dir/serial
certificate     = \$dir/int.pem
private_key     = \$dir/int.key
default_md      = sha256
policy          = lab_policy
unique_subject  = no
email_in_dn     = no
copy_extensions = none

[ lab_policy ]
commonName = supplied
CNF
  : >"$dir/index.txt"
  printf 'unique_subject = no\n' >"$dir/index.txt.attr"
  openssl rand -hex 16 >"$dir/serial"
  mkdir -p "$dir/newcerts"
}

# Create root + intermediate under run/ca/KIND unless both already exist.
_ensure_hierarchy() {
  local kind="$1" label="$2" dir="$CA_ROOT_DIR/$1"
  [ -s "$dir/root.pem" ] && [ -s "$dir/int/int.pem" ] && return 0
  lab_log "creating the $kind test CA"
  rm -rf "$dir"; mkdir -p "$dir/int"; chmod 700 "$dir"
  openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/root.key"
  openssl req -x509 -new -key "$dir/root.key" -sha256 -days 3650 \
    -subj "/O=auditor lab/CN=auditor lab $label root CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$dir/root.pem"
  openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/int/int.key"
  openssl req -new -key "$dir/int/int.key" -subj "/O=auditor lab/CN=auditor lab $label intermediate CA" \
    -out "$dir/int/int.csr"
  printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid:always" >"$dir/int/int.ext"
  openssl x509 -req -in "$dir/int/int.csr" -CA "$dir/root.pem" -CAkey "$dir/root.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 1825 -sha256 -extfile "$dir/int/int.ext" \
    -out "$dir/int/int.pem" 2>/dev/null
  _write_ca_conf "$dir/int"
}

up() {
  mkdir -p "$CA_ROOT_DIR" "$LAB_CERTS"
  (
    flock 9
    _ensure_hierarchy trusted "test"
    _ensure_hierarchy untrusted "UNTRUSTED"
    # ca_file holds the trusted root only; rewrite it if the root was recreated.
    cp "$CA_ROOT_DIR/trusted/root.pem" "$LAB_CA_FILE.tmp"
    if cmp -s "$LAB_CA_FILE.tmp" "$LAB_CA_FILE" 2>/dev/null; then rm -f "$LAB_CA_FILE.tmp"
    else mv -f "$LAB_CA_FILE.tmp" "$LAB_CA_FILE"; fi
  ) 9>"$CA_ROOT_DIR/.lock"
  # nginx needs a certificate for its default (unknown-SNI) server.
  bash "$LAB_DIR/issue-cert.sh" default "$LAB_ZONE" >/dev/null
  openssl verify -CAfile "$LAB_CA_FILE" -untrusted "$LAB_CERTS/default.chain.pem" \
    "$LAB_CERTS/default.pem" >/dev/null || lab_die "the test CA does not verify its own certificate"
}

down() { :; }  # nothing runs; keys stay so certificates and pins remain valid

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
