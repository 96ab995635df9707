#!/usr/bin/env bash
# Runs every test: set-up (npm ci if needed, Kafka jars, build, Debian's Chromium for the browser
# tests), then jest's unit, db and e2e projects.
# The e2e set-up starts Kafka (or reuses a running broker), makes a fresh database, launches the
# whole stack with two gateways on ports 4000+, and tears down what it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/chromium.sh
exec npx jest --runInBand "$@"
