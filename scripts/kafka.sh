#!/usr/bin/env bash
# Apache Kafka from Maven Central, for the tests and for people.
#
#   scripts/kafka.sh fetch [VERSION...]   fetch the broker + tools jars (default: every pinned version)
#   scripts/kafka.sh jars VERSION         print the jar directory (fetching it first if needed)
#   scripts/kafka.sh start [-v VERSION] [-n NODES] [-p PORT]
#                                         start a local KRaft cluster (default 4.x, 3 nodes,
#                                         brokers on 127.0.0.1:9092..) and print its bootstrap
#   scripts/kafka.sh stop                 stop it (controlled shutdown, then SIGKILL after 30 s)
#   scripts/kafka.sh status               its nodes, pids and bootstrap
#
# Jars are cached in $KSYNC_CACHE/kafka/VERSION (default ~/.cache/ksync), the
# cluster lives in $KSYNC_CACHE/cluster. Needs Java 17+ and Maven.
# The tests start clusters of their own (tests/common/kafka.rs) from the same
# jars and the same tests/kafka/server-common.properties.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${KSYNC_CACHE:-$HOME/.cache/ksync}"
# The pinned versions: the newest 4.x and the last 3.9.x. The first is the default.
KAFKA_VERSIONS="${KAFKA_VERSIONS:-4.4.0 3.9.2}"
DEFAULT_VERSION="${KAFKA_VERSIONS%% *}"
CLUSTER="${KSYNC_KAFKA_CLUSTER:-$CACHE/cluster}"

die() { echo "kafka.sh: $*" >&2; exit 1; }

check_java() {
  command -v java >/dev/null || die "java not found: install a JDK 17+ (apt-get install openjdk-17-jdk-headless)"
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "Kafka 4 needs Java 17 or newer; java is $v"
}

jar_dir() { echo "$CACHE/kafka/$1"; }

fetch() {
  local v="$1" dir tmp profile=()
  dir=$(jar_dir "$v")
  [ -f "$dir/.complete" ] && return 0
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven)"
  case "$v" in 4.*) profile=(-Pkafka4) ;; esac
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  echo "kafka.sh: fetching Kafka $v jars from Maven Central into $dir" >&2
  mvn -q -B -f "$ROOT/tests/kafka/pom.xml" -Dkafka.version="$v" "${profile[@]}" \
    dependency:copy-dependencies -DoutputDirectory="$tmp" >&2 ||
    { rm -rf "$tmp"; die "mvn could not fetch Kafka $v"; }
  ls "$tmp"/kafka_2.13-"$v".jar >/dev/null || die "kafka_2.13-$v.jar missing after fetch"
  touch "$tmp/.complete"
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp" "$dir"
}

run_java() { # VERSION CLASS ARGS...
  local v="$1"; shift
  java -Xmx256m -cp "$(jar_dir "$v")/*" "$@"
}

node_props() { # N NODES PORT VERSION
  local n="$1" nodes="$2" port="$3" bport cport voters="" i rf isr
  bport=$((port + n - 1)); cport=$((port + 100 + n - 1))
  for i in $(seq 1 "$nodes"); do voters+="${voters:+,}$i@127.0.0.1:$((port + 100 + i - 1))"; done
  rf=$((nodes < 3 ? nodes : 3)); isr=$((rf < 2 ? 1 : 2))
  cat "$ROOT/tests/kafka/server-common.properties"
  cat <<EOF
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$CLUSTER/node$n/data
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
EOF
}

start() {
  local v="$DEFAULT_VERSION" nodes=3 port=9092 n bootstrap="" id
  while [ $# -gt 0 ]; do
    case "$1" in
      -v) v="$2"; shift 2 ;;
      -n) nodes="$2"; shift 2 ;;
      -p) port="$2"; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  check_java
  fetch "$v"
  if [ -f "$CLUSTER/bootstrap" ] && alive; then die "already running: $(cat "$CLUSTER/bootstrap") (scripts/kafka.sh stop)"; fi
  rm -rf "$CLUSTER"
  mkdir -p "$CLUSTER"
  id=$(run_java "$v" kafka.tools.StorageTool random-uuid)
  for n in $(seq 1 "$nodes"); do
    mkdir -p "$CLUSTER/node$n"
    node_props "$n" "$nodes" "$port" "$v" >"$CLUSTER/node$n/server.properties"
    run_java "$v" kafka.tools.StorageTool format -t "$id" -c "$CLUSTER/node$n/server.properties" \
      >"$CLUSTER/node$n/format.log" 2>&1 || { cat "$CLUSTER/node$n/format.log" >&2; die "format of node $n failed"; }
    bootstrap+="${bootstrap:+,}127.0.0.1:$((port + n - 1))"
  done
  for n in $(seq 1 "$nodes"); do
    # setsid: the nodes outlive this shell.
    setsid java -Xms256m -Xmx768m -XX:+UseSerialGC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$ROOT/tests/kafka/log4j2.properties" \
      -Dlog4j.configuration="file:$ROOT/tests/kafka/log4j.properties" \
      -cp "$(jar_dir "$v")/*" kafka.Kafka "$CLUSTER/node$n/server.properties" \
      >"$CLUSTER/node$n/kafka.log" 2>&1 </dev/null &
    echo $! >"$CLUSTER/node$n/pid"
  done
  echo "$v" >"$CLUSTER/version"
  echo "$bootstrap" >"$CLUSTER/bootstrap"
  local deadline=$((SECONDS + 120))
  for n in $(seq 1 "$nodes"); do
    until grep -q "Kafka Server started" "$CLUSTER/node$n/kafka.log" 2>/dev/null; do
      kill -0 "$(cat "$CLUSTER/node$n/pid")" 2>/dev/null ||
        { tail -30 "$CLUSTER/node$n/kafka.log" >&2; die "node $n exited"; }
      [ $SECONDS -lt $deadline ] || { tail -30 "$CLUSTER/node$n/kafka.log" >&2; die "node $n did not start in 120 s"; }
      sleep 0.5
    done
  done
  echo "Kafka $v, $nodes nodes, logs in $CLUSTER/node*/kafka.log" >&2
  echo "$bootstrap"
}

alive() {
  local f any=1
  for f in "$CLUSTER"/node*/pid; do
    [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && any=0
  done
  return $any
}

stop() {
  local f pid
  for f in "$CLUSTER"/node*/pid; do
    [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null || true
  done
  local deadline=$((SECONDS + 30))
  while alive && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
  for f in "$CLUSTER"/node*/pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  echo "stopped" >&2
}

status() {
  [ -f "$CLUSTER/bootstrap" ] || { echo "no cluster in $CLUSTER"; return 1; }
  local f
  echo "Kafka $(cat "$CLUSTER/version") in $CLUSTER"
  for f in "$CLUSTER"/node*/; do
    if [ -f "$f/pid" ] && kill -0 "$(cat "$f/pid")" 2>/dev/null; then
      echo "  $(basename "$f"): running, pid $(cat "$f/pid")"
    else
      echo "  $(basename "$f"): stopped"
    fi
  done
  echo "bootstrap: $(cat "$CLUSTER/bootstrap")"
  alive
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  fetch) check_java; for v in ${*:-$KAFKA_VERSIONS}; do fetch "$v"; echo "$(jar_dir "$v")"; done ;;
  jars) [ $# -eq 1 ] || die "usage: jars VERSION"; fetch "$1"; jar_dir "$1" ;;
  start) start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
esac
