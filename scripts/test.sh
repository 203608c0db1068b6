#!/usr/bin/env bash
# The whole test suite: installs what it needs, starts a private RabbitMQ node on a loopback
# port for the run, runs every test with node's test runner, and stops the node again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-debian-packages.sh
npm run --silent build

run_dir=$(mktemp -d /tmp/sluice-test.XXXXXX)
port=$(node scripts/free-port.mjs)
cleanup() { bash scripts/rabbitmq-node.sh stop "$run_dir/rabbit" "$port" || true; rm -rf "$run_dir"; }
trap cleanup EXIT
bash scripts/rabbitmq-node.sh start "$run_dir/rabbit" "$port"
export SLUICE_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$port"
export SLUICE_TEST_TMP="$run_dir"

mapfile -t files < <(find dist/tests -name '*.test.js' | sort)
node --test --test-concurrency=2 --test-timeout=600000 "$@" "${files[@]}"
