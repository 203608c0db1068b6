#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks need, when they are missing.
set -euo pipefail
missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
# The pipeline tests start their own sshd instances on loopback ports (tests/support/sshd.ts).
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
# The dashboard's browser tests drive Debian's chromium with playwright-core (no browser download).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
