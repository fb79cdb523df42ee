#!/usr/bin/env bash
# Installs every Debian 12 package Chorus needs to build, test, fuzz and benchmark
# (clang for libFuzzer and sanitizers; nats-server and libnats as the benchmark peer;
# CLI11 and nlohmann-json, header-only, for the command-line tools; etcd and gRPC
# for clusters: the etcd server the tests start, and the C++ gRPC stack our etcd
# client is built on; curl for deploy/cluster.sh's etcd health check).
# Safe to run again: apt-get skips what is already installed. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libasio-dev libprotobuf-dev protobuf-compiler librocksdb-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev
  clang libclang-rt-14-dev
  nats-server libnats-dev
  etcd-server etcd-client libgrpc++-dev protobuf-compiler-grpc curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
