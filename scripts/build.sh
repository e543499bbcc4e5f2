#!/usr/bin/env bash
# Configures and builds Loupe into build/ (the binary is build/loupe).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
if [[ -f ui/package.json ]]; then
  scripts/build-ui.sh
fi
echo "build: build/loupe ready"
