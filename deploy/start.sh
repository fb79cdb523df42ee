#!/usr/bin/env bash
# Quick start, step 1: installs what is missing, builds a Release chorusd and
# runs a single-node broker in the foreground on 127.0.0.1:7400 with its data
# in ./data. Extra arguments go to chorusd (e.g. --fsync always).
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release --target chorusd chorus -j "$(nproc)"
exec ./build-release/broker/chorusd --listen 127.0.0.1:7400 --data-dir ./data "$@"
