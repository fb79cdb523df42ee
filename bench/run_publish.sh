#!/usr/bin/env bash
# Single-publisher throughput of 128-byte messages (client library, acks on,
# default fsync): builds Release, starts chorusd on a temporary data folder,
# runs chorus-bench three times and prints the median. Extra arguments go to
# chorus-bench.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release --target chorusd chorus-bench -j "$(nproc)" >/dev/null
data=$(mktemp -d)
trap 'kill "$broker" 2>/dev/null; wait "$broker" 2>/dev/null; rm -rf "$data"' EXIT
./build-release/broker/chorusd --listen 127.0.0.1:0 --data-dir "$data/data" \
  > "$data/out" 2> "$data/log" &
broker=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$data/out" 2>/dev/null && break
  sleep 0.1
done
address=$(sed -n 's/^chorusd listening on //p' "$data/out")
[ -n "$address" ] || { echo "chorusd did not start:"; cat "$data/log"; exit 1; }
./build-release/bench/chorus-bench --server "$address" --workload publish \
  --messages 1000000 --message-bytes 128 --runs 3 "$@"
