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
    # The 192 MiB publish flood exceeded its 180 s limit under TSan on the
    # merged tree (0.9 s plain, 3.5 s under ASan, where it still runs); it
    # is left out here until the cause is known (issue 11).
    'LimitsTest\.PublishFloodIsPushedBackNotBuffered$'
  )
  ctest --test-dir build-tsan --output-on-failure --no-tests=error \
    -j "$jobs" -E "$(IFS='|'; echo "${tsan_excluded[*]}")"
fi
