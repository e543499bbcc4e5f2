#!/usr/bin/env bash
# Builds Loupe's container image from Debian's own packages, pulling no base
# image from any registry, and saves it as an OCI archive that `podman load`
# and `docker load` read (with a docker-archive manifest.json beside the OCI
# layout for Docker before 25):
#
#   1. mmdebstrap extracts only the shared libraries the built binary links
#      (found with ldd and dpkg -S) and Debian's CA certificates into a root
#      file system: no shell, no package manager, no compiler. It is cached
#      by package list, so reruns take seconds.
#   2. buildah adds the stripped binary and the web UI to that root file
#      system, sets the entrypoint, the labels and a non-root user, and
#      commits it straight into the archive (its storage is private and
#      removed afterwards).
#
#   scripts/build-image.sh                 build/loupe-image.tar, tagged as the chart expects
#   scripts/build-image.sh --tag REF       another name (e.g. registry.example.com/loupe:0.1.0)
#   scripts/build-image.sh --out FILE      another archive path
#   scripts/build-image.sh --build DIR     the build directory holding `loupe` (default build)
#   scripts/build-image.sh --refresh       rebuild the cached root file system (security updates)
#
# Needs root (mmdebstrap, buildah), mmdebstrap, buildah and network access to
# the Debian mirror on a cache miss. The cache is $LOUPE_IMAGE_CACHE, by
# default ~/.cache/loupe/image; the UI is $LOUPE_UI_DIR, by default
# ui/dist (scripts/build-ui.sh). Pushing the image to a registry:
# docs/install.md, "Container image".
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
OUT=
TAG=
REFRESH=0
# The Debian the binary was built on (Debian 12), with its security updates.
SUITE=bookworm
MIRRORS=("deb http://deb.debian.org/debian $SUITE main"
  "deb http://deb.debian.org/debian $SUITE-updates main"
  "deb http://deb.debian.org/debian-security $SUITE-security main")

die() { echo "build-image: $*" >&2; exit 1; }
while (($#)); do
  case $1 in
    --tag) TAG=${2:?--tag needs a value}; shift 2 ;;
    --out) OUT=${2:?--out needs a value}; shift 2 ;;
    --build) BUILD=$(cd "${2:?--build needs a value}" && pwd); shift 2 ;;
    --refresh) REFRESH=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
for tool in mmdebstrap buildah ldd dpkg strings strip; do
  command -v $tool >/dev/null || die "$tool not found (scripts/setup.sh --test installs it)"
done
[[ $(id -u) -eq 0 ]] || die "needs root (mmdebstrap and buildah write a root file system)"
BIN=$BUILD/loupe
[[ -x $BIN ]] || die "no $BIN: build first (scripts/build.sh)"
UI=${LOUPE_UI_DIR:-$SRC/ui/dist}
[[ -f $UI/index.html ]] || die "no web UI in $UI: build it first (scripts/build-ui.sh)"

VERSION=$("$BIN" --version | awk 'NR == 1 { print $2 }')
[[ $VERSION =~ ^[0-9] ]] || die "cannot read the version from '$BIN --version'"
REVISION=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)
# What the chart's values.yaml defaults to (image.repository:image.tag).
TAG=${TAG:-ghcr.io/loupe-dev/loupe:$VERSION}
OUT=${OUT:-$BUILD/loupe-image.tar}
started=$(date +%s)

# The Debian packages owning each shared library the binary loads, asked of
# dpkg once. ldd names /lib/... where a package may own /usr/lib/...
# (usrmerge), so both spellings are asked.
runtime_packages() {
  local libs owners paths lib
  libs=$(ldd "$BIN" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }')
  owners=$(dpkg -S $(for lib in $libs; do echo "/usr${lib#/usr}" "${lib#/usr}"; done) 2>/dev/null || true)
  paths=$(sed 's/^.*: //' <<<"$owners")
  for lib in $libs; do
    grep -qFx -e "${lib#/usr}" -e "/usr${lib#/usr}" <<<"$paths" || die "no Debian package owns $lib"
  done
  cut -d: -f1 <<<"$owners" | sort -u
}
# ... and of those it opens with dlopen, which ldd cannot see: capstone,
# while TLS capture disassembles a function (src/agent/capstone_library.h).
# Their sonames are string literals in the binary.
dlopened_packages() {
  local so owner
  for so in $(strings -n 8 "$BIN" | grep -xE 'libcapstone\.so\.[0-9]+' | sort -u); do
    owner=$(dpkg -S "*/$so" 2>/dev/null | head -1) || true
    [[ -n $owner ]] || die "no Debian package owns $so, which $BIN opens"
    echo "${owner%%:*}"
  done
}
mapfile -t packages < <(runtime_packages)
((${#packages[@]})) || die "found no runtime packages for $BIN"
mapfile -t -O "${#packages[@]}" packages < <(dlopened_packages)
packages+=(ca-certificates)

# The root file system, cached under a key of everything that shapes it.
# After the extract, slim() makes the CA bundle update-ca-certificates would
# (package scripts do not run in an extract) and the users, and drops what
# the binary never reads.
slim() {
  local root=$1
  cat "$root"/usr/share/ca-certificates/mozilla/*.crt >"$root"/etc/ssl/certs/ca-certificates.crt
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
    >"$root"/etc/passwd
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root"/etc/group
  rm -rf "$root"/usr/share/{doc,man,locale,info,lintian,ca-certificates,debconf,perl5,gdb,bash-completion} \
    "$root"/usr/lib/*-linux-gnu/gconv "$root"/usr/bin/openssl "$root"/etc/apt \
    "$root"/var/cache/* "$root"/var/log/* "$root"/var/lib/apt "$root"/dev/*
  mkdir -p "$root"/tmp "$root"/proc "$root"/sys && chmod 1777 "$root"/tmp
}
CACHE=${LOUPE_IMAGE_CACHE:-${HOME:-/root}/.cache/loupe/image}
key=$( (printf '%s\n' "${packages[@]}" "${MIRRORS[@]}"; declare -f slim) | sha256sum | cut -c1-16)
rootfs=$CACHE/rootfs-$key.tar
mkdir -p "$CACHE"
if [[ $REFRESH == 1 || ! -s $rootfs ]]; then
  echo "build-image: making the root file system from ${packages[*]}"
  dir=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  mmdebstrap --quiet --variant=extract --include="$(IFS=,; echo "${packages[*]}")" \
    "$SUITE" "$dir/root" - <<<"$(printf '%s\n' "${MIRRORS[@]}")" \
    || { rm -rf "$dir"; die "mmdebstrap failed (is the Debian mirror reachable?)"; }
  slim "$dir/root"
  tar --numeric-owner -C "$dir/root" -cf "$dir/rootfs.tar" .
  mv "$dir/rootfs.tar" "$rootfs"
  rm -rf "$dir"
  find "$CACHE" -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -delete  # keep one
else
  echo "build-image: reusing the root file system $rootfs (--refresh rebuilds it)"
fi

# buildah in private storage: nothing is left behind but the archive.
tmp=$(mktemp -d)
cleanup() { buildah "${store[@]}" rm -a >/dev/null 2>&1 || true; rm -rf "$tmp"; }
store=(--root "$tmp/storage" --runroot "$tmp/run" --storage-driver vfs)
trap cleanup EXIT
strip --strip-unneeded -o "$tmp/loupe" "$BIN"
ctr=$(buildah "${store[@]}" from --quiet scratch)
buildah "${store[@]}" add --quiet "$ctr" "$rootfs" /
buildah "${store[@]}" add --quiet --chmod 0755 "$ctr" "$tmp/loupe" /usr/bin/loupe
buildah "${store[@]}" add --quiet "$ctr" "$UI" /usr/share/loupe/ui
# The server's data and the agent's spool; the chart mounts volumes here.
mkdir -p "$tmp/data/loupe/agent-spool"
buildah "${store[@]}" add --quiet --chown 65534:65534 "$ctr" "$tmp/data" /var/lib
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# The server and the collector run as nobody; the chart runs the agent as
# root (runAsUser: 0) with only the capabilities capture needs.
buildah "${store[@]}" config \
  --entrypoint '["/usr/bin/loupe"]' --cmd '["--help"]' \
  --user 65534:65534 --workingdir /var/lib/loupe --port 8080/tcp \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --label org.opencontainers.image.title=loupe \
  --label "org.opencontainers.image.description=Loupe: requests between services, seen from the kernel with eBPF" \
  --label org.opencontainers.image.version="$VERSION" \
  --label org.opencontainers.image.revision="$REVISION" \
  --label org.opencontainers.image.created="$created" \
  --label org.opencontainers.image.source=https://github.com/loupe-dev/loupe \
  --label org.opencontainers.image.base.name="debian:$SUITE (mmdebstrap: ${packages[*]})" \
  "$ctr"
rm -f "$OUT"
buildah "${store[@]}" commit --quiet --format oci --disable-compression=false --rm "$ctr" "oci-archive:$OUT:$TAG" >/dev/null
# docker load names the image from containerd's annotation (or, before
# Docker 25, a docker-archive manifest.json); podman from the OCI one.
/usr/bin/python3 "$SRC/scripts/image_archive_names.py" "$OUT" "$TAG"

size=$(du -m "$OUT" | cut -f1)
echo "build-image: $OUT ($TAG, ${size} MiB, $(( $(date +%s) - started )) s)"
echo "build-image: load it with: podman load -i $OUT   (or docker load -i $OUT)"
