#!/usr/bin/env bash
# CI step: builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan)
# and runs each for a bounded time, starting from its committed seed corpus
# (tests/fuzz/corpus/<target>/). A crash, a hang or a sanitizer report fails
# the run and leaves the input that caused it in build-fuzz/findings/.
#
#   deploy/run-fuzzers.sh                          # 60 s per target
#   CHORUS_FUZZ_SECONDS=3600 deploy/run-fuzzers.sh # a longer hunt
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${CHORUS_FUZZ_SECONDS:-60}"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCHORUS_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "${CHORUS_JOBS:-$(nproc)}" --target fuzz_targets

# New inputs go to a scratch corpus so the committed seeds stay small; the
# broker fuzzer keeps its data dir under TMPDIR, removed with it.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
findings="$PWD/build-fuzz/findings"
mkdir -p "$findings"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

for target in frame_decoder_fuzz records_fuzz stored_batch_fuzz \
              broker_session_fuzz; do
  echo "== $target: ${seconds}s"
  mkdir -p "$scratch/$target"
  TMPDIR="$scratch" "./build-fuzz/tests/fuzz/$target" \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$findings/$target-" \
    "$scratch/$target" "tests/fuzz/corpus/$target"
done
