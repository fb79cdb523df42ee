#!/usr/bin/env bash
# CI step: builds everything with ASan + UBSan and runs every test, then
# builds everything with TSan and runs every test again but those listed in
# tsan_excluded below, each with the reason it is left out. Any sanitizer
# report fails the run: the binaries abort on it, and the integration
# harness fails a test whose chorusd logged one. Memory bounds
# (PeakMemory::GrewLessThan) are not checked in these builds; the plain
# step (deploy/test.sh) checks them.
#
#   deploy/test-sanitizers.sh            # both
#   deploy/test-sanitizers.sh asan       # or only one of them
#   deploy/test-sanitizers.sh tsan
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${CHORUS_JOBS:-$(nproc)}"
which="${1:-all}"
sup="$PWD/deploy/sanitizers"

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$sup/ubsan.supp"
export LSAN_OPTIONS="suppressions=$sup/lsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$sup/tsan.supp"

if [[ "$which" == all || "$which" == asan ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCHORUS_SANITIZE=address,undefined >/dev/null
  cmake --build build-asan -j "$jobs"
  ctest --test-dir build-asan --output-on-failure --no-tests=error -j "$jobs"
fi

if [[ "$which" == all || "$which" == tsan ]]; then
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCHORUS_SANITIZE=thread >/dev/null
  cmake --build build-tsan -j "$jobs"
  # Tests TSan leaves out (ctest -E regexes), each with its reason.
  tsan_excluded=(
    # The 192 MiB publish flood takes 16 s to over its 180 s limit under
    # TSan (0.9 s plain, 3.5 s under ASan, where it still runs). Seen so
    # far: the shard threads, taking turns as RocksDB's write leader, copy
    # into the WAL writer's one buffer; each copy is a race report that
    # tsan.supp suppresses, but only after TSan's slow report path, which
    # grows with the reports so far. With the WAL unbuffered under TSan it
    # ran in about 20 s, and then showed a memtable block read by the flush
    # thread whose writer's stack TSan could not restore, so no suppression
    # matched. Left out until issue 11 settles it.
    'LimitsTest\.PublishFloodIsPushedBackNotBuffered$'
  )
  ctest --test-dir build-tsan --output-on-failure --no-tests=error \
    -j "$jobs" -E "$(IFS='|'; echo "${tsan_excluded[*]}")"
fi
