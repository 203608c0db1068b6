#!/usr/bin/env bash
# Runs a command with a private RabbitMQ node (SLUICE_BENCH_AMQP_URL), started before and stopped after.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-debian-packages.sh
run_dir=$(mktemp -d /tmp/sluice-rabbit.XXXXXX)
port=$(node scripts/free-port.mjs)
cleanup() { bash scripts/rabbitmq-node.sh stop "$run_dir/rabbit" "$port" || true; rm -rf "$run_dir"; }
trap cleanup EXIT
bash scripts/rabbitmq-node.sh start "$run_dir/rabbit" "$port"
export SLUICE_BENCH_AMQP_URL="amqp://guest:guest@127.0.0.1:$port"
export SLUICE_RABBIT_DIR="$run_dir/rabbit" SLUICE_RABBIT_PORT="$port"
"$@"
