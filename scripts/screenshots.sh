#!/usr/bin/env bash
# Refreshes docs/screenshots/*.png with headless Chromium (playwright-core).
#   scripts/screenshots.sh              from the UI test run (tests/e2e/test_ui.sh as root:
#                                       real captured traffic, a fed-in cluster, 100 services
#                                       on the map); needs a built build/loupe
#   scripts/screenshots.sh --mock       from the mock API (tests/ui/mock_api.mjs)
#   scripts/screenshots.sh --url URL    from a running Loupe
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-ui.sh
out=$PWD/docs/screenshots
case "${1:-}" in
  --mock) exec node tests/ui/screenshots.mjs --out "$out" ;;
  --url) exec node tests/ui/screenshots.mjs --out "$out" "$@" ;;
  "") LOUPE_SCREENSHOTS=$out exec tests/e2e/test_ui.sh ;;
  *) echo "usage: $0 [--mock | --url URL]" >&2; exit 2 ;;
esac
