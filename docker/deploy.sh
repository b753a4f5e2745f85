#!/usr/bin/env bash
# docker/deploy.sh [docker stack deploy options...]: deploys or updates the stack (name: $STACK, default
# ems) from docker-compose.yml. TAG must name the images to run.
#
# - Swarm configs are immutable, so each one is named after its content's digest: an edited traefik.yml,
#   tls.yml or rabbitmq.conf becomes a new config that rolls out, where reusing the name would fail the deploy.
# - What this machine forces, detected here and added as an override (printed), nothing else:
#   no IPVS in the kernel (service virtual IPs answer nothing): every service resolves by DNS round
#   robin (endpoint_mode dnsrr); no Traefik image (no registry): Traefik at 0 replicas, and web and chat
#   each publish every task on a host port of its own (`docker service ps` shows them).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TAG:?set TAG to the image tag, e.g. export TAG=\$(git rev-parse --short=12 HEAD)}"
digest() { sha256sum "$1" | cut -c1-12; }
TRAEFIK_CONFIG_DIGEST="$(digest traefik.yml)"
TRAEFIK_TLS_DIGEST="$(digest docker/traefik/tls.yml)"
RABBITMQ_CONFIG_DIGEST="$(digest docker/rabbitmq/rabbitmq.conf)"
export TAG TRAEFIK_CONFIG_DIGEST TRAEFIK_TLS_DIGEST RABBITMQ_CONFIG_DIGEST

ipvs() { [[ -e /proc/net/ip_vs ]] || { modprobe ip_vs 2>/dev/null && [[ -e /proc/net/ip_vs ]]; }; }
traefik_image="$(awk '/^  traefik:/{t=1} t && /image:/{print $2; exit}' docker-compose.yml)"
traefik() { docker image inspect "$traefik_image" >/dev/null 2>&1 || timeout 60 docker pull -q "$traefik_image" >/dev/null 2>&1; }
services="$(awk '/^services:/{s=1; next} s && /^[^ #]/{s=0} s && /^  [a-z][a-z0-9-]*:$/{sub(":",""); print $1}' docker-compose.yml)"

declare -A deploy=() ports=()
if ! ipvs; then
  echo "deploy: no IPVS in this kernel: services resolve by DNS round robin (endpoint_mode: dnsrr)" >&2
  for service in $services; do deploy[$service]="endpoint_mode: dnsrr"; done
fi
if ! traefik; then
  echo "deploy: image $traefik_image cannot be had: Traefik at 0 replicas; web and chat tasks publish host ports of their own" >&2
  deploy[traefik]="${deploy[traefik]:+${deploy[traefik]}, }replicas: 0"
  ports[web]="{target: 3000, protocol: tcp, mode: host}"
  ports[chat]="{target: 4000, protocol: tcp, mode: host}"
fi
files=(-c docker-compose.yml)
if ((${#deploy[@]} + ${#ports[@]})); then
  machine="$(mktemp --suffix=.yml)"
  trap 'rm -f "$machine"' EXIT
  {
    echo "services:"
    for service in $services; do
      [[ -n "${deploy[$service]:-}${ports[$service]:-}" ]] || continue
      echo "  $service:"
      [[ -z "${deploy[$service]:-}" ]] || echo "    deploy: {${deploy[$service]}}"
      [[ -z "${ports[$service]:-}" ]] || echo "    ports: [${ports[$service]}]"
    done
  } >"$machine"
  echo "deploy: override for this machine:" >&2 && sed 's/^/  /' "$machine" >&2
  files+=(-c "$machine")
fi
docker stack deploy "${files[@]}" "$@" "${STACK:-ems}"
