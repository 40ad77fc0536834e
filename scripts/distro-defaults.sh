#!/usr/bin/env bash
# Distribution default configs for the host-root tests (tests/hostroots): each package is
# downloaded from Debian's package registry (apt-get download) and unpacked (dpkg-deb -x)
# into a cache OUTSIDE the repository, never committed. Idempotent: a package already
# unpacked is skipped. Prints the cache directory on its last line.
#   AUDITOR_DISTRO_CACHE  where to unpack (default /var/cache/auditor-distro)
set -euo pipefail
CACHE=${AUDITOR_DISTRO_CACHE:-/var/cache/auditor-distro}
PACKAGES=(postfix dovecot-core rsyslog logrotate roundcube-core roundcube-plugins nginx-common postfixadmin systemd)

mkdir -p "$CACHE/.debs"
missing=()
for pkg in "${PACKAGES[@]}"; do
  [ -f "$CACHE/$pkg/.unpacked" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  cd "$CACHE/.debs"
  # apt-get download as root warns that _apt cannot write here; the download itself works.
  if ! apt-get download -qq "${missing[@]}" 2>/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get download -qq "${missing[@]}"
  fi
  for pkg in "${missing[@]}"; do
    deb=$(ls -t "$CACHE/.debs/${pkg}"_*.deb | head -n1)
    rm -rf "${CACHE:?}/$pkg"
    mkdir -p "$CACHE/$pkg"
    dpkg-deb -x "$deb" "$CACHE/$pkg"
    basename "$deb" >"$CACHE/$pkg/.unpacked"
  done
fi
echo "$CACHE"
