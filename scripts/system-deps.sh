#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium and its driver for the Datasette browser
# test, a CJK font so its screenshots show Chinese, redis-server, which the distributed tests
# start themselves on 127.0.0.1 (tests/redis_server.py), and antiword and catdoc (GPL programs,
# run as separate processes) that read Word 97-2003 and WPS attachments. Installed only when
# missing.
set -euo pipefail
packages=(chromium chromium-driver fonts-noto-cjk redis-server antiword catdoc)
dpkg -s "${packages[@]}" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: run  sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
