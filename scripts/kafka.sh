#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker+controller) run from Maven
# Central's org.apache.kafka jars. No tarball, no Docker, no mock.
#
#   scripts/kafka.sh fetch      resolve the jars once into infra/kafka/lib (cached)
#   scripts/kafka.sh start      format storage (once) and start the broker on loopback; wait until it answers
#   scripts/kafka.sh stop       stop the broker this script started
#   scripts/kafka.sh status     exit 0 if the broker answers
#   scripts/kafka.sh tool C ... run one of Kafka's own CLI classes (topics, consumer-groups, offsets, quorum, console-consumer)
#   scripts/kafka.sh lag [G]    consumer-group lag (all groups, or group G), with Kafka's ConsumerGroupCommand
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (.data/kafka).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/infra/kafka"
LIB="$INFRA/lib"
PORT="${KAFKA_PORT:-9092}"
CTL_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
DATA="${KAFKA_DATA_DIR:-$ROOT/.data/kafka}"
PIDFILE="$DATA/broker.pid"
LOG="$DATA/broker.log"
PROPS="$DATA/server.properties"

say() { printf '[kafka] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

need_java() {
  command -v java >/dev/null || die "Java 17+ is required (apt-get install openjdk-17-jre-headless)."
}

fetch() {
  if [ -f "$LIB/.complete" ] && [ "$LIB/.complete" -nt "$INFRA/pom.xml" ]; then return 0; fi
  command -v mvn >/dev/null || die "Maven is required to fetch Kafka's jars (apt-get install maven)."
  need_java
  say "resolving Apache Kafka from Maven Central (once; cached in infra/kafka/lib)"
  rm -rf "$LIB"
  (cd "$INFRA" && mvn -q -B -ntp package) || die "Maven could not resolve Kafka's jars."
  touch "$LIB/.complete"
}

java_cmd() {
  # $1 = main class; rest = args. Heap kept small for a 2-core developer machine.
  local main="$1"; shift
  java ${KAFKA_JAVA_OPTS:-} -Dlog4j.configuration="file:$INFRA/log4j.properties" -cp "$LIB/*" "$main" "$@"
}

tool() {
  fetch
  local name="$1"; shift
  local cls
  case "$name" in
    topics) cls=org.apache.kafka.tools.TopicCommand ;;
    consumer-groups) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    offsets) cls=org.apache.kafka.tools.GetOffsetShell ;;
    quorum) cls=org.apache.kafka.tools.MetadataQuorumCommand ;;
    console-consumer) cls=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    *) cls="$name" ;;
  esac
  KAFKA_JAVA_OPTS="${KAFKA_JAVA_OPTS:--Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}" java_cmd "$cls" "$@"
}

answers() {
  # The broker is up when its client port accepts a connection and metadata can be read.
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || return 1
  return 0
}

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

write_props() {
  mkdir -p "$DATA/logs"
  cat > "$PROPS" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CTL_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CTL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA/logs
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
num.network.threads=2
num.io.threads=2
log.retention.hours=168
log.segment.bytes=67108864
PROPS
}

start() {
  fetch
  need_java
  if pid="$(running_pid)"; then
    if answers; then say "already running (pid $pid) on 127.0.0.1:$PORT"; return 0; fi
  elif answers; then
    say "a broker already answers on 127.0.0.1:$PORT; reusing it"; return 0
  fi
  write_props
  if [ ! -f "$DATA/logs/meta.properties" ]; then
    local id; id="$(KAFKA_JAVA_OPTS='-Xmx128m' java_cmd kafka.tools.StorageTool random-uuid)"
    KAFKA_JAVA_OPTS='-Xmx256m' java_cmd kafka.tools.StorageTool format -t "$id" -c "$PROPS" --ignore-formatted >/dev/null
    say "formatted storage in ${DATA#$ROOT/} (cluster $id)"
  fi
  local attempt
  for attempt in 1 2; do
    say "starting broker on 127.0.0.1:$PORT (attempt $attempt)"
    KAFKA_JAVA_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true" \
      nohup bash -c "$(declare -f java_cmd); LIB='$LIB' INFRA='$INFRA' KAFKA_JAVA_OPTS=\"\$KAFKA_JAVA_OPTS\" java_cmd kafka.Kafka '$PROPS'" \
      >"$LOG" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    local i
    for i in $(seq 1 120); do
      if answers; then say "ready after ${i}x0.5s (log: ${LOG#$ROOT/})"; return 0; fi
      if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then break; fi
      sleep 0.5
    done
    say "broker did not answer; last log lines:"; tail -n 20 "$LOG" >&2 || true
    stop || true
  done
  die "Kafka failed to start"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    say "stopping broker (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    # nohup bash -c wraps java: make sure the JVM is gone too.
    pkill -f "kafka.Kafka $PROPS" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

lag() {
  if [ $# -gt 0 ]; then
    tool consumer-groups --bootstrap-server "127.0.0.1:$PORT" --describe --group "$1"
  else
    tool consumer-groups --bootstrap-server "127.0.0.1:$PORT" --describe --all-groups
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) answers && say "answers on 127.0.0.1:$PORT" || { say "not reachable on 127.0.0.1:$PORT"; exit 1; } ;;
  tool) tool "$@" ;;
  lag) lag "$@" ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
