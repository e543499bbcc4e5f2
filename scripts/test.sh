#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests, parser fuzz smoke runs and
# end-to-end tests against real servers (needs root for eBPF and namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/build.sh
if [[ $(id -u) -ne 0 ]]; then
  echo "test: end-to-end tests load eBPF programs and need root (run with sudo)" >&2
  exit 3
fi
cd build
ctest --output-on-failure --timeout 900 "$@"
