#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker+controller) run from Maven
# Central's org.apache.kafka jars. No tarball, no Docker, no mock.
#
#   scripts/kafka.sh fetch      resolve the jars once into infra/kafka/lib (cached)
#   scripts/kafka.sh start      format storage (once) and start the broker on loopback; wait until it answers
#   scripts/kafka.sh stop       stop the broker this script started (for this data dir) and wait until it is gone
#   scripts/kafka.sh status     exit 0 if the broker answers
#   scripts/kafka.sh tool C ... run one of Kafka's own CLI classes (topics, consumer-groups, offsets, quorum, console-consumer, configs)
#   scripts/kafka.sh lag [G]    consumer-group lag (all groups, or group G), with Kafka's ConsumerGroupCommand
#   scripts/kafka.sh kill N     (cluster only) SIGKILL broker N (1-based), as a crash would; `start` brings it back
#   scripts/kafka.sh leader T P (cluster only) the node id leading partition P of topic T
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (.data/kafka),
# KAFKA_STOP_TIMEOUT_S (30: how long stop waits after SIGTERM before SIGKILL), and for the broker
# JVM, as in Kafka's own scripts, KAFKA_HEAP_OPTS (-Xms1g -Xmx1g) and KAFKA_JVM_PERFORMANCE_OPTS
# (-XX:+UseSerialGC -XX:-UsePerfData -Djava.awt.headless=true).
# PARLEY_KAFKA_BROKERS=3: a three-broker KRaft cluster instead (each node broker+controller, the
# three a controller quorum): node N listens on KAFKA_PORT+N-1 (clients) and KAFKA_PORT+100+N-1
# (controllers), keeps its data in $KAFKA_DATA_DIR/cluster/broker-N, and start, stop and status act
# on all of them. Internal topics there are replicated 3 times with min.insync.replicas 2.
#
# Process rules. The broker JVM itself is started with nohup (no wrapper shell), and its PID is
# recorded in $KAFKA_DATA_DIR/broker.pid. A PID counts as "our broker" only while
# /proc/PID/cmdline is a java running kafka.Kafka with this data dir's server.properties, so a
# recycled PID or another data dir's broker is never signalled (nothing is killed by name). If the
# PID file is missing or stale, a JVM of this data dir is looked up in /proc and adopted.
# - stop: SIGTERM, wait up to KAFKA_STOP_TIMEOUT_S, then SIGKILL and wait again until the process
#   is really gone. It ignores SIGPIPE/SIGHUP and never fails on a lost or full stderr (closed
#   terminal, dropped SSH), so it always completes.
# - start: waits for a stop in progress (of this data dir) to finish, then starts; reports "ready"
#   only when our PID is alive AND the port answers. If a broker this script did not start answers
#   on the port, it says so and reuses it only if it keeps answering for ~2 s (stop leaves it alone).
# start and stop of one data dir are serialised with flock on $KAFKA_DATA_DIR/broker.lock.
set -euo pipefail

# A closed stderr (`2>&-`): point it at /dev/null so nothing else ever lands on fd 2.
if ! true >&2; then exec 2>/dev/null; fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/infra/kafka"
LIB="$INFRA/lib"
PORT="${KAFKA_PORT:-9092}"
CTL_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
DATA="${KAFKA_DATA_DIR:-$ROOT/.data/kafka}"
case "$DATA" in /*) ;; *) DATA="$PWD/$DATA" ;; esac # absolute: it identifies our JVM in /proc
PIDFILE="$DATA/broker.pid"
STOPPING="$DATA/broker.stopping" # "PID STARTTIME" of the JVM a stop is waiting for
LOCKFILE="$DATA/broker.lock"
LOG="$DATA/broker.log"
PROPS="$DATA/server.properties"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT_S:-30}"
# The broker JVM's defaults (docker-compose*.yml set the same; tools/stack/compose-drift.spec.ts).
# -XX:-UsePerfData: no hsperfdata counters, so the JVM's periodic task thread no longer samples
# them 20 times a second (jps and jstat do not list the broker; jcmd <pid> still works).
DEFAULT_HEAP_OPTS="-Xms1g -Xmx1g"
DEFAULT_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:-UsePerfData -Djava.awt.headless=true"
# One node of a cluster (set by the cluster commands below when they run this script per node).
NODE_ID="${KAFKA_NODE_ID:-1}"
VOTERS="${KAFKA_QUORUM_VOTERS:-$NODE_ID@127.0.0.1:$CTL_PORT}"
INTERNAL_RF="${KAFKA_INTERNAL_RF:-1}"
INTERNAL_MIN_ISR=1; [ "$INTERNAL_RF" -ge 3 ] && INTERNAL_MIN_ISR=2
NO_WAIT="${KAFKA_NO_WAIT:-0}"
BROKERS="${PARLEY_KAFKA_BROKERS:-1}"
[[ "$BROKERS" =~ ^[1-9]$ ]] || { printf '[kafka] PARLEY_KAFKA_BROKERS must be 1-9\n' >&2; exit 2; }
[[ "$STOP_TIMEOUT" =~ ^[0-9]+$ ]] || STOP_TIMEOUT=30

# Never fails: a gone terminal or a full/closed stderr must not abort the script under `set -e`.
say() { printf '[kafka] %s\n' "$*" >&2 2>/dev/null || true; }
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
  # shellcheck disable=SC2086 # KAFKA_JAVA_OPTS is a list of options
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
    configs) cls=kafka.admin.ConfigCommand ;;
    *) cls="$name" ;;
  esac
  KAFKA_JAVA_OPTS="${KAFKA_JAVA_OPTS:--Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}" java_cmd "$cls" "$@"
}

answers() {
  # Something accepts connections on the client port (a broker, or one still shutting down).
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || return 1
  return 0
}

answers_steadily() {
  # A broker that is going away may still accept a connection or two: demand ~2 s of answers.
  local i
  for i in 1 2 3 4 5; do
    answers || return 1
    [ "$i" = 5 ] || sleep 0.5
  done
}

is_our_broker() {
  # True while $1 is a live (not zombie) java running kafka.Kafka with THIS data dir's properties.
  local pid="${1:-}" arg main=0
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  local -a argv=()
  mapfile -d '' -t argv 2>/dev/null <"/proc/$pid/cmdline" || return 1
  [ "${#argv[@]}" -gt 0 ] || return 1 # exited (zombie) or a kernel thread
  [ "${argv[0]##*/}" = java ] || return 1
  for arg in "${argv[@]:1}"; do
    if [ "$arg" = kafka.Kafka ]; then main=1
    elif [ "$main" = 1 ] && [ "$arg" = "$PROPS" ]; then return 0
    fi
  done
  return 1
}

find_our_jvm() {
  # A JVM of this data dir whose PID file is gone or stale (e.g. written by an older kafka.sh).
  local d
  for d in /proc/[0-9]*; do
    if is_our_broker "${d#/proc/}"; then echo "${d#/proc/}"; return 0; fi
  done
  return 1
}

our_pid() {
  # Prints the PID of the broker of this data dir, if one runs; keeps the PID file right.
  local pid=""
  [ -f "$PIDFILE" ] && pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if is_our_broker "$pid"; then echo "$pid"; return 0; fi
  if pid="$(find_our_jvm)"; then
    say "found this data dir's broker (pid $pid) outside the PID file; adopting it"
    echo "$pid" >"$PIDFILE"
    echo "$pid"
    return 0
  fi
  rm -f "$PIDFILE"
  return 1
}

proc_stat() {
  # $1 = pid. Prints "STATE STARTTIME" (fields 3 and 22 of /proc/PID/stat; comm may hold spaces).
  local s
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  s="${s##*) }"
  local -a f
  read -r -a f <<<"$s"
  echo "${f[0]} ${f[19]}"
}

identify() {
  # $1 = pid of our broker. Prints its start time (with the PID, the process's identity: a
  # recycled PID has another start time), checked to be our broker before and after reading it.
  local st
  is_our_broker "$1" && st="$(proc_stat "$1")" && is_our_broker "$1" || return 1
  echo "${st#* }"
}

still_running() {
  # $1 = pid, $2 = its start time. False once that process has exited: gone, a PID reused by
  # another process, or a zombie whose threads are all gone (its sockets are closed by then).
  local st tasks
  st="$(proc_stat "$1")" || return 1
  [ "${st#* }" = "$2" ] || return 1
  if [ "${st%% *}" = Z ]; then
    tasks=(/proc/"$1"/task/*)
    [ "${#tasks[@]}" -gt 1 ] || return 1
  fi
  return 0
}

wait_gone() {
  # $1 = pid, $2 = its start time, $3 = seconds. True once the process has exited.
  local end=$((SECONDS + $3))
  while still_running "$1" "$2"; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.2
  done
}

wait_ready() {
  # $1 = pid, $2 = half-seconds. Ready = our PID alive AND the port answers AND no stop under way.
  local pid="$1" i
  for ((i = 1; i <= $2; i++)); do
    is_our_broker "$pid" || return 1
    if answers && is_our_broker "$pid" && [ ! -f "$STOPPING" ]; then
      READY_AFTER="$i"; return 0
    fi
    sleep 0.5
  done
  return 1
}

lock() {
  # $1 = seconds. Serialises start/stop of this data dir (fd 9; never inherited by the JVM).
  command -v flock >/dev/null || return 0
  mkdir -p "$DATA"
  exec 9>>"$LOCKFILE"
  flock -w "$1" 9 || return 1
}

write_props() {
  mkdir -p "$DATA/logs"
  cat > "$PROPS" <<PROPS
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CTL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA/logs
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=$INTERNAL_RF
min.insync.replicas=$INTERNAL_MIN_ISR
offsets.topic.replication.factor=$INTERNAL_RF
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$INTERNAL_RF
transaction.state.log.min.isr=$INTERNAL_MIN_ISR
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
num.network.threads=2
num.io.threads=2
log.retention.hours=168
log.segment.bytes=67108864
# The controller appends a no-op record to the metadata log when nothing else happened for this
# long (default 500 ms); one node has no follower to reassure that often: 0.3-0.6 points of a core
# less at idle (broker alone, 120-180 s after start, two A/B pairs: 1.88/1.75% -> 1.30/1.43%).
metadata.max.idle.interval.ms=5000
PROPS
  if [ "$INTERNAL_RF" -gt 1 ]; then
    # A cluster node: a broker that stops heartbeating is fenced by the controller (its partitions
    # get new leaders, it leaves their in-sync replicas) after 3 s instead of Kafka's 9, so a dead
    # broker stalls appends for about 4 s, well inside a gateway's directory lease (GATEWAY_TTL_MS,
    # 9 s: a longer stall of the heartbeats topic would expire live gateways). Loopback only.
    printf '%s\n' broker.heartbeat.interval.ms=500 broker.session.timeout.ms=3000 >>"$PROPS"
  fi
}

start() {
  fetch
  need_java
  lock $((STOP_TIMEOUT + 60)) || die "another start/stop of ${DATA} holds ${LOCKFILE}; try again"
  local pid started=""
  # A stop that was interrupted after SIGTERM may leave a JVM that still answers while it exits.
  if [ -f "$STOPPING" ]; then
    read -r pid started <"$STOPPING" || true
    if [[ "${pid:-}" =~ ^[1-9][0-9]*$ ]] && still_running "$pid" "${started:-}"; then
      say "broker (pid $pid) is stopping; waiting for it to exit before starting a new one"
      if ! wait_gone "$pid" "$started" $((STOP_TIMEOUT + 30)); then
        die "broker (pid $pid) is still stopping after $((STOP_TIMEOUT + 30))s; run: scripts/kafka.sh stop"
      fi
    fi
    rm -f "$STOPPING"
  fi
  if pid="$(our_pid)"; then
    # Ours and alive: running, or still starting.
    started="$(identify "$pid" || true)"
    if [ "$NO_WAIT" = 1 ]; then say "already running (pid $pid)"; return 0; fi
    if wait_ready "$pid" 120; then say "already running (pid $pid) on 127.0.0.1:$PORT"; return 0; fi
    if is_our_broker "$pid"; then
      die "broker (pid $pid) is alive but does not answer on 127.0.0.1:$PORT; run: scripts/kafka.sh stop"
    fi
    say "broker (pid $pid) exited; starting a new one"
    if [ -n "$started" ] && ! wait_gone "$pid" "$started" $((STOP_TIMEOUT + 30)); then
      die "broker (pid $pid) is taking too long to exit"
    fi
    rm -f "$PIDFILE"
  fi
  if answers; then
    # Not ours (no JVM of this data dir runs): another data dir's broker, or something exiting.
    if answers_steadily; then
      say "a broker NOT started by this script for ${DATA#"$ROOT"/} answers on 127.0.0.1:$PORT; reusing it (stop will not stop it)"
      return 0
    fi
    say "something on 127.0.0.1:$PORT is going away; waiting for the port to be free"
    local end=$((SECONDS + STOP_TIMEOUT + 30))
    while answers; do
      [ "$SECONDS" -lt "$end" ] || die "127.0.0.1:$PORT is still taken by a process this script did not start"
      sleep 0.5
    done
  fi
  write_props
  if [ ! -f "$DATA/logs/meta.properties" ]; then
    local id="${KAFKA_CLUSTER_UUID:-}"
    [ -n "$id" ] || id="$(KAFKA_JAVA_OPTS='-Xmx128m' java_cmd kafka.tools.StorageTool random-uuid)"
    KAFKA_JAVA_OPTS='-Xmx256m' java_cmd kafka.tools.StorageTool format -t "$id" -c "$PROPS" --ignore-formatted >/dev/null
    say "formatted storage in ${DATA#"$ROOT"/} (cluster $id)"
  fi
  local attempt
  local -a opts
  # The heap and collector, named as Kafka's own scripts name them. Serial, not G1: on two cores
  # G1's young pauses ran 10-80 ms (its two GC threads preempted by the stack) and its background
  # work cost the idle broker about 0.3 points of a core; with Kafka's own 1 GiB heap Serial
  # collects about every 30 s under load instead of every few seconds (docs/PERFORMANCE.md,
  # "The broker's collector").
  read -r -a opts <<<"${KAFKA_HEAP_OPTS:-$DEFAULT_HEAP_OPTS} ${KAFKA_JVM_PERFORMANCE_OPTS:-$DEFAULT_JVM_PERFORMANCE_OPTS}"
  for attempt in 1 2; do
    say "starting broker on 127.0.0.1:$PORT (attempt $attempt)"
    # The JVM itself is the background job: $! is its PID (nohup execs java).
    nohup java "${opts[@]}" -Dlog4j.configuration="file:$INFRA/log4j.properties" -cp "$LIB/*" \
      kafka.Kafka "$PROPS" >"$LOG" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$PIDFILE"
    # The PID turns into "our broker" once nohup has exec'd java.
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
      is_our_broker "$pid" && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    # A cluster node cannot answer before a quorum of its peers runs: the cluster start launches
    # every node first, then waits for each (`wait-node`).
    if [ "$NO_WAIT" = 1 ] && is_our_broker "$pid"; then say "launched (pid $pid)"; return 0; fi
    if wait_ready "$pid" 120; then
      say "ready (pid $pid) after ${READY_AFTER}x0.5s (log: ${LOG#"$ROOT"/})"
      return 0
    fi
    say "broker did not answer; last log lines:"; tail -n 20 "$LOG" >&2 2>/dev/null || true
    stop_broker || true
    wait "$pid" 2>/dev/null || true # reap our child
  done
  die "Kafka failed to start"
}

stop_broker() {
  local pid started
  if ! pid="$(our_pid)" || ! started="$(identify "$pid")"; then
    rm -f "$PIDFILE" "$STOPPING"
    say "no broker of ${DATA#"$ROOT"/} is running"
    return 0
  fi
  echo "$pid $started" >"$STOPPING"
  say "stopping broker (pid $pid): SIGTERM, up to ${STOP_TIMEOUT}s"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" "$started" "$STOP_TIMEOUT"; then
    # Re-checked right before the signal: a PID that is no longer that JVM is left alone.
    if still_running "$pid" "$started"; then
      say "broker (pid $pid) still running after ${STOP_TIMEOUT}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    if ! wait_gone "$pid" "$started" 30; then
      rm -f "$STOPPING"
      die "broker (pid $pid) is still alive after SIGKILL"
    fi
  fi
  rm -f "$PIDFILE" "$STOPPING"
  say "stopped (pid $pid)"
}

stop() {
  # The terminal that ran us may be gone: a write or a hang-up must not stop us half-way.
  trap '' PIPE HUP
  if [ -d "$DATA" ] && ! lock 180; then
    say "a start of ${DATA#"$ROOT"/} still holds the lock after 180s; stopping anyway"
  fi
  stop_broker
}

lag() {
  if [ $# -gt 0 ]; then
    tool consumer-groups --bootstrap-server "127.0.0.1:$PORT" --describe --group "$1"
  else
    tool consumer-groups --bootstrap-server "127.0.0.1:$PORT" --describe --all-groups
  fi
}

wait_node() {
  local pid
  pid="$(our_pid)" || die "no broker of ${DATA#"$ROOT"/} is running"
  if wait_ready "$pid" 240; then say "ready (pid $pid) on 127.0.0.1:$PORT"; return 0; fi
  say "broker did not answer; last log lines:"; tail -n 20 "$LOG" >&2 2>/dev/null || true
  die "Kafka node $NODE_ID failed to start"
}

# ---- the three-broker cluster (PARLEY_KAFKA_BROKERS=N > 1): this script once per node ----
CLUSTER_DIR="$DATA/cluster"
node_port() { echo $((PORT + $1 - 1)); }
node_ctl_port() { echo $((PORT + 100 + $1 - 1)); }
bootstrap() {
  local i list=""
  for ((i = 1; i <= BROKERS; i++)); do list="${list:+$list,}127.0.0.1:$(node_port "$i")"; done
  echo "$list"
}
on_node() {
  # $1 = node (1-based); the rest: this script's command, run for that node alone.
  local n="$1" i voters=""; shift
  for ((i = 1; i <= BROKERS; i++)); do voters="${voters:+$voters,}$i@127.0.0.1:$(node_ctl_port "$i")"; done
  PARLEY_KAFKA_BROKERS=1 KAFKA_NODE_ID="$n" KAFKA_QUORUM_VOTERS="$voters" \
    KAFKA_PORT="$(node_port "$n")" KAFKA_CONTROLLER_PORT="$(node_ctl_port "$n")" \
    KAFKA_DATA_DIR="$CLUSTER_DIR/broker-$n" KAFKA_INTERNAL_RF="$((BROKERS < 3 ? BROKERS : 3))" \
    KAFKA_CLUSTER_UUID="$(cat "$CLUSTER_DIR/cluster.id")" bash "$0" "$@"
}
cluster() {
  local cmd="$1" i rc=0; shift
  case "$cmd" in
    start)
      fetch; need_java
      mkdir -p "$CLUSTER_DIR"
      if [ ! -s "$CLUSTER_DIR/cluster.id" ]; then
        KAFKA_JAVA_OPTS='-Xmx128m' java_cmd kafka.tools.StorageTool random-uuid >"$CLUSTER_DIR/cluster.id"
      fi
      for ((i = 1; i <= BROKERS; i++)); do KAFKA_NO_WAIT=1 on_node "$i" start || return 1; done
      for ((i = 1; i <= BROKERS; i++)); do on_node "$i" wait-node || return 1; done
      say "cluster of $BROKERS ready: $(bootstrap)" ;;
    stop)
      [ -s "$CLUSTER_DIR/cluster.id" ] || { say "no cluster in ${CLUSTER_DIR#"$ROOT"/}"; return 0; }
      # All at once: one by one, the last node standing has no quorum left to shut down with and
      # waits out the whole stop timeout.
      local -a stops=()
      for ((i = 1; i <= BROKERS; i++)); do on_node "$i" stop & stops+=("$!"); done
      for i in "${stops[@]}"; do wait "$i" || rc=1; done
      return "$rc" ;;
    status)
      for ((i = 1; i <= BROKERS; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$(node_port "$i")") 2>/dev/null; then
          say "broker $i answers on 127.0.0.1:$(node_port "$i")"
        else
          say "broker $i not reachable on 127.0.0.1:$(node_port "$i")"; rc=1
        fi
      done
      return "$rc" ;;
    kill)
      local n="${1:-}" pid
      [[ "$n" =~ ^[1-9]$ ]] && [ "$n" -le "$BROKERS" ] || die "usage: kafka.sh kill N (1-$BROKERS)"
      pid="$(on_node "$n" pid)" || die "broker $n is not running"
      kill -KILL "$pid"
      say "broker $n (pid $pid) killed (SIGKILL)" ;;
    leader)
      [ $# -eq 2 ] || die "usage: kafka.sh leader TOPIC PARTITION"
      tool topics --bootstrap-server "$(bootstrap)" --describe --topic "$1" |
        awk -v p="$2" '$0 ~ "Partition: "p"[[:space:]]" { for (i = 1; i <= NF; i++) if ($i == "Leader:") print $(i + 1) }' ;;
    tool) tool "$@" ;;
    lag)
      if [ $# -gt 0 ]; then tool consumer-groups --bootstrap-server "$(bootstrap)" --describe --group "$1"
      else tool consumer-groups --bootstrap-server "$(bootstrap)" --describe --all-groups; fi ;;
    fetch) fetch ;;
    *) die "unknown command: $cmd" ;;
  esac
}

cmd="${1:-}"; shift || true
if [ "$BROKERS" -gt 1 ]; then cluster "$cmd" "$@"; exit $?; fi
case "$cmd" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) if answers; then say "answers on 127.0.0.1:$PORT"; else say "not reachable on 127.0.0.1:$PORT"; exit 1; fi ;;
  tool) tool "$@" ;;
  lag) lag "$@" ;;
  wait-node) wait_node ;;
  pid) our_pid ;;
  *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
