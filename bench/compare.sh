#!/usr/bin/env bash
# Chorus beside NATS, in one run on this machine: builds Release if needed,
# then for each workload and each of 3 runs starts a fresh chorusd and a
# fresh nats-server (loopback, free ports, data in a temporary folder), runs
# the workload on both, stops both; then prints the medians and the ratio
# Chorus/NATS per workload. Fresh brokers keep one run's heap from hiding
# the next run's memory growth (topics, connections).
#
#   bench/compare.sh                       # every workload, 2-3 minutes
#   bench/compare.sh publish fanout        # only these
#   RUNS=5 BUILD_DIR=build-x bench/compare.sh
#
# The JSON of every run is kept in $OUT_DIR (default: a temporary folder,
# printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/brokers.sh

build=${BUILD_DIR:-build-release}
runs=${RUNS:-3}
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(publish fanout latency replay topics connections)

# What each workload is asked to do, the same on both sides.
declare -A args=(
  [publish]="--messages 1000000 --message-bytes 128"
  [fanout]="--messages 500000 --message-bytes 128 --subscribers 4"
  [latency]="--rate 20000 --duration 5s --message-bytes 128"
  [replay]="--messages 1000000 --message-bytes 128"
  [topics]="--topics 10000 --messages 10000 --message-bytes 128"
  [connections]="--connections 5000 --messages 200000 --message-bytes 128"
)
# The figures compared per workload, and the target for Chorus/NATS
# (or an absolute bound) from issue 4.
declare -A metrics=(
  [publish]="msgs_per_s"
  [fanout]="msgs_per_s"
  [latency]="p50_us p99_us p999_us"
  [replay]="msgs_per_s"
  [topics]="msgs_per_s bytes_per_topic"
  [connections]="bytes_per_connection msgs_per_s"
)
declare -A targets=(
  [publish/msgs_per_s]=">= 4x"
  [fanout/msgs_per_s]=">= 1x"
  [latency/p99_us]="<= 1x and < 1000 us"
  [replay/msgs_per_s]=">= 3x"
  [topics/bytes_per_topic]="< 2048 B"
  [connections/bytes_per_connection]="< 20480 B"
)

if [ ! -x "$build/bench/chorus-bench" ] || [ ! -x "$build/bench/nats-bench" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
nice -n 5 cmake --build "$build" --target chorusd chorus-bench nats-bench -j 2 >/dev/null

tmp=$(mktemp -d)
out=${OUT_DIR:-$tmp/results}
mkdir -p "$out"
trap 'stop_brokers; rm -rf "$tmp/chorus" "$tmp/nats"' EXIT

failed=0
# run_side SIDE TOOL SERVER PID WORKLOAD RUN: one run, its JSON in $out.
run_side() {
  local log="$tmp/$1.out"
  # shellcheck disable=SC2086
  if "$2" --server "$3" --broker-pid "$4" --workload "$5" ${args[$5]} \
      --json "$out/$1-$5-$6.json" > "$log" 2>&1; then
    # The description (what this side was asked to do) once per workload.
    [ "$6" = 1 ] && sed -n 1p "$log"
    sed -n 's/^run 1/'"$(printf '%-6s' "$1") $5 run $6"'/p' "$log"
  else
    echo "$1 $5 run $6 FAILED: $(tail -1 "$log")"
    failed=1
  fi
}

for w in "${workloads[@]}"; do
  for run in $(seq "$runs"); do
    rm -rf "$tmp/chorus" "$tmp/nats"
    start_chorusd "$build/broker/chorusd" "$tmp/chorus"
    start_nats "$tmp/nats"
    run_side chorus "$build/bench/chorus-bench" "$chorus_address" "$chorus_pid" "$w" "$run"
    run_side nats "$build/bench/nats-bench" "$nats_url" "$nats_pid" "$w" "$run"
    stop_brokers
  done
done

# median SIDE WORKLOAD METRIC: the median over the runs' JSON files.
median() {
  for f in "$out/$1-$2-"*.json; do
    [ -e "$f" ] || continue
    sed -n "s/.*\"median\":{[^}]*\"$3\":\([^,}]*\).*/\1/p" "$f"
  done | sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}'
}

echo
printf '%-12s %-22s %14s %14s %10s  %s\n' workload metric chorus nats chorus/nats target
for w in "${workloads[@]}"; do
  for m in ${metrics[$w]}; do
    c=$(median chorus "$w" "$m")
    n=$(median nats "$w" "$m")
    ratio=$(awk -v c="$c" -v n="$n" 'BEGIN {
      if (n == "" || c == "" || n + 0 <= 0) print "-"; else printf "%.2f", c / n }')
    printf '%-12s %-22s %14.1f %14.1f %10s  %s\n' "$w" "$m" "${c:-0}" "${n:-0}" \
      "$ratio" "${targets[$w/$m]:-}"
  done
done
echo "(medians of $runs runs; per-run JSON in $out)"
exit "$failed"
