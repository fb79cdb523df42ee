#!/usr/bin/env bash
# One workload with tiny counts against a broker of its own, to prove the
# tool works (CTest label bench-smoke; no timing is checked). Non-zero when
# the broker does not start or the workload fails (say, a message missing
# at a subscriber).
#
#   bench/smoke.sh chorus build/broker/chorusd build/bench/chorus-bench fanout
#   bench/smoke.sh nats - build/bench/nats-bench fanout
set -euo pipefail
side=$1 chorusd=$2 tool=$3 workload=$4
source "$(dirname "$0")/brokers.sh"
tmp=$(mktemp -d)
trap 'stop_brokers; rm -rf "$tmp"' EXIT
if [ "$side" = chorus ]; then
  start_chorusd "$chorusd" "$tmp/broker"
  server=$chorus_address pid=$chorus_pid
else
  start_nats "$tmp/broker"
  server=$nats_url pid=$nats_pid
fi
"$tool" --server "$server" --broker-pid "$pid" --workload "$workload" \
  --messages 2000 --topics 100 --connections 50 --subscribers 2 \
  --rate 2000 --duration 500ms --max-time 20s --runs 2
