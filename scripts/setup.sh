#!/usr/bin/env bash
# Idempotent set-up shared by scripts/stack.sh and scripts/test.sh: Node packages (npm ci when
# node_modules is missing or older than package-lock.json), Kafka's and S3Proxy's jars (Maven,
# cached), and the
# TypeScript build. Fast when nothing changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[setup] %s\n' "$*" >&2; }

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge 20 ] || { say "Node.js 20 or newer is required (found: $(node -v 2>/dev/null || echo none))."; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing Node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/kafka.sh fetch
bash scripts/s3proxy.sh fetch

say "building (tsc)"
npm run --silent build
