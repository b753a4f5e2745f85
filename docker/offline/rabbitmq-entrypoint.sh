#!/bin/sh
# OFFLINE STAND-IN entrypoint (see rabbitmq.Dockerfile): RabbitMQ in the foreground as the rabbitmq
# user, configured by /etc/rabbitmq/conf.d/*.conf as in the official image (the EMS stack mounts its
# settings there and loads its users from a definitions file).
set -eu
if [ "$(id -u)" = 0 ]; then
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
  exec gosu rabbitmq "$0" "$@"
fi
exec "$@"
