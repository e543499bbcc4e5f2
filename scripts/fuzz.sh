#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) in build-fuzz/ and runs
# each for a while. A crash, leak or sanitizer report fails.
#   scripts/fuzz.sh [--seconds N]     (default 30 per target)
# Protocol parsers get N seconds; the decoders of what agents, collectors
# and config files hand Loupe (kDecoders) a third of it: their inputs are
# smaller and they are cheaper to cover. fuzz/seeds/<target>/ holds seed
# inputs where random bytes would rarely reach the interesting code.
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
kDecoders=" fuzz_batch_codec fuzz_profile_inputs fuzz_go_pclntab fuzz_unwind_table fuzz_profile_batch fuzz_ingest_decode fuzz_k8s_ingest fuzz_kubeconfig fuzz_cgroup_path fuzz_hpack fuzz_log_decoder fuzz_log_pattern fuzz_clickhouse_answer fuzz_go_binary "
for t in $targets; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  t_secs=$secs
  [[ "$kDecoders" == *" $t "* ]] && t_secs=$(((secs + 2) / 3))
  seeds=()
  [[ -d fuzz/seeds/$t ]] && seeds=("fuzz/seeds/$t")
  echo "fuzz: $t for ${t_secs}s"
  "build-fuzz/fuzz/$t" -max_total_time="$t_secs" -max_len=65536 -rss_limit_mb=1024 \
    -print_final_stats=0 "$corpus" "${seeds[@]}" 2>"build-fuzz/$t.log" || {
    tail -40 "build-fuzz/$t.log"
    echo "fuzz: $t FAILED (log: build-fuzz/$t.log)"
    exit 1
  }
done
echo "fuzz: all targets ran clean"
