#!/usr/bin/env bash
# Runs every test: set-up (npm ci if needed, Kafka jars, build, Debian's Chromium for the browser
# tests), then jest's unit, db and e2e projects.
# The e2e set-up starts Kafka (or reuses a running broker), makes a fresh database, launches the
# whole stack with two gateways on ports 4000+, and tears down what it started.
# With no arguments the unit and db projects run first on two workers (they share no state but the
# db project's own database, whose specs are written to run side by side), then e2e in band; with
# arguments (a project, a file) jest runs them in band as given.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/chromium.sh
if [ "$#" -eq 0 ]; then
  npx jest --selectProjects unit db --maxWorkers 2
  exec npx jest --selectProjects e2e --runInBand
fi
exec npx jest --runInBand "$@"
