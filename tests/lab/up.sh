#!/usr/bin/env bash
# Start (or refresh) the local lab: install missing Debian packages, run every
# components/NN-*.sh up in name order, check that DNS and HTTPS answer, and
# write run/lab.json for the tests. Idempotent and quick when already up.
# Exit status 0 only when every component is up and answering.
source "$(dirname "$0")/lib.sh"

# Daemons started below must not inherit a caller's lock: `flock /work/lab.lock bash up.sh`
# passes its lock descriptor down, and a server holding it would keep the lock forever.
for fd in $(ls /proc/$$/fd); do
  case "$fd" in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" ;; esac
done

# Parallel test sessions all call up.sh: one at a time, the rest then find it up.
exec 8>"$LAB_RUN/.lock"
flock 8

lab_apt_install knot knot-dnsutils nginx openssl curl jq perl iproute2
lab_evict_foreign

mkdir -p "$LAB_RUN/lab.d"
for comp in "$LAB_DIR"/components/[0-9][0-9]-*.sh; do
  [ -f "$comp" ] || continue
  # 8>&-: daemons started by a component must not inherit (and hold) the lock.
  bash "$comp" up >&2 8>&- || lab_die "component $(basename "$comp") failed to come up"
done

# End-to-end checks through the same paths the auditor uses.
good="good.$LAB_ZONE"
mx="$(kdig @"$LAB_DNS_IP" +short +timeout=2 +retry=1 "$good" MX)" || true
grep -q "mx1.$good." <<<"$mx" || lab_die "DNS check failed: MX $good @$LAB_DNS_IP gave '${mx}'"
policy="$(curl -sS --max-time 5 --cacert "$LAB_CA_FILE" --resolve "mta-sts.$good:443:$LAB_WEB_IP" \
  "https://mta-sts.$good/.well-known/mta-sts.txt")" || lab_die "HTTPS check failed: policy of $good"
grep -q "^version: STSv1" <<<"$policy" || lab_die "HTTPS check failed: unexpected policy '$policy'"
[ -s "$LAB_TRUST_ANCHOR" ] || lab_die "trust anchor $LAB_TRUST_ANCHOR missing"

# lab.json: core keys, then any run/lab.d/*.json a component wrote merged in
# (so a component publishes its own facts without editing this script).
domains="$(for v in "${LAB_VARIANTS[@]}"; do printf '%s\t%s.%s\n' "$v" "$v" "$LAB_ZONE"; done \
  | jq -R -n '[inputs | split("\t") | {(.[0]): .[1]}] | add')"
core="$(jq -n \
  --arg resolver "$LAB_DNS_IP:53" --arg ca_file "$LAB_CA_FILE" --arg trust_anchor "$LAB_TRUST_ANCHOR" \
  --arg web_ip "$LAB_WEB_IP" --arg dead_ip "$LAB_DEAD_IP" --arg mail_ip "$LAB_MAIL_IP" \
  --arg signed "$LAB_ZONE" --arg plain "$LAB_PLAIN_ZONE" --arg certs "$LAB_CERTS" \
  --argjson domains "$domains" \
  '{resolver: $resolver, ca_file: $ca_file, trust_anchor: $trust_anchor, web_ip: $web_ip,
    dead_ip: $dead_ip, mail_ip: $mail_ip, certs_dir: $certs,
    zones: {signed: $signed, unsigned: $plain}, domains: $domains}')"
shopt -s nullglob
extras=("$LAB_RUN"/lab.d/*.json)
printf '%s\n' "$core" | jq -s 'reduce .[] as $o ({}; . * $o)' - "${extras[@]}" \
  | lab_write_if_changed "$LAB_RUN/lab.json" || true
lab_log "up: DNS $LAB_DNS_IP:53, HTTPS $LAB_WEB_IP:443; $LAB_RUN/lab.json"
