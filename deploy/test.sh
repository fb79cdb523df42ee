#!/usr/bin/env bash
# Quick start, step 2: installs what is missing, builds everything and runs
# the whole test suite (unit and integration). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure --no-tests=error -j "$(nproc)" "$@"
