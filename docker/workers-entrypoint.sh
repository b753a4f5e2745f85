#!/bin/sh
# ems-worker PROCESS [ARGS...]: applies the migrations of the database the process owns (safe when
# replicas start together: the migrator takes an advisory lock), then replaces itself with the process.
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
  node --import tsx packages/db/scripts/migrate.ts "$database"
fi
exec node --import tsx "apps/workers/src/$process.ts" "$@"
