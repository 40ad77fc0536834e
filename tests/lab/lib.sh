# Shared helpers for the lab scripts (sourced, never executed).
# Everything the lab starts listens on 127.x addresses only.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Every directory above PATH lets "others" through (o+x)?
lab_world_traversable() {
  local dir="$1"
  while [ "$dir" != "/" ] && [ -n "$dir" ]; do
    [ "$(( 0$(stat -c '%a' "$dir") & 1 ))" = 1 ] || return 1
    dir="$(dirname "$dir")"
  done
}

# Runtime state: keys, pid files, generated configs, queues, mailboxes. Postfix, Dovecot
# and nginx workers drop root and must reach their files, so a checkout below a private
# directory (mktemp -d makes 0700) keeps the state in /var/tmp instead, with
# tests/lab/run as a link to it for people and tests.
if [ -z "${LAB_RUN:-}" ]; then
  if lab_world_traversable "$LAB_DIR"; then
    LAB_RUN="$LAB_DIR/run"
  else
    LAB_RUN="/var/tmp/auditor-lab-$(printf %s "$LAB_DIR" | sha256sum | cut -c1-12)"
    mkdir -p "$LAB_RUN" && chmod 755 "$LAB_RUN"
    if [ ! -L "$LAB_DIR/run" ]; then
      rm -rf "$LAB_DIR/run"
      ln -s "$LAB_RUN" "$LAB_DIR/run"
    fi
  fi
fi
export LAB_RUN
mkdir -p "$LAB_RUN"

# Install Debian packages without letting their maintainer scripts start
# system-wide daemons (Debian's postfix/nginx/dovecot would bind 0.0.0.0).
lab_apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  if [ ! -f "$LAB_RUN/.apt-updated" ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq && touch "$LAB_RUN/.apt-updated"
  fi
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$created" = 1 ] && rm -f "$policy"
  return 0
}

# Add an address of 127.0.0.0/8 to lo if the kernel does not already answer on it.
# (Linux routes all of 127/8 to lo, so this is normally a no-op.)
lab_ensure_addr() {
  local addr="$1"
  ip -4 addr show dev lo | grep -q " $addr/" && return 0
  case "$addr" in 127.*) ;; *) echo "refusing non-loopback address $addr" >&2; return 1;; esac
  ip addr add "$addr/8" dev lo 2>/dev/null || true
}

# Stop a daemon by the PID stored in a file.
lab_stop_pidfile() {
  local pidfile="$1"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------------------
# Lab-wide constants. Components and zone fragments read these (they are
# exported so executable zone fragments and ${VAR} substitution see them).
export LAB_DIR LAB_RUN
export LAB_DNS_IP="${LAB_DNS_IP:-127.0.53.1}"     # Knot, authoritative for lab.test and plain.test
export LAB_WEB_IP="${LAB_WEB_IP:-127.0.80.1}"     # nginx, MTA-STS policy hosts (80 -> 301, 443)
export LAB_DEAD_IP="${LAB_DEAD_IP:-127.0.80.99}"  # deliberately nothing listens here
export LAB_MAIL_IP="${LAB_MAIL_IP:-127.0.25.1}"   # mail servers (the mail component populates 127.0.25.0/24)
export LAB_ZONE="lab.test"
export LAB_PLAIN_ZONE="plain.test"
export LAB_BOGUS_ZONE="bogus.test"                # signed, but the DS in the lab root matches no key
export LAB_RESOLVER_IP="${LAB_RESOLVER_IP:-127.0.53.2}"        # unbound, validating from the lab root
export LAB_PLAIN_RESOLVER_IP="${LAB_PLAIN_RESOLVER_IP:-127.0.53.3}"  # unbound, not validating
export LAB_CA_FILE="$LAB_RUN/ca/ca.pem"           # the trusted root; the untrusted CA is never in here
export LAB_CERTS="$LAB_RUN/certs"
export LAB_TRUST_ANCHOR="$LAB_RUN/dns/$LAB_ZONE.ds"
export LAB_ROOT_ANCHOR="$LAB_RUN/dns/root.ds"     # DS of the lab root's KSK: anchors the whole lab tree

# Mail-domain variants under lab.test: each differs from "good" in one defect
# (see README.md). The order is the order of lab.json's "domains".
LAB_VARIANTS=(good testing mxmissing expired untrusted notlsrpt nodmarc weakdmarc
              xss nullmx implicit nomtasts badpolicy maxage dead)
export LAB_VARIANTS_LIST="${LAB_VARIANTS[*]}"   # for child processes (arrays are not exported)

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: ERROR: %s\n' "$*" >&2; exit 1; }

# True when the PID in FILE names a live process.
lab_pid_alive() {
  local pidfile="$1" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Replace FILE by stdin only if the content differs, so unchanged configs keep
# their mtime and a re-run can tell "nothing to reload" (returns 1 then).
lab_write_if_changed() {
  local file="$1" tmp
  tmp="$(mktemp "$file.XXXXXX")"
  cat >"$tmp"
  if [ -f "$file" ] && cmp -s "$tmp" "$file"; then rm -f "$tmp"; return 1; fi
  mv -f "$tmp" "$file"
  return 0
}

# Wait until a TCP port accepts connections (bash /dev/tcp, no extra tools).
lab_wait_tcp() {
  local host="$1" port="$2" tries="${3:-50}"
  for _ in $(seq "$tries"); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# A lab started from another checkout of this repository (an earlier CI clone, a
# developer's second clone) holds the same 127.x addresses. Its daemons are recognised
# by a tests/lab path of another checkout in their command line or working directory,
# and stopped so that this checkout's lab can start. Nothing else is ever touched.
lab_evict_foreign() {
  local pid info evicted=0
  for pid in $(ss -Hltnup 2>/dev/null | awk '$5 ~ /^127\.0\.(25|53|80)\./' \
               | grep -oE 'pid=[0-9]+' | cut -d= -f2 | sort -u); do
    # A process may be gone by now (a worker of a master stopped a moment ago).
    [ -r "/proc/$pid/cmdline" ] || continue
    info="$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true) $(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
    case "$info" in
      *"$LAB_DIR/"*|*"$LAB_RUN/"*) ;;  # ours
      */tests/lab/run/*|*/tests/lab/delay_proxy.py*|*/auditor-lab-*)
        echo "lab: stopping pid $pid of another checkout's lab: ${info:0:120}" >&2
        kill "$pid" 2>/dev/null || true
        evicted=1 ;;
    esac
  done
  [ "$evicted" = 1 ] || return 0
  for _ in $(seq 50); do
    ss -Hltnu 2>/dev/null | awk '$5 ~ /^127\.0\.(25|53|80)\./' | grep -q . || return 0
    sleep 0.1
  done
}
