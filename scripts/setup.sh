#!/usr/bin/env bash
# Installs what Loupe needs on Debian 12, idempotently.
#   scripts/setup.sh          build + run dependencies
#   scripts/setup.sh --test   also the real servers and clients the tests drive
set -euo pipefail

build_pkgs=(cmake make ccache g++ clang llvm pkg-config libbpf-dev bpftool libelf-dev libdw-dev libcapstone-dev zlib1g-dev
  libiberty-dev libzstd-dev libssl-dev libsqlite3-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev
  libmicrohttpd-dev libpq-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev)
test_pkgs=(nginx wrk curl jq python3 redis-server redis-tools postgresql postgresql-contrib
  mariadb-server mariadb-client libmariadb-dev dnsutils dnsmasq-base iproute2
  iptables openssl libclang-rt-14-dev chromium python3-yaml linux-perf stress-ng
  prometheus-alertmanager prometheus nghttp2-server nghttp2-client python3-grpcio python3-h2
  python3-jsonschema mmdebstrap buildah podman runc python3-psycopg2 python3-redis
  memcached python3-pymemcache nats-server golang-go clickhouse-server rabbitmq-server
  python3-pika crossbuild-essential-arm64 file zookeeper)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")
# The web UI needs Node.js 20+ with npm; keep one that is already installed
# (e.g. from NodeSource) rather than pulling Debian's older one over it.
command -v npm >/dev/null 2>&1 || want+=(nodejs npm)

# The arm64 cross check (scripts/cross-build-arm64.sh --agent, a ctest test)
# downloads arm64 packages into its own sysroot: apt must know the
# architecture (nothing arm64 is installed on the host).
update_first=0
if [[ "${1:-}" == "--test" ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to add the arm64 architecture to apt (run with sudo)" >&2
    exit 3
  fi
  dpkg --add-architecture arm64
  update_first=1
fi

# One dpkg-query for all of them (one per package took ~45 s on a loaded
# 2-core machine where everything was installed).
declare -A installed=()
while IFS=$'\t' read -r name status; do
  [[ $status == "install ok installed" ]] && installed[$name]=1
done < <(dpkg-query -W -f='${Package}\t${Status}\n' "${want[@]}" 2>/dev/null)
missing=()
for p in "${want[@]}"; do
  [[ -n ${installed[$p]:-} ]] || missing+=("$p")
done
# One package list update: for the new architecture, or for what is missing
# (on a fresh machine both, and it used to run twice).
if ((update_first || ${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to install: ${missing[*]} (run with sudo)" >&2
    exit 3
  fi
  apt-get update -qq
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's packages start their services on install (PostgreSQL, MariaDB,
  # ClickHouse, RabbitMQ, ZooKeeper, Prometheus, ...); tests start their own.
  # A policy-rc.d that refuses starts keeps them from starting, so installing
  # is quicker and they do not sit on a 2-core CI machine's CPU and memory
  # during the build and tests. (Left alone if one is there already.)
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# scripts/setup.sh: no service starts while it installs\nexit 101\n' > "$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: dependencies present"
