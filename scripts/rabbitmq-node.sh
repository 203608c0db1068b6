#!/usr/bin/env bash
# Start or stop a private RabbitMQ node for tests and benchmarks: its own node name,
# loopback ports and data directory, so it never touches a system broker.
#   rabbitmq-node.sh start DIR PORT   (prints nothing; waits until the node answers)
#   rabbitmq-node.sh stop DIR PORT
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}; port=${3:?amqp port}
RABBIT_BIN=/usr/lib/rabbitmq/bin
[ -x "$RABBIT_BIN/rabbitmq-server" ] || { echo "rabbitmq-server is not installed" >&2; exit 1; }
mkdir -p "$dir/mnesia" "$dir/log"
export HOME="$dir"   # the Erlang cookie lives here, private to this node
export RABBITMQ_NODENAME="sluice-$port@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$port"
export RABBITMQ_DIST_PORT=$((port + 10000))  # see free-port.mjs for the ranges
export RABBITMQ_MNESIA_BASE="$dir/mnesia"
export RABBITMQ_LOG_BASE="$dir/log"
export RABBITMQ_PID_FILE="$dir/rabbit.pid"
export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_CRASH_DUMP="$dir/log/erl_crash.dump"
[ -f "$dir/enabled_plugins" ] || echo '[].' > "$dir/enabled_plugins"
[ -f "$dir/rabbitmq.conf" ] || cat > "$dir/rabbitmq.conf" <<CONF
loopback_users = none
log.console = false
log.file.level = warning
disk_free_limit.absolute = 50MB
CONF
ctl() { "$RABBIT_BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"; }
case "$cmd" in
  start)
    "$RABBIT_BIN/rabbitmq-server" > "$dir/log/stdout.log" 2>&1 &
    for _ in $(seq 1 120); do
      if ctl await_startup --timeout 1 >/dev/null 2>&1; then exit 0; fi
      sleep 0.5
    done
    echo "RabbitMQ node on port $port did not start; see $dir/log" >&2; exit 1 ;;
  stop)
    ctl shutdown >/dev/null 2>&1 || true ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
