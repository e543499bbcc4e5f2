#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) in build-fuzz/ and runs
# each: first over its seeds and saved corpus (every input, always), then
# fuzzing for a while. A crash, leak or sanitizer report fails.
#   scripts/fuzz.sh [--seconds N]   N seconds of fuzzing per target (default 30):
#                                   the long runs, for people
#   scripts/fuzz.sh --budget N      N seconds of fuzzing in all, shared by the
#                                   targets: the smoke test CI runs
#                                   (ctest fuzz_parsers_smoke; docs/benchmarks.md, "CI time")
# Protocol parsers get three shares of the time, the decoders of what agents,
# collectors and config files hand Loupe (kDecoders) one: their inputs are
# smaller and they are cheaper to cover. fuzz/seeds/<target>/ holds seed
# inputs where random bytes would rarely reach the interesting code.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=30 budget=0
case "${1:-}" in
  --seconds) secs=${2:?--seconds needs a number} ;;
  --budget) budget=${2:?--budget needs a number} ;;
  "") ;;
  *) echo "usage: scripts/fuzz.sh [--seconds N | --budget N]" >&2; exit 2 ;;
esac
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DLOUPE_FUZZ=ON -DLOUPE_BUILD_TESTS=OFF \
  -DLOUPE_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(cd fuzz && ls ./*_fuzz.cpp | sed 's|./\(.*\)_fuzz.cpp|fuzz_\1|')
start=$(date +%s)
# shellcheck disable=SC2086
cmake --build build-fuzz -j"$(nproc)" --target $targets >build-fuzz/build.log 2>&1 || {
  tail -30 build-fuzz/build.log
  echo "fuzz: build failed"
  exit 1
}
echo "fuzz: built in $(($(date +%s) - start)) s"
kDecoders=" fuzz_batch_codec fuzz_noted_records fuzz_profile_inputs fuzz_go_pclntab fuzz_unwind_table fuzz_profile_batch fuzz_ingest_decode fuzz_k8s_ingest fuzz_kubeconfig fuzz_cgroup_path fuzz_hpack fuzz_log_decoder fuzz_log_pattern fuzz_clickhouse_answer fuzz_go_binary "
shares() { [[ "$kDecoders" == *" $1 "* ]] && echo 1 || echo 3; }
total_shares=0
for t in $targets; do total_shares=$((total_shares + $(shares "$t"))); done
run() {  # target, log, libFuzzer flags and inputs...
  local t=$1 log=$2
  shift 2
  "build-fuzz/fuzz/$t" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=0 "$@" 2>"$log" || {
    tail -40 "$log"
    echo "fuzz: $t FAILED (log: $log)"
    exit 1
  }
}
start=$(date +%s)
for t in $targets; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  inputs=("$corpus")
  [[ -d fuzz/seeds/$t ]] && inputs+=("fuzz/seeds/$t")
  if ((budget)); then
    t_secs=$(((budget * $(shares "$t") + total_shares / 2) / total_shares))  # rounded
    ((t_secs >= 1)) || t_secs=1
  else
    t_secs=$secs
    [[ $(shares "$t") == 1 ]] && t_secs=$(((secs + 2) / 3))
  fi
  # Every seed and corpus input once, however short the fuzzing after it.
  run "$t" "build-fuzz/$t.replay.log" -runs=0 "${inputs[@]}"
  echo "fuzz: $t replayed its $(find "${inputs[@]}" -type f | wc -l) inputs, fuzzing ${t_secs}s"
  run "$t" "build-fuzz/$t.log" -max_total_time="$t_secs" "${inputs[@]}"
done
echo "fuzz: all targets ran clean in $(($(date +%s) - start)) s"
