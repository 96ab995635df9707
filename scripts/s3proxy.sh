#!/usr/bin/env bash
# S3Proxy, an S3-compatible server (here over a local directory), from Maven Central's
# org.gaul:s3proxy jar: what the S3 blob store is tested against, and a way to try
# BLOB_STORE_URL=s3://... on one machine. Not needed to run Parley (the default store is a directory).
#
#   scripts/s3proxy.sh fetch    resolve the jar once into infra/s3proxy/lib (cached)
#   scripts/s3proxy.sh run      run it in the foreground on 127.0.0.1:$S3PROXY_PORT (9300), keeping
#                               buckets under $S3PROXY_DATA_DIR (.data/s3proxy), with the key pair
#                               $S3PROXY_ACCESS_KEY_ID / $S3PROXY_SECRET_ACCESS_KEY (parley / parley-secret);
#                               it makes the bucket $S3PROXY_BUCKET (parley) and prints the settings to use.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/infra/s3proxy"
LIB="$INFRA/lib"
JAR="$LIB/s3proxy-jar-with-dependencies.jar"

say() { printf '[s3proxy] %s\n' "$*" >&2 2>/dev/null || true; }
die() { say "$*"; exit 1; }

fetch() {
  if [ -f "$LIB/.complete" ] && [ "$LIB/.complete" -nt "$INFRA/pom.xml" ]; then return 0; fi
  command -v mvn >/dev/null || die "Maven is required to fetch S3Proxy (apt-get install maven)."
  command -v java >/dev/null || die "Java 17+ is required (apt-get install openjdk-17-jre-headless)."
  say "resolving S3Proxy from Maven Central (once; cached in infra/s3proxy/lib)"
  rm -rf "$LIB"
  (cd "$INFRA" && mvn -q -B -ntp package) || die "Maven could not resolve S3Proxy."
  [ -f "$JAR" ] || die "S3Proxy's jar is missing after the fetch ($JAR)."
  touch "$LIB/.complete"
}

run() {
  fetch
  local port="${S3PROXY_PORT:-9300}"
  local data="${S3PROXY_DATA_DIR:-$ROOT/.data/s3proxy}"
  local bucket="${S3PROXY_BUCKET:-parley}"
  local id="${S3PROXY_ACCESS_KEY_ID:-parley}"
  local secret="${S3PROXY_SECRET_ACCESS_KEY:-parley-secret}"
  mkdir -p "$data/buckets/$bucket" # with the filesystem backend, a bucket is a directory
  cat >"$data/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$id
s3proxy.credential=$secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$data/buckets
CONF
  say "serving bucket '$bucket' on http://127.0.0.1:$port (Ctrl-C stops). For the stack:"
  say "  BLOB_STORE_URL='s3://$bucket?endpoint=http://127.0.0.1:$port&forcePathStyle=true'"
  say "  BLOB_STORE_ACCESS_KEY_ID=$id BLOB_STORE_SECRET_ACCESS_KEY=<the secret>"
  exec java ${S3PROXY_JAVA_OPTS:--Xmx128m -XX:+UseSerialGC} -jar "$JAR" --properties "$data/s3proxy.conf"
}

case "${1:-}" in
  fetch) fetch ;;
  run) run ;;
  *) die "usage: scripts/s3proxy.sh fetch|run" ;;
esac
