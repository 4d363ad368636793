#!/usr/bin/env bash
# Install Debian's Chromium and the Khmer and Thai fonts the portal's browser tests need.
set -euo pipefail

packages=()
command -v chromium >/dev/null || packages+=(chromium)
fc-list 2>/dev/null | grep -qi "khmer" || packages+=(fonts-khmeros)
fc-list 2>/dev/null | grep -qiE "tlwg|noto sans thai" || packages+=(fonts-thai-tlwg)

if [ ${#packages[@]} -eq 0 ]; then
  echo "Chromium and the Khmer and Thai fonts are installed."
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "The browser tests need: ${packages[*]} (Debian packages); install them as root." >&2
  exit 1
fi
echo "Installing ${packages[*]}..."
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3 4 5; do
  # Another installer may hold the dpkg lock: wait and try again.
  if apt-get update -q && apt-get install -y -q --no-install-recommends "${packages[@]}"; then
    exit 0
  fi
  sleep $((attempt * 10))
done
echo "Could not install ${packages[*]}." >&2
exit 1
