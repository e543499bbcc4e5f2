#!/usr/bin/env bash
# Refreshes docs/screenshots/*.png: builds the UI, starts the mock API
# (tests/ui/mock_api.mjs) unless --url is given, and photographs each page with
# headless Chromium through playwright-core.
#   scripts/screenshots.sh [--url http://127.0.0.1:PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-ui.sh
exec node tests/ui/screenshots.mjs --out docs/screenshots "$@"
