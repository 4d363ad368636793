#!/usr/bin/env bash
# Start the local PostgreSQL and Redis the tests use when they are installed but stopped;
# install the browser and fonts of the portal tests when missing.
set -euo pipefail

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_ready() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

missing=()

if ! pg_ready; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 30); do pg_ready && break; sleep 1; done
  fi
  pg_ready || missing+=("PostgreSQL on 127.0.0.1:5432 (install the Debian package 'postgresql')")
fi

if ! redis_ready; then
  if command -v redis-server >/dev/null; then
    echo "Starting Redis..."
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 30); do redis_ready && break; sleep 1; done
  fi
  redis_ready || missing+=("Redis on 127.0.0.1:6379 (install the Debian package 'redis-server')")
fi

# The person's record is a PDF (WeasyPrint): Pango, and fonts for Khmer, Thai and Vietnamese.
pdf_ready() {
  ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' && ldconfig -p | grep -q 'libpangoft2-1.0.so' \
    && [ -n "$(fc-list :lang=km family 2>/dev/null)" ] && [ -n "$(fc-list :lang=th family 2>/dev/null)" ]
}
PDF_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-dejavu-core fonts-noto-core fonts-khmeros)
if ! pdf_ready; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing what WeasyPrint needs: ${PDF_PACKAGES[*]}..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${PDF_PACKAGES[@]}" >/dev/null || true
  fi
  pdf_ready || missing+=("Pango and Khmer/Thai fonts for PDFs (Debian: ${PDF_PACKAGES[*]})")
fi
"$(dirname "$0")/ensure_browser.sh" || missing+=("Chromium and the Khmer and Thai fonts (see above)")

if [ ${#missing[@]} -gt 0 ]; then
  echo "The tests need real services that are not available:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
echo "PostgreSQL and Redis are up; PDFs can be rendered."
