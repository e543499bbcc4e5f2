#!/usr/bin/env bash
# Cost of sampling 300 containers' cgroups (150 pods x 2 containers, in the
# kubelet's cgroupfs layout, in every hierarchy this host mounts) plus the
# node, as `loupe run` / `loupe agent` do every --metrics-interval.
# Usage (root): bench/metrics_bench.sh [build-dir] [ticks]
# Result rows go to docs/benchmarks.md under "Resource metrics" by hand.
set -euo pipefail
build=${1:-build}
ticks=${2:-30}
bin="$build/bench/metrics_bench"
[[ -x $bin ]] || { echo "build $bin first: cmake --build $build --target metrics_bench" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (creates cgroups)" >&2; exit 1; }
hier=()
for c in cpu cpuacct memory unified; do [[ -d /sys/fs/cgroup/$c ]] && hier+=(/sys/fs/cgroup/$c); done
((${#hier[@]})) || hier=(/sys/fs/cgroup)  # a pure v2 host
base=kubepods/burstable
dirs=()
cleanup() {
  local i
  for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do rmdir "${dirs[i]}" 2> /dev/null || true; done
  for h in "${hier[@]}"; do rmdir "$h/$base" "$h/kubepods" 2> /dev/null || true; done
}
trap cleanup EXIT
for p in $(seq 150); do
  uid=$(printf 'bbbbbbbb-0000-4000-8000-%012d' "$p")
  for h in "${hier[@]}"; do
    pod="$h/$base/pod$uid"
    mkdir -p "$pod"
    dirs+=("$pod")
    for c in 1 2; do
      ctr="$pod/$(printf '%064x' $((p * 10 + c)))"
      mkdir -p "$ctr"
      dirs+=("$ctr")
    done
  done
done
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg); hierarchies: ${hier[*]}"
"$bin" --ticks "$ticks" --interval-s 10
