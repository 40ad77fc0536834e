#!/usr/bin/env bash
# Peers' test suites that the mail-DNS tests run against (tests/peers/test_rfc7208_suite.py):
# the RFC 7208 SPF test suite, rfc7208-tests.yml, as shipped in the pyspf sdist. Downloaded
# from PyPI (pip download, the version installed in .venv) and unpacked into a cache OUTSIDE
# the repository, never committed. Idempotent. Prints the cache directory on its last line.
#   AUDITOR_PEER_CACHE  where to keep it (default /var/cache/auditor-peers)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${AUDITOR_PEER_CACHE:-/var/cache/auditor-peers}
version=$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("pyspf"))')
target="$CACHE/pyspf-$version"
if [ ! -s "$target/rfc7208-tests.yml" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  .venv/bin/python -m pip download -q --disable-pip-version-check --no-binary :all: --no-deps \
    -d "$tmp" "pyspf==$version" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  sdist=$(ls "$tmp"/pyspf-"$version".tar.gz)
  mkdir -p "$target"
  tar -xzf "$sdist" -C "$tmp"
  for f in rfc7208-tests.yml rfc7208-tests.LICENSE rfc7208-tests.CHANGES; do
    cp "$tmp/pyspf-$version/test/$f" "$target/$f.tmp" && mv -f "$target/$f.tmp" "$target/$f"
  done
fi
ln -sfn "$target" "$CACHE/pyspf"
echo "$CACHE"
