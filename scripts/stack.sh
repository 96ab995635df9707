#!/usr/bin/env bash
# Parley's one command for a developer machine.
#   scripts/stack.sh [up]   set up, then bring the whole stack up in the foreground (Ctrl-C stops it)
#   scripts/stack.sh status services' health, topics' end offsets, consumer-group lag
#   scripts/stack.sh kill|restart|stop|start|pause|resume <service>
#                           one service of the running stack (e.g. gateway-1, storage): kill -9
#                           (restarted by the launcher), clean restart, stop and keep down, start
#                           again, SIGSTOP / SIGCONT
# Variables: PARLEY_GATEWAYS (2), PARLEY_BASE_PORT (3000), DATABASE_URL, REDIS_URL, KAFKA_BROKERS,
# LOG_LEVEL, JWT_SECRET, PARLEY_CLUSTER_ID (stack-<base port>), PARLEY_ECHO_LOGS=1 (also print
# service logs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
case "${1:-up}" in
  up)
    bash scripts/setup.sh
    exec node dist/tools/stack/stack-cli.js up
    ;;
  status)
    [ -f dist/tools/stack/stack-status.js ] || bash scripts/setup.sh
    exec node dist/tools/stack/stack-status.js
    ;;
  kill|restart|stop|start|pause|resume)
    exec node dist/tools/stack/stack-cli.js "$@"
    ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
