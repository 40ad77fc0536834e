#!/usr/bin/env bash
# Set up a fresh Debian machine (as root) for auditor: system packages, a virtualenv in
# .venv with auditor and its test tools. Idempotent; a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lab/lib.sh

# Python with venv support (Debian splits venv/ensurepip into python3-venv).
if ! command -v python3 >/dev/null 2>&1; then lab_apt_install python3 python3-venv; fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then lab_apt_install python3-venv; fi
lab_apt_install ca-certificates openssl iproute2 procps tzdata git
# The lab's servers (knot, nginx, postfix, dovecot) are installed by tests/lab/up.sh itself.

if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 'setuptools>=77' wheel
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# The RFC 7208 SPF test suite from the pyspf sdist (PyPI), kept outside the repository.
bash scripts/peer-suites.sh >/dev/null

# Redis on 127.0.0.1:6379: the Celery broker and the shared per-IP limiter of
# `auditor fleet --broker` (and its tests). Started here when nothing answers there;
# descriptors above 2 are closed first, so a caller's lock (flock) is never inherited.
lab_apt_install redis-server redis-tools
if ! redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
  (
    for fd in $(ls /proc/$BASHPID/fd); do case "$fd" in 0 | 1 | 2) ;; *) eval "exec $fd>&-" ;; esac; done
    exec redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
      --dir /tmp --logfile /tmp/auditor-redis.log
  ) </dev/null >/dev/null
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG || { echo "redis-server did not start (log: /tmp/auditor-redis.log)" >&2; exit 1; }
fi
