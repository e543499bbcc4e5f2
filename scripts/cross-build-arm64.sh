#!/usr/bin/env bash
# Cross-compiles and links Loupe for arm64 (aarch64) on an x86-64 Debian 12
# host. It checks that arm64 builds; it does not run anything.
#   scripts/cross-build-arm64.sh [--agent-objects] [-j N]
#     (default)  the whole loupe binary, into build-arm64/build/loupe
#     --agent-objects the agent side only (core, protocols, logs, k8s, agent and
#                its BPF programs), every object linked whole into
#                build-arm64/agent/loupe_agent_objects: what CI runs (the
#                ctest test cross_build_arm64_agent): about half the
#                sources of the whole binary (timings: docs/benchmarks.md).
#
# The compiler is Debian's crossbuild-essential-arm64 (installed when
# missing, which needs root). The arm64 libraries are not installed: their
# packages (the -dev packages scripts/setup.sh installs, and what they
# depend on) are downloaded with `apt-get download` and unpacked into a
# sysroot, build-arm64/sysroot, so the host's packages are left alone
# (installing them as multiarch packages would upgrade the host's amd64
# copies to the same version, and libyaml-cpp-dev:arm64 conflicts with the
# amd64 one). Needs `dpkg --add-architecture arm64 && apt-get update` once
# (scripts/setup.sh --test does it).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
target=loupe build_dir=build
# The whole binary as it ships; the agent check compiles without
# optimization or debug info: it is linked to be compiled, never run, and
# -O0 takes about a quarter less CPU (docs/benchmarks.md, arm64 cross build).
build_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
while (($#)); do
  case $1 in
    --agent-objects)
      target=loupe_agent_objects build_dir=agent
      build_flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG=-O0 -DCMAKE_CXX_FLAGS_DEBUG=-O0)
      ;;
    -j) jobs=${2:?-j needs a number}; shift ;;
    -j[0-9]*) jobs=${1#-j} ;;
    *) echo "usage: scripts/cross-build-arm64.sh [--agent-objects] [-j N]" >&2; exit 2 ;;
  esac
  shift
done
out=$PWD/build-arm64
sysroot=$out/sysroot

if ! command -v aarch64-linux-gnu-g++ >/dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "cross-build-arm64: run as root once to install crossbuild-essential-arm64" >&2; exit 3; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends crossbuild-essential-arm64 >/dev/null
fi
dpkg --print-foreign-architectures | grep -qx arm64 ||
  { echo "cross-build-arm64: apt does not know arm64: dpkg --add-architecture arm64 && apt-get update" >&2; exit 3; }

# The -dev packages of scripts/setup.sh the loupe binary builds with; the
# header-only ones (nlohmann-json, CLI11) are architecture-independent.
dev_pkgs=(libbpf-dev libelf-dev libcapstone-dev libdw-dev libiberty-dev zlib1g-dev libzstd-dev libssl-dev libsqlite3-dev libmicrohttpd-dev
  libprotobuf-dev libcpp-httplib-dev libpq-dev)
# .complete holds the list it was made from: a package added here remakes it.
if [[ "$(cat "$sysroot/.complete" 2>/dev/null)" != "${dev_pkgs[*]}" ]]; then
  rm -rf "$sysroot" "$out/debs" && mkdir -p "$sysroot" "$out/debs"
  # Every arm64 package they need: what apt would install on a system that
  # has nothing installed (so the host's packages do not shorten the list).
  mapfile -t pkgs < <(apt-get install -s -o Dir::State::status=/dev/null --no-install-recommends \
    "${dev_pkgs[@]/%/:arm64}" 2>/dev/null | awk '/^Inst/ && /\[arm64\]/ {print $2}')
  ((${#pkgs[@]})) || { echo "cross-build-arm64: apt found no arm64 packages (apt-get update?)" >&2; exit 1; }
  pkgs+=(libyaml-cpp-dev:arm64 libyaml-cpp0.7:arm64 nlohmann-json3-dev libcli11-dev)
  echo "cross-build-arm64: unpacking ${#pkgs[@]} arm64 packages into $sysroot"
  # (apt warns that it downloads as root when run as root: expected here)
  (cd "$out/debs" && apt-get download "${pkgs[@]}" 2>&1 >/dev/null | grep -v unsandboxed >&2 || true)
  for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  rm -rf "$out/debs"
  echo "${dev_pkgs[*]}" > "$sysroot/.complete"
fi

cat > "$out/toolchain.cmake" << EOF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_SYSROOT $sysroot)
# Libraries, headers and CMake packages from the sysroot only; programs
# (protoc, bpftool, clang) from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} $sysroot)
set(ENV{PKG_CONFIG_LIBDIR} $sysroot/usr/lib/aarch64-linux-gnu/pkgconfig:$sysroot/usr/share/pkgconfig)
EOF

start=$(date +%s)
cmake -S . -B "$out/$build_dir" -DCMAKE_TOOLCHAIN_FILE="$out/toolchain.cmake" "${build_flags[@]}" \
  -DLOUPE_BUILD_TESTS=OFF -DLOUPE_BUILD_BENCH=OFF > /dev/null
cmake --build "$out/$build_dir" -j"$jobs" --target "$target"
binary=$out/$build_dir/$target
file -b "$binary" | grep -q "ARM aarch64" ||
  { echo "cross-build-arm64: $binary is not an arm64 executable" >&2; exit 1; }
echo "cross-build-arm64: $binary (arm64) built in $(($(date +%s) - start)) s"
