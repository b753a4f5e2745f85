#!/bin/sh
# ems-worker PROCESS [ARGS...]: applies the migrations of the database the process owns (safe when
# replicas start together: the migrator takes an advisory lock, and waits for a database that is not
# up yet), then replaces itself with the process.
set -eu
process="${1:-}"
[ $# -gt 0 ] && shift
case "$process" in
  monitoring) database=monitoring ;;
  chat) database=chat ;;
  balancer | simulator) database= ;;
  *) echo "usage: ems-worker balancer|monitoring|chat|simulator [args...]" >&2; exit 64 ;;
esac
if [ -n "$database" ]; then
  node /app/migrate/scripts/migrate.mjs "$database"
fi
exec node "/app/dist/$process.mjs" "$@"
