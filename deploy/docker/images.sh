#!/usr/bin/env bash
# Builds every streamgate image from deploy/docker/<component>.Dockerfile with buildah
# (Debian's `buildah`; docker or podman build the same Dockerfiles), from the repository root.
#
#   npm run images                          # NODE_IMAGE=node:20-bookworm-slim from a registry
#   npm run images -- --local-base          # no registry: build the base from Debian packages
#   npm run images -- --tag 0.1.0 ingest    # some components only
#
# --local-base builds localhost/streamgate-node:20-bookworm: a minimal Debian bookworm made by
# debootstrap from Debian's mirror, plus the Node.js runtime of this machine (node and npm),
# plus this machine's CA certificates (so apt and npm inside the build trust what the machine
# trusts). It stands in for node:20-bookworm-slim where no image registry is reachable.
#
# Environment: IMAGE_PREFIX (default localhost/streamgate/streamgate; the chart's
# image.registry/image.repository), NODE_IMAGE (base image, overrides --local-base),
# BUILDAH_ISOLATION (default chroot: works as root without user namespaces), STORAGE_DRIVER
# (buildah's; vfs when overlay is unavailable), DEBIAN_MIRROR.
set -euo pipefail
cd "$(dirname "$0")/../.."

COMPONENTS=(ingest packetizer rtsp-egress hls-egress control-api all-in-one)
LOCAL_BASE=localhost/streamgate-node:20-bookworm
tag=$(node -p 'require("./package.json").version')
local_base=0
only=()
while (($#)); do
  case "$1" in
    --local-base) local_base=1 ;;
    --tag) tag=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) only+=("$1") ;;
  esac
  shift
done
((${#only[@]})) && COMPONENTS=("${only[@]}")
prefix=${IMAGE_PREFIX:-localhost/streamgate/streamgate}
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
command -v buildah >/dev/null || { echo "images: buildah not found (apt-get install buildah)" >&2; exit 1; }

log() { printf 'images: %s\n' "$*" >&2; }

build_local_base() {
  if buildah inspect --type image "$LOCAL_BASE" >/dev/null 2>&1; then
    log "$LOCAL_BASE exists (buildah rmi it to rebuild)"
    return
  fi
  command -v debootstrap >/dev/null || { log "debootstrap not found (apt-get install debootstrap)"; exit 1; }
  local work rootfs ctr mnt node npm_dir
  work=$(mktemp -d /var/tmp/streamgate-base.XXXXXX)
  rootfs=$work/rootfs
  trap 'rm -rf "$work"' RETURN
  log "debootstrap bookworm (minbase) into $rootfs"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  node=$(command -v node)
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  log "Node.js $("$node" --version) from $node, npm from $npm_dir"
  install -D -m 0755 "$node" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # Node's C headers, as in the official image: node-gyp builds libs/native-udp against them.
  local headers
  headers=$(dirname "$(dirname "$node")")/include/node
  [[ -d $headers ]] && { mkdir -p "$rootfs/usr/local/include"; cp -a "$headers" "$rootfs/usr/local/include/node"; }
  # The machine's extra CAs (a TLS-inspecting egress proxy, say), so builds reach the registries.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  # The "node" user of the official image (uid/gid 1000), which the Dockerfiles run as.
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  cp -a "$rootfs"/. "$mnt"/
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$("$node" --version | tr -d v)" --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt --env NPM_CONFIG_UPDATE_NOTIFIER=false \
    --cmd node --label org.opencontainers.image.description="Debian bookworm minbase + Node.js (streamgate local base)" "$ctr"
  buildah commit --rm "$ctr" "$LOCAL_BASE" >/dev/null
  log "built $LOCAL_BASE ($(image_size "$LOCAL_BASE"))"
}

image_size() { buildah images --format '{{.Size}}' "$1" | head -1; }

if [[ -z ${NODE_IMAGE:-} && $local_base == 1 ]]; then
  build_local_base
  NODE_IMAGE=$LOCAL_BASE
fi
build_args=()
[[ -n ${NODE_IMAGE:-} ]] && build_args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE")

for c in "${COMPONENTS[@]}"; do
  [[ -f deploy/docker/$c.Dockerfile ]] || { log "no deploy/docker/$c.Dockerfile"; exit 1; }
  log "building $prefix-$c:$tag"
  start=$SECONDS
  # --layers: the builder stage is the same in every Dockerfile, so it is built once.
  # --format docker: the OCI format has no HEALTHCHECK.
  buildah bud --layers --format docker "${build_args[@]}" \
    -f "deploy/docker/$c.Dockerfile" --ignorefile deploy/docker/.dockerignore \
    -t "$prefix-$c:$tag" . >&2
  log "built $prefix-$c:$tag in $((SECONDS - start)) s: $(image_size "$prefix-$c:$tag")"
done
