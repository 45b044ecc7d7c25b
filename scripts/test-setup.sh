#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine of this kind, when it is missing:
# Debian's Chromium for the browser test (playwright-core drives /usr/bin/chromium).
# Fails loudly when an install fails: the tests that need it must not silently skip.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "test-setup: installing Debian's chromium for the browser test" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "test-setup: need root to apt-get install chromium" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
