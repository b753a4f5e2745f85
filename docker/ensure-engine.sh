#!/usr/bin/env bash
# Makes sure this machine can run the stack: a Docker engine (Debian's docker.io, installed when
# missing), its daemon running (started in the background where there is no systemd), and a swarm
# (a one-node one, advertised on 127.0.0.1, when this engine is in none).
set -euo pipefail
log() { printf '[engine] %s\n' "$*" >&2; }
if ! command -v dockerd >/dev/null; then
  log "installing docker.io"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null || { tail -20 /var/log/dockerd.log >&2; exit 1; }
fi
if [[ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]]; then
  log "creating a one-node swarm"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi
