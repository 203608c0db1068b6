#!/usr/bin/env bash
# Runs a command beside a private RabbitMQ node (own node name, loopback port and data dir),
# started before and stopped after, whatever the command's outcome. The command sees the
# node's URL as SLUICE_TEST_AMQP_URL (tests) and SLUICE_BENCH_AMQP_URL (benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-debian-packages.sh
run_dir=$(mktemp -d /tmp/sluice-rabbit.XXXXXX)
port=$(node scripts/free-port.mjs)
cleanup() { bash scripts/rabbitmq-node.sh stop "$run_dir/rabbit" "$port" || true; rm -rf "$run_dir"; }
trap cleanup EXIT
bash scripts/rabbitmq-node.sh start "$run_dir/rabbit" "$port"
export SLUICE_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$port"
export SLUICE_BENCH_AMQP_URL="$SLUICE_TEST_AMQP_URL"
export SLUICE_TEST_TMP="$run_dir"
"$@"
