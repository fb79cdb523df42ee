# Shell functions that start and stop the brokers the benchmarks run against,
# each on loopback with a free port and its data in a given folder. Sourced
# by compare.sh and smoke.sh:
#
#   source bench/brokers.sh
#   start_chorusd build-bench/broker/chorusd "$tmp/chorus"  # chorus_address, chorus_pid
#   start_nats "$tmp/nats"                                  # nats_url, nats_pid
#   stop_brokers
#
# Extra chorusd flags may be given in $CHORUSD_FLAGS; $NATS_SERVER names the
# nats-server binary (default: from PATH, else /usr/sbin/nats-server).

chorus_pid=
nats_pid=

# wait_for_line FILE REGEX: up to 10 s for a line matching REGEX in FILE.
wait_for_line() {
  for _ in $(seq 100); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_chorusd() {
  local binary=$1 dir=$2
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  "$binary" --listen 127.0.0.1:0 --data-dir "$dir/data" ${CHORUSD_FLAGS:-} \
    > "$dir/out" 2> "$dir/log" &
  chorus_pid=$!
  if ! wait_for_line "$dir/out" 'listening on'; then
    echo "chorusd did not start:" >&2
    cat "$dir/log" >&2
    return 1
  fi
  chorus_address=$(sed -n 's/^chorusd listening on //p' "$dir/out")
}

start_nats() {
  local dir=$1
  mkdir -p "$dir"
  local server=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
  "$server" -js -a 127.0.0.1 -p -1 -sd "$dir/store" > "$dir/log" 2>&1 &
  nats_pid=$!
  if ! wait_for_line "$dir/log" 'Server is ready'; then
    echo "nats-server did not start:" >&2
    cat "$dir/log" >&2
    return 1
  fi
  nats_url="nats://$(sed -n 's/.*Listening for client connections on //p' \
    "$dir/log" | head -1)"
}

stop_brokers() {
  local pid
  for pid in $chorus_pid $nats_pid; do
    # nats-server exits non-zero on SIGTERM: that is not a failure here.
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  chorus_pid=
  nats_pid=
  return 0
}
