#!/usr/bin/env bash
# docker/dlq.sh list|show|replay [options]: the dlq tool (apps/workers/src/dlq) against the running stack
# ($STACK, default ems), e.g. `docker/dlq.sh list`, `docker/dlq.sh replay --reason "unknown device" --limit 100`.
#
# No service's RabbitMQ user may replay dead letters (each reads only what it consumes; web may read the
# dead-letter queue, to count it, and its secret is mounted on web only). Rather than a standing operator
# password, this makes a user for this one run — read ems.dead-letter.queue, write amq.default (the
# republish into sensor.data.queue), configure nothing — runs the tool in a balancer container with that
# user's URL on stdin (never on a command line or in a file), and deletes the user however the run ends.
set -euo pipefail
stack="${STACK:-ems}"
container() {
  local id
  id="$(docker ps -q -f "name=${stack}_$1." | head -1)"
  [[ -n "$id" ]] || { echo "dlq: no running ${stack}_$1 container on this node" >&2; exit 1; }
  echo "$id"
}
rabbitmq="$(container rabbitmq)"
balancer="$(container balancer)"
user="ems-operator-$(date +%s)-$$"
password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"

docker exec "$rabbitmq" rabbitmqctl -q add_user "$user" "$password" >/dev/null
trap 'docker exec "$rabbitmq" rabbitmqctl -q delete_user "$user" >/dev/null' EXIT
docker exec "$rabbitmq" rabbitmqctl -q set_permissions "$user" '^$' '^amq\.default$' '^ems\.dead-letter\.queue$' >/dev/null
# RABBITMQ_URL_FILE=/dev/stdin overrides the balancer's own secret for this process only.
docker exec -i -e RABBITMQ_URL_FILE=/dev/stdin -e LOG_LEVEL=warn "$balancer" node /app/dist/dlq.mjs "$@" <<<"amqp://$user:$password@rabbitmq:5672"
