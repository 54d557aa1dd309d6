#!/bin/sh
# The dashboard's browser test (test/browser) drives Debian's chromium: install it when missing.
set -e
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo -n"
else
  echo "sluice: chromium is missing and cannot be installed here (not root, no sudo): apt-get install chromium" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser test …" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
