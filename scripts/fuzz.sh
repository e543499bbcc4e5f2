#!/usr/bin/env bash
# Builds every parser's libFuzzer target (clang, ASan+UBSan) in build-fuzz/
# and runs each for a while. A crash, leak or sanitizer report fails.
#   scripts/fuzz.sh [--seconds N]     (default 30 per target)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=30
[[ "${1:-}" == "--seconds" ]] && secs=$2
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DLOUPE_FUZZ=ON -DLOUPE_BUILD_TESTS=OFF \
  -DLOUPE_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(cd fuzz && ls ./*_fuzz.cpp | sed 's|./\(.*\)_fuzz.cpp|fuzz_\1|')
# shellcheck disable=SC2086
cmake --build build-fuzz -j"$(nproc)" --target $targets >build-fuzz/build.log 2>&1 || {
  tail -30 build-fuzz/build.log
  echo "fuzz: build failed"
  exit 1
}
for t in $targets; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  echo "fuzz: $t for ${secs}s"
  "build-fuzz/fuzz/$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 \
    -print_final_stats=0 "$corpus" 2>"build-fuzz/$t.log" || {
    tail -40 "build-fuzz/$t.log"
    echo "fuzz: $t FAILED (log: build-fuzz/$t.log)"
    exit 1
  }
done
echo "fuzz: all targets ran clean"
