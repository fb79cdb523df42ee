#!/usr/bin/env bash
# A three-broker cluster on this machine, for trying Chorus out: one etcd and
# three chorusd on loopback, each with its data and log under one folder.
#
#   deploy/cluster.sh up          # installs, builds (Release), starts all
#   deploy/cluster.sh status      # who runs, and `chorus cluster status`
#   deploy/cluster.sh kill 2      # SIGKILL broker 2 (a crash)
#   deploy/cluster.sh restart 2   # start broker 2 again on its data
#   deploy/cluster.sh down        # stops what `up` started
#
# Ports (loopback only): etcd 23790 (clients) and 23800 (peers), brokers
# 7401, 7402, 7403; CHORUS_CLUSTER_DIR (default ./cluster) holds etcd/,
# broker-N/ data, *.log and *.pid. Only processes whose pid files are there
# are ever signalled.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${CHORUS_CLUSTER_DIR:-$PWD/cluster}"
etcd_port=23790
etcd_peer_port=23800
etcd_url="http://127.0.0.1:$etcd_port"
chorusd=./build-release/broker/chorusd
chorus=./build-release/client/chorus
brokers=(1 2 3)

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# The pid in $1's pid file, if that process still runs.
running_pid() {
  local file="$dir/$1.pid"
  [[ -f "$file" ]] || return 1
  local pid
  pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start_etcd() {
  running_pid etcd >/dev/null && return
  mkdir -p "$dir/etcd"
  etcd --name chorus-etcd --data-dir "$dir/etcd" \
    --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "chorus-etcd=http://127.0.0.1:$etcd_peer_port" \
    --log-level warn >>"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
  for _ in $(seq 100); do
    curl -fs "$etcd_url/health" 2>/dev/null | grep -q '"health":"true"' && return
    sleep 0.1
  done
  echo "etcd did not become healthy; see $dir/etcd.log" >&2
  exit 1
}

start_broker() {
  local n="$1"
  running_pid "broker-$n" >/dev/null && return
  local port=$((7400 + n))
  "$chorusd" --listen "127.0.0.1:$port" --data-dir "$dir/broker-$n" \
    --etcd "$etcd_url" --cluster local --rack "rack-$n" \
    >"$dir/broker-$n.out" 2>>"$dir/broker-$n.log" &
  echo $! >"$dir/broker-$n.pid"
  for _ in $(seq 300); do
    grep -q 'listening on' "$dir/broker-$n.out" 2>/dev/null && return
    kill -0 "$(cat "$dir/broker-$n.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "broker $n did not start; see $dir/broker-$n.log" >&2
  exit 1
}

stop() {
  local name="$1" signal="$2" pid
  pid="$(running_pid "$name")" || return 0
  kill "-$signal" "$pid"
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$dir/$name.pid"
}

broker_number() {
  [[ "${1:-}" =~ ^[123]$ ]] || usage
  echo "$1"
}

case "${1:-}" in
  up)
    ./deploy/install-deps.sh
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build-release --target chorusd chorus -j "$(nproc)"
    mkdir -p "$dir"
    start_etcd
    for n in "${brokers[@]}"; do start_broker "$n"; done
    echo "etcd at $etcd_url; brokers at 127.0.0.1:7401,127.0.0.1:7402,127.0.0.1:7403"
    echo "data and logs in $dir"
    echo "try: $chorus --server 127.0.0.1:7401,127.0.0.1:7402,127.0.0.1:7403 cluster status"
    ;;
  down)
    for n in "${brokers[@]}"; do stop "broker-$n" TERM; done
    stop etcd TERM
    ;;
  status)
    for name in etcd broker-1 broker-2 broker-3; do
      if pid="$(running_pid "$name")"; then
        echo "$name: running (pid $pid)"
      else
        echo "$name: stopped"
      fi
    done
    if ! "$chorus" --server 127.0.0.1:7401,127.0.0.1:7402,127.0.0.1:7403 \
      cluster status; then
      echo "no broker answers"
    fi
    ;;
  kill)
    stop "broker-$(broker_number "${2:-}")" KILL
    ;;
  restart)
    n="$(broker_number "${2:-}")"
    stop "broker-$n" TERM
    start_broker "$n"
    ;;
  *)
    usage
    ;;
esac
