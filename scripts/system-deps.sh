#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium and its driver for the Datasette browser
# test, a CJK font so its screenshots show Chinese, redis-server, which the distributed tests
# start themselves on 127.0.0.1 (tests/redis_server.py), and antiword and catdoc (GPL programs,
# run as separate processes) that read Word 97-2003 and WPS attachments, and Tesseract with its
# simplified-Chinese model for the OCR of scanned PDFs (`--ocr`; its test). Installed only when
# missing (.ci/run gets them through `make test`).
set -euo pipefail
packages=(chromium chromium-driver fonts-noto-cjk redis-server antiword catdoc
  tesseract-ocr tesseract-ocr-chi-sim)
dpkg -s "${packages[@]}" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: run  sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
