#!/usr/bin/env bash
# nginx serving the MTA-STS policy hosts of the lab domains.
#
#   127.0.80.1:443  one SNI server block per variant: https://mta-sts.<domain>/.well-known/mta-sts.txt
#                   (text/plain); unknown SNI gets the default server (lab.test cert, 404)
#   127.0.80.1:80   301 to https (RFC 8461 forbids following it, the auditor must notice)
#   127.0.80.1:443  client configuration of clients.lab.test: Mozilla autoconfig at
#                   autoconfig.<d>/mail/config-v1.1.xml and <d>/.well-known/autoconfig/...,
#                   Microsoft Autodiscover (POST) at autodiscover.<d> and <d>, and the
#                   webmail at webmail.<d> (HSTS); mail.<d> resolves to the mail host, where
#                   nothing answers HTTPS (so it is no webmail)
# Own config, pid file, logs and temp dirs under run/web/; Debian's default site
# (which listens on 0.0.0.0:80) is never loaded.
#
# Usage: 20-web.sh up|down
source "$(dirname "$0")/../lib.sh"

WEB="$LAB_RUN/web"
CONF="$WEB/nginx.conf"
PIDFILE="$WEB/nginx.pid"

# The policy body for VARIANT on stdout (LF; written with CRLF as RFC 8461 says),
# or nothing when the variant has no policy host on 127.0.80.1.
policy_for() {
  local v="$1" d="$1.$LAB_ZONE"
  case "$v" in
    nullmx|nomtasts|dead) return 0 ;;   # no policy host, or one where nothing listens
    testing)   printf '%s\n' "version: STSv1" "mode: testing" "mx: mx1.$d" "mx: *.$d" "max_age: 1209600" ;;
    mxmissing) printf '%s\n' "version: STSv1" "mode: enforce" "mx: mx1.$d" "max_age: 1209600" ;;
    maxage)    printf '%s\n' "version: STSv1" "mode: enforce" "mx: mx1.$d" "mx: *.$d" "max_age: 3600" ;;
    badpolicy) printf '%s\n' "mode: enforce" "mx: mx1.$d" "mx: *.$d" "max_age: two weeks" ;;
    implicit)  printf '%s\n' "version: STSv1" "mode: enforce" "mx: $d" "max_age: 1209600" ;;
    xss)       printf '%s\n' "version: STSv1" "mode: enforce" "mx: mx1.$d" "mx: <script>alert(3)</script>" \
                              "max_age: 1209600" ;;
    *)         printf '%s\n' "version: STSv1" "mode: enforce" "mx: mx1.$d" "mx: *.$d" "max_age: 1209600" ;;
  esac
}

# issue-cert.sh flags for the policy host's certificate.
cert_flags_for() {
  case "$1" in
    expired) echo "--expired" ;;
    untrusted) echo "--untrusted" ;;
  esac
}

CLIENTS="clients.$LAB_ZONE"

# Thunderbird's config-v1.1.xml for clients.lab.test: IMAP 993 (SSL), SMTP 587 (STARTTLS).
autoconfig_xml() {
  cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="$CLIENTS">
    <domain>$CLIENTS</domain>
    <incomingServer type="imap">
      <hostname>mail.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.$CLIENTS</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
XML
}

# Outlook's POX answer for clients.lab.test: POP3 995 (SSL), SMTP 465 (SSL), on one line
# for nginx's "return 200 '...'" (the only way static nginx answers a POST).
autodiscover_xml() {
  printf '%s' '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><AccountType>email</AccountType><Action>settings</Action>'
  printf '<Protocol><Type>POP3</Type><Server>mail.%s</Server><Port>995</Port><SSL>on</SSL><Encryption>SSL</Encryption></Protocol>' "$CLIENTS"
  printf '<Protocol><Type>SMTP</Type><Server>mail.%s</Server><Port>465</Port><SSL>on</SSL><Encryption>SSL</Encryption></Protocol>' "$CLIENTS"
  printf '</Account></Response></Autodiscover>'
}

render_clients() {
  local cert="$LAB_CERTS/$CLIENTS"
  cat <<CONF
    server {
        listen $LAB_WEB_IP:443 ssl;
        server_name autoconfig.$CLIENTS $CLIENTS;
        ssl_certificate $cert.chain.pem;
        ssl_certificate_key $cert.key;
        location = /mail/config-v1.1.xml { default_type text/xml; alias $WEB/clients/config-v1.1.xml; }
        location = /.well-known/autoconfig/mail/config-v1.1.xml {
            default_type text/xml; alias $WEB/clients/config-v1.1.xml;
        }
        location = /autodiscover/autodiscover.xml { default_type text/xml; return 200 '$(autodiscover_xml)'; }
        location / { return 404; }
    }
    server {
        listen $LAB_WEB_IP:443 ssl;
        server_name autodiscover.$CLIENTS;
        ssl_certificate $cert.chain.pem;
        ssl_certificate_key $cert.key;
        location = /autodiscover/autodiscover.xml { default_type text/xml; return 200 '$(autodiscover_xml)'; }
        location / { return 404; }
    }
    server {
        listen $LAB_WEB_IP:443 ssl;
        server_name webmail.$CLIENTS post.$CLIENTS;
        ssl_certificate $cert.chain.pem;
        ssl_certificate_key $cert.key;
        add_header Strict-Transport-Security "max-age=31536000" always;
        location / { default_type text/html; return 200 "<html><title>Webmail</title></html>\n"; }
    }
    server {
        listen $LAB_WEB_IP:443 ssl;
        server_name mta-sts.$CLIENTS;
        ssl_certificate $cert.chain.pem;
        ssl_certificate_key $cert.key;
        location = / {
            default_type text/html;
            return 200 '<html><body><p>Zum Webmail: <a href="https://post.$CLIENTS/">post.$CLIENTS</a></p></body></html>\n';
        }
        location / { return 404; }
    }
CONF
}

render_conf() {
  cat <<CONF
# Generated by tests/lab/components/20-web.sh -- edits are overwritten.
worker_processes 1;
pid $PIDFILE;
error_log $WEB/error.log warn;
events { worker_connections 256; }
http {
    access_log $WEB/access.log;
    client_body_temp_path $WEB/tmp/body;
    proxy_temp_path $WEB/tmp/proxy;
    fastcgi_temp_path $WEB/tmp/fastcgi;
    uwsgi_temp_path $WEB/tmp/uwsgi;
    scgi_temp_path $WEB/tmp/scgi;
    default_type application/octet-stream;
    server_tokens off;
    ssl_protocols TLSv1.2 TLSv1.3;

    server {
        listen $LAB_WEB_IP:80 default_server;
        server_name _;
        return 301 https://\$host\$request_uri;
    }
    server {
        listen $LAB_WEB_IP:443 ssl default_server;
        server_name _;
        ssl_certificate $LAB_CERTS/default.chain.pem;
        ssl_certificate_key $LAB_CERTS/default.key;
        return 404;
    }
CONF
  local v host
  for v in "${LAB_VARIANTS[@]}"; do
    [ -s "$WEB/policies/$v.txt" ] || continue
    host="mta-sts.$v.$LAB_ZONE"
    cat <<CONF
    server {
        listen $LAB_WEB_IP:443 ssl;
        server_name $host;
        ssl_certificate $LAB_CERTS/$host.chain.pem;
        ssl_certificate_key $LAB_CERTS/$host.key;
        location = /.well-known/mta-sts.txt {
            default_type text/plain;
            alias $WEB/policies/$v.txt;
        }
        location / { return 404; }
    }
CONF
  done
  render_clients
  echo "}"
}

up() {
  mkdir -p "$WEB/policies" "$WEB/tmp"
  local v body flags changed=0
  for v in "${LAB_VARIANTS[@]}"; do
    body="$(policy_for "$v")"
    if [ -z "$body" ]; then rm -f "$WEB/policies/$v.txt"; continue; fi
    # Policy files change without a reload: nginx reads them per request.
    printf '%s\n' "$body" | sed 's/$/\r/' | lab_write_if_changed "$WEB/policies/$v.txt" || true
    flags="$(cert_flags_for "$v")"
    # shellcheck disable=SC2086  # flags is zero or one word
    bash "$LAB_DIR/issue-cert.sh" "mta-sts.$v.$LAB_ZONE" $flags "mta-sts.$v.$LAB_ZONE" >/dev/null
  done
  chmod -R a+rX "$WEB/policies"
  mkdir -p "$WEB/clients"
  autoconfig_xml | lab_write_if_changed "$WEB/clients/config-v1.1.xml" || true
  chmod -R a+rX "$WEB/clients"
  bash "$LAB_DIR/issue-cert.sh" "$CLIENTS" "$CLIENTS" "autoconfig.$CLIENTS" "autodiscover.$CLIENTS" \
    "webmail.$CLIENTS" "post.$CLIENTS" "mta-sts.$CLIENTS" >/dev/null
  render_conf | lab_write_if_changed "$CONF" && changed=1
  # Certificates are read at (re)load only: reload when one of ours (not another
  # component's) is newer than the last load.
  if [ -f "$WEB/.loaded" ] && [ -n "$(find "$LAB_CERTS" \( -name 'default.*' -o -name 'mta-sts.*' -o -name "$CLIENTS.*" \) \
        -name '*.pem' -newer "$WEB/.loaded" -print -quit)" ]; then
    changed=1
  fi
  if lab_pid_alive "$PIDFILE"; then
    if [ "$changed" = 1 ]; then
      nginx -q -t -c "$CONF" -e "$WEB/error.log" || lab_die "nginx rejects $CONF"
      kill -HUP "$(cat "$PIDFILE")"
      lab_log "nginx reloaded"
      sleep 0.3   # the old workers finish; new ones answer with the new certs
    fi
  else
    lab_ensure_addr "$LAB_WEB_IP"
    nginx -q -t -c "$CONF" -e "$WEB/error.log" || lab_die "nginx rejects $CONF"
    nginx -c "$CONF" -e "$WEB/error.log" 8>&- || lab_die "nginx did not start, see $WEB/error.log"
    lab_log "nginx started on $LAB_WEB_IP:80,443"
  fi
  touch "$WEB/.loaded"
  lab_wait_tcp "$LAB_WEB_IP" 443 || lab_die "nginx does not answer on $LAB_WEB_IP:443"
}

down() {
  lab_stop_pidfile "$PIDFILE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
