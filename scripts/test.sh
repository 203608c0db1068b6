#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs every test with node's test
# runner beside a private RabbitMQ node that lives for this run only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-debian-packages.sh
# Lint and format first: a violation fails the run before anything slow starts.
npx biome ci --error-on-warnings .
rm -rf dist && npm run --silent build
mapfile -t files < <(find dist/tests -name '*.test.js' | sort)
exec bash scripts/with-rabbitmq.sh node --test --test-concurrency=2 --test-timeout=600000 "$@" "${files[@]}"
