# A Kubernetes node emulated on this host, for end-to-end tests (sourced
# after lib.sh; docs/kubernetes.md, "How the tests emulate a cluster").
# A "pod" is a network namespace with a veth, a /32 pod IP routed via the
# host (proxy_arp, Calico's layout), and processes in a cgroupfs kubelet
# cgroup /kubepods/besteffort/pod<uid>/<container id> (unified, name=systemd,
# memory and pids hierarchies). The fake API server serves the objects.
# Everything made here is removed by teardown_node (call it on EXIT).
source "$(dirname "${BASH_SOURCE[0]}")/fake_k8s_api.sh"

CG_CONTROLLERS=(unified systemd memory pids)
NODE_OLD_FORWARD=$(sysctl -n net.ipv4.ip_forward)
NODE_NETS=()     # "netns veth ip" of every pod network made
NODE_CGROUPS=()  # "uid cid" of every pod cgroup made
NODE_ON_EXIT=()  # extra commands (iptables rules, addresses) undone at teardown

cg_dir() {  # cg_dir CONTROLLER UID CID
  echo "/sys/fs/cgroup/$1/kubepods/besteffort/pod$2/$3"
}

new_uid() { python3 -c 'import uuid; print(uuid.uuid4())'; }
new_cid() { openssl rand -hex 32; }

pod_cgroup() {  # pod_cgroup UID CID
  local c
  for c in "${CG_CONTROLLERS[@]}"; do mkdir -p "$(cg_dir $c $1 $2)"; done
  NODE_CGROUPS+=("$1 $2")
}

pod_net() {  # pod_net NETNS VETH IP
  local ns=$1 veth=$2 ip=$3
  sysctl -qw net.ipv4.ip_forward=1  # pods reach each other through the host
  ip netns add $ns
  ip link add $veth type veth peer name eth0 netns $ns
  ip -n $ns addr add $ip/32 dev eth0
  ip -n $ns link set lo up
  ip -n $ns link set eth0 up
  ip -n $ns route add 169.254.1.1 dev eth0 scope link
  ip -n $ns route add default via 169.254.1.1 dev eth0
  ip link set $veth up
  ip route add $ip/32 dev $veth
  sysctl -qw net.ipv4.conf.$veth.proxy_arp=1 net.ipv4.neigh.$veth.proxy_delay=0
  NODE_NETS+=("$ns $veth $ip")
}

# pod_net_down NETNS VETH IP: the sandbox goes, its IP is free again.
pod_net_down() {
  ip netns del $1 2> /dev/null || true
  ip link del $2 2> /dev/null || true
  ip route del $3/32 2> /dev/null || true
}

make_pod() {  # make_pod NETNS VETH IP UID CID
  pod_net $1 $2 $3
  pod_cgroup $4 $5
}

# in_pod UID CID NETNS CMD...: runs CMD in the pod's cgroups, then its
# netns (ip netns exec remounts /sys, so the cgroup move comes first).
in_pod() {
  local uid=$1 cid=$2 ns=$3 c
  shift 3
  for c in "${CG_CONTROLLERS[@]}"; do echo $BASHPID > "$(cg_dir $c $uid $cid)/cgroup.procs"; done
  exec ip netns exec $ns "$@"
}

teardown_node() {
  local pid c uc uid cid n
  # Processes first: a cgroup with members cannot be removed.
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2> /dev/null || true; done
  for n in "${NODE_NETS[@]}"; do pod_net_down $n; done
  for c in "${NODE_ON_EXIT[@]}"; do eval "$c" 2> /dev/null || true; done
  sysctl -qw net.ipv4.ip_forward="$NODE_OLD_FORWARD" || true
  for c in "${CG_CONTROLLERS[@]}"; do
    for uc in "${NODE_CGROUPS[@]}"; do
      read -r uid cid <<< "$uc"
      rmdir "$(cg_dir $c $uid $cid)" "/sys/fs/cgroup/$c/kubepods/besteffort/pod$uid" 2> /dev/null || true
    done
    # Only when no one else (a real kubelet) uses them.
    rmdir "/sys/fs/cgroup/$c/kubepods/besteffort" "/sys/fs/cgroup/$c/kubepods" 2> /dev/null || true
  done
}

# An HTTP/1.1 server for pods: `in_pod ... python3 "$POD_SERVER" PORT 0.0.0.0`.
POD_SERVER="$LOUPE_SRC/tests/e2e/http_server.py"

# start_run: `loupe run` on a free port, with a token (without one it
# takes no remote ingest, so no collector snapshot); sets API, RUN_PID and
# LOUPE_TOKEN, which `loupe cluster` and `loupe query` read.
start_run() {
  local port i
  port=$(free_port)
  API="http://127.0.0.1:$port"
  openssl rand -hex 16 > "$WORK/loupe.token"
  export LOUPE_TOKEN=$(cat "$WORK/loupe.token")
  : > "$WORK/run.out"  # a restart must not see the previous run's ready line
  "$LOUPE" run --listen 127.0.0.1:$port --data-dir "$WORK/data" --token-file "$WORK/loupe.token" "$@" \
    > "$WORK/run.out" 2> "$WORK/run.err" &
  RUN_PID=$!
  PIDS+=($RUN_PID)
  for i in $(seq 100); do
    grep -q "Loupe is running" "$WORK/run.out" 2> /dev/null && return 0
    kill -0 $RUN_PID 2> /dev/null || { cat "$WORK/run.err" >&2; exit 1; }
    sleep 0.1
  done
}
api() { curl -s -H "Authorization: Bearer $LOUPE_TOKEN" "$API$1"; }
