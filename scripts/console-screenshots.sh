#!/usr/bin/env bash
# The README's console screenshots: the browser test (a real dispatch against the simulators, watched in
# headless Chromium) saves them into docs/screenshots/. Uses DATABASE_URL and REDIS_URL as `make test` does.
set -euo pipefail
cd "$(dirname "$0")/.."
VPP_SCREENSHOT_DIR="$PWD/docs/screenshots" make test PYTEST_ARGS="tests/console/test_browser_live_dispatch.py -q"
ls -l docs/screenshots/
