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

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((update_first)) && apt-get update -qq
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to install: ${missing[*]} (run with sudo)" >&2
    exit 3
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's packages start their services on install; tests start their own.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: dependencies present"
