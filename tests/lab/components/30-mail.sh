#!/usr/bin/env bash
# Lab mail hosts: Debian's Postfix and Dovecot, one instance per host, each with
# its own config, queue, state and pid files under run/mail/HOST/.
#
#   127.0.25.1 clean      mx.clean.lab.test, mx1/mx2/mail.good.lab.test
#                         Postfix 25 (STARTTLS), 587 (TLS required, AUTH after TLS), 465;
#                         Dovecot 143 (LOGINDISABLED before TLS), 993, 110 (STLS), 995
#   127.0.25.2 weak       mx.weak.lab.test: planted defects (old TLS, weak suites, DH 1024,
#                         AUTH/LOGIN/USER before TLS, expired and wrong-name certificates)
#   127.0.25.3 throttled  mx.throttled.lab.test: Postfix 25/587/465 behind anvil (10/min)
#   127.0.25.4 delayed    mx.delayed.lab.test: tests/lab/delay_proxy.py, 1 s greeting delay
#                         in front of the clean host's ports
#
# alice@good.lab.test: password in run/mail/alice.password (never printed), mail in
# run/mail/maildir/good.lab.test/alice/. Debian's default instances are never started.
#
# Daemons are started with fds 8/9 closed: up.sh holds its lock on fd 8, and a daemon
# inheriting it would keep the lock forever (every later up.sh would block).
#
# Usage: 30-mail.sh up|down
source "$(dirname "$0")/../lib.sh"
source "$LAB_DIR/mail/certs.sh"

MAIL_RUN="$LAB_RUN/mail"
MAILDIR_BASE="$MAIL_RUN/maildir"
TEMPLATES="$LAB_DIR/mail"
PROXY_PIDFILE="$MAIL_RUN/delay_proxy.pid"
PROXY_IP=127.0.25.4
PROXY_PORTS="25,587,465,143,993,110,995"
VMAIL_USER=labvmail
HOSTS=(clean weak throttled)
# Hosts with a Dovecot (the throttled Postfix asks the clean host's Dovecot for SASL).
DOVECOT_HOSTS=(clean weak)

host_ip() { case "$1" in clean) echo 127.0.25.1 ;; weak) echo 127.0.25.2 ;; throttled) echo 127.0.25.3 ;; esac; }
host_name() { echo "mx.$1.lab.test"; }

# Export the variables the templates use for HOST.
host_env() {
  local host="$1"
  export LAB_HOST="$host" MAIL_RUN MAILDIR_BASE
  export HOST_DIR="$MAIL_RUN/$host"
  export PF_DIR="$HOST_DIR/postfix" DV_DIR="$HOST_DIR/dovecot"
  export MAIL_IP; MAIL_IP="$(host_ip "$host")"
  export MAIL_NAME; MAIL_NAME="$(host_name "$host")"
  export VMAIL_UID VMAIL_GID
  VMAIL_UID="$(id -u "$VMAIL_USER")"; VMAIL_GID="$(id -g "$VMAIL_USER")"
  local sasl_host="$host"; [ "$host" = throttled ] && sasl_host=clean
  export SASL_PATH="$MAIL_RUN/$sasl_host/queue/private/auth"
  local smtp_cert imap_cert
  case "$host" in
    clean) smtp_cert="$MAIL_CERT_CLEAN"; imap_cert="$MAIL_CERT_CLEAN" ;;
    weak) smtp_cert="$MAIL_CERT_WEAK_SMTP"; imap_cert="$MAIL_CERT_WEAK_IMAP" ;;
    throttled) smtp_cert="$MAIL_CERT_THROTTLED"; imap_cert="$MAIL_CERT_THROTTLED" ;;
  esac
  export SMTP_CERT="$LAB_CERTS/$smtp_cert.chain.pem" SMTP_KEY="$LAB_CERTS/$smtp_cert.key"
  export IMAP_CERT="$LAB_CERTS/$imap_cert.chain.pem" IMAP_KEY="$LAB_CERTS/$imap_cert.key"
}

# Substitute only our own ${VARS}: Postfix's $myhostname etc. stay as they are.
render() {
  envsubst '${LAB_HOST} ${MAIL_RUN} ${MAILDIR_BASE} ${HOST_DIR} ${PF_DIR} ${DV_DIR} ${MAIL_IP}
    ${MAIL_NAME} ${VMAIL_UID} ${VMAIL_GID} ${SASL_PATH} ${SMTP_CERT} ${SMTP_KEY} ${IMAP_CERT} ${IMAP_KEY}' \
    < <(cat "$@")
}

ensure_accounts() {
  id -u "$VMAIL_USER" >/dev/null 2>&1 \
    || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$VMAIL_USER"
  mkdir -p "$MAILDIR_BASE/good.lab.test"
  chown -R "$VMAIL_USER:$VMAIL_USER" "$MAILDIR_BASE"
  chmod 755 "$MAIL_RUN"
  if [ ! -s "$MAIL_RUN/alice.password" ]; then
    (umask 077; openssl rand -hex 16 >"$MAIL_RUN/alice.password")
  fi
  if [ ! -s "$MAIL_RUN/users.passwd" ] || [ "$MAIL_RUN/alice.password" -nt "$MAIL_RUN/users.passwd" ]; then
    local hash
    hash="$(openssl passwd -6 -stdin <"$MAIL_RUN/alice.password")"
    printf 'alice@good.lab.test:{SHA512-CRYPT}%s::::::\n' "$hash" >"$MAIL_RUN/users.passwd.tmp"
    chown root:dovecot "$MAIL_RUN/users.passwd.tmp"; chmod 640 "$MAIL_RUN/users.passwd.tmp"
    mv -f "$MAIL_RUN/users.passwd.tmp" "$MAIL_RUN/users.passwd"
  fi
  printf 'alice@good.lab.test good.lab.test/alice/\n' | lab_write_if_changed "$MAIL_RUN/vmailbox" || true
  chmod 644 "$MAIL_RUN/vmailbox"   # read by Postfix's virtual(8), which runs unprivileged
}

# Returns 0 when a config file changed (the daemon must reload).
render_host() {
  local host="$1" changed=1   # the return value: 0 = something changed
  host_env "$host"
  mkdir -p "$PF_DIR" "$HOST_DIR/queue" "$HOST_DIR/data" "$DV_DIR/base" "$DV_DIR/state"
  chown postfix "$HOST_DIR/data"
  if [ "$host" = weak ] && [ ! -s "$HOST_DIR/dh1024.pem" ]; then
    openssl dhparam -out "$HOST_DIR/dh1024.pem.tmp" 1024 2>/dev/null
    mv -f "$HOST_DIR/dh1024.pem.tmp" "$HOST_DIR/dh1024.pem"
  fi
  render "$TEMPLATES/postfix-main.cf.in" "$TEMPLATES/postfix-main-$host.cf.in" \
    | lab_write_if_changed "$PF_DIR/main.cf" && changed=0
  render "$TEMPLATES/postfix-master.cf.in" "$TEMPLATES/postfix-master-$host.cf.in" \
    | lab_write_if_changed "$PF_DIR/master.cf" && changed=0
  if [ -f "$TEMPLATES/dovecot-$host.conf.in" ]; then
    render "$TEMPLATES/dovecot.conf.in" "$TEMPLATES/dovecot-$host.conf.in" \
      | lab_write_if_changed "$DV_DIR/dovecot.conf" && changed=0
  fi
  chmod 644 "$PF_DIR/main.cf" "$PF_DIR/master.cf"   # postconf/sendmail also run unprivileged
  [ -f "$DV_DIR/dovecot.conf" ] && chmod 644 "$DV_DIR/dovecot.conf"
  # Certificates are read at (re)start only.
  if [ -f "$HOST_DIR/.loaded" ] && [ -n "$(find "$SMTP_CERT" "$IMAP_CERT" -newer "$HOST_DIR/.loaded" -print -quit)" ]; then
    changed=0
  fi
  return "$changed"
}

postfix_up() {
  local host="$1" changed="$2"
  host_env "$host"
  if postfix -c "$PF_DIR" status >/dev/null 2>&1; then
    if [ "$changed" = 1 ]; then
      postfix -c "$PF_DIR" reload 2>>"$HOST_DIR/postfix-startup.log"
      lab_log "postfix $host reloaded"
    fi
  else
    # Without syslog, postfix(1) prints its errors only to a terminal: give it one.
    script -qec "postfix -c $PF_DIR check" /dev/null >>"$HOST_DIR/postfix-startup.log" 2>&1 \
      || lab_die "postfix $host: check failed, see $HOST_DIR/postfix-startup.log"
    postfix -c "$PF_DIR" start 2>>"$HOST_DIR/postfix-startup.log" 8>&- 9>&- \
      || lab_die "postfix $host did not start, see $HOST_DIR/postfix-startup.log"
    lab_log "postfix $host started on $MAIL_IP"
  fi
}

dovecot_up() {
  local host="$1" changed="$2"
  host_env "$host"
  if lab_pid_alive "$DV_DIR/base/master.pid"; then
    if [ "$changed" = 1 ]; then
      dovecot -c "$DV_DIR/dovecot.conf" reload
      lab_log "dovecot $host reloaded"
    fi
  else
    dovecot -c "$DV_DIR/dovecot.conf" 2>>"$DV_DIR/startup.log" 8>&- 9>&- \
      || lab_die "dovecot $host did not start, see $DV_DIR/startup.log and $DV_DIR/dovecot.log"
    lab_log "dovecot $host started on $MAIL_IP"
  fi
}

proxy_up() {
  lab_pid_alive "$PROXY_PIDFILE" && return 0
  lab_ensure_addr "$PROXY_IP"
  setsid python3 "$LAB_DIR/delay_proxy.py" --listen "$PROXY_IP" --upstream "$(host_ip clean)" \
    --ports "$PROXY_PORTS" --delay 1.0 >>"$MAIL_RUN/delay_proxy.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$PROXY_PIDFILE"
  lab_log "delay proxy started on $PROXY_IP ($PROXY_PORTS -> clean, 1 s greeting delay)"
}

up() {
  lab_apt_install postfix dovecot-imapd dovecot-pop3d gettext-base jq   # envsubst, lab.d JSON
  mkdir -p "$MAIL_RUN"
  ensure_accounts
  mail_issue_certs
  local host changed
  for host in "${HOSTS[@]}"; do
    lab_ensure_addr "$(host_ip "$host")"
    changed=0
    if render_host "$host"; then changed=1; fi
    postfix_up "$host" "$changed"
    if [[ " ${DOVECOT_HOSTS[*]} " == *" $host "* ]]; then dovecot_up "$host" "$changed"; fi
    touch "$HOST_DIR/.loaded"
  done
  proxy_up
  local ip port
  for host in "${HOSTS[@]}"; do
    ip="$(host_ip "$host")"
    for port in 25 587 465; do lab_wait_tcp "$ip" "$port" || lab_die "nothing answers on $ip:$port"; done
  done
  for host in "${DOVECOT_HOSTS[@]}"; do
    ip="$(host_ip "$host")"
    for port in 143 993 110 995; do lab_wait_tcp "$ip" "$port" || lab_die "nothing answers on $ip:$port"; done
  done
  lab_wait_tcp "$PROXY_IP" 25 || lab_die "the delay proxy does not answer on $PROXY_IP:25"
  write_lab_info
}

# run/lab.d/mail.json, merged into run/lab.json by up.sh (what the tests read).
write_lab_info() {
  mkdir -p "$LAB_RUN/lab.d"
  jq -n --arg pw "$MAIL_RUN/alice.password" --arg maildir "$MAILDIR_BASE/good.lab.test/alice" \
    --arg proxy "$PROXY_IP" '{mail: {
      hosts: {
        clean: {ip: "127.0.25.1", names: ["mx.clean.lab.test", "mx1.good.lab.test", "mx2.good.lab.test",
                                          "mail.good.lab.test"], ports: [25, 587, 465, 143, 993, 110, 995]},
        weak: {ip: "127.0.25.2", names: ["mx.weak.lab.test"], ports: [25, 587, 465, 143, 993, 110, 995]},
        throttled: {ip: "127.0.25.3", names: ["mx.throttled.lab.test"], ports: [25, 587, 465],
                    connection_rate_limit_per_minute: 10},
        delayed: {ip: $proxy, names: ["mx.delayed.lab.test"], ports: [25, 587, 465, 143, 993, 110, 995],
                  greeting_delay_s: 1.0, upstream: "127.0.25.1"}},
      user: "alice@good.lab.test", password_file: $pw, maildir: $maildir}}' \
    | lab_write_if_changed "$LAB_RUN/lab.d/mail.json" || true
}

down() {
  local host
  lab_stop_pidfile "$PROXY_PIDFILE"
  for host in "${HOSTS[@]}"; do
    host_env "$host"
    if [ -f "$DV_DIR/dovecot.conf" ] && lab_pid_alive "$DV_DIR/base/master.pid"; then
      dovecot -c "$DV_DIR/dovecot.conf" stop || lab_stop_pidfile "$DV_DIR/base/master.pid"
    fi
    if [ -f "$PF_DIR/main.cf" ] && postfix -c "$PF_DIR" status >/dev/null 2>&1; then
      postfix -c "$PF_DIR" stop 2>>"$HOST_DIR/postfix-startup.log" || true
    fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
