#!/usr/bin/env bash
# CI step: builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan),
# then for each target:
#   1. replays its committed seeds (tests/fuzz/corpus/<target>/) and every
#      saved finding (tests/fuzz/regressions/<target>/): a deterministic
#      regression check; any failure fails the run;
#   2. explores for CHORUS_FUZZ_SECONDS (default 60) from those inputs. A
#      failure fails the run only if it reproduces: the input alone against
#      a fresh process, or (broker_session_fuzz shares one broker across
#      inputs) the recorded sequence of every input of the run, replayed in
#      order. Either way the input is kept in build-fuzz/findings/ (a
#      reproducible sequence in build-fuzz/findings/<target>-sequence/),
#      which the next run on this machine replays first. A failure that does
#      not reproduce is reported, with its input, and does not fail the run.
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
limits=(-timeout=30 -rss_limit_mb=2048 -max_len=65536)

# Runs `target` once over the given files and folders, in a fresh process
# with its own TMPDIR; its output goes to $scratch/last.log.
replay() {
  local target="$1"
  shift
  TMPDIR="$(mktemp -d -p "$scratch")" "./build-fuzz/tests/fuzz/$target" \
    -runs=0 "${limits[@]}" "$@" >"$scratch/last.log" 2>&1
}

# Runs broker_session_fuzz over the files of a folder in name order, against
# one broker (a recorded sequence).
replay_sequence() {
  TMPDIR="$(mktemp -d -p "$scratch")" CHORUS_FUZZ_REPLAY="$1" \
    ./build-fuzz/tests/fuzz/broker_session_fuzz >"$scratch/last.log" 2>&1
}

for target in frame_decoder_fuzz records_fuzz stored_batch_fuzz \
              broker_session_fuzz; do
  inputs=("tests/fuzz/corpus/$target")
  [ -d "tests/fuzz/regressions/$target" ] &&
    inputs+=("tests/fuzz/regressions/$target")
  for saved in "$findings/$target"-*; do
    [ -f "$saved" ] && inputs+=("$saved")
  done

  echo "== $target: replaying ${inputs[*]}"
  if ! replay "$target" "${inputs[@]}"; then
    cat "$scratch/last.log"
    echo "FAIL: $target fails on a committed or saved input (above)"
    exit 1
  fi
  if [ -d "$findings/$target-sequence" ]; then
    echo "== $target: replaying the saved sequence $findings/$target-sequence"
    if ! replay_sequence "$findings/$target-sequence"; then
      tail -n 50 "$scratch/last.log"
      echo "FAIL: $target still fails on the saved sequence"
      exit 1
    fi
  fi

  echo "== $target: exploring for ${seconds}s"
  mkdir -p "$scratch/$target" "$scratch/$target.found"
  record=()
  if [ "$target" = broker_session_fuzz ]; then
    mkdir -p "$scratch/$target.sequence"
    record=(env CHORUS_FUZZ_RECORD="$scratch/$target.sequence")
  fi
  tmp="$(mktemp -d -p "$scratch")"
  if TMPDIR="$tmp" "${record[@]}" "./build-fuzz/tests/fuzz/$target" \
       -max_total_time="$seconds" "${limits[@]}" -print_final_stats=1 \
       -artifact_prefix="$scratch/$target.found/" \
       "$scratch/$target" "${inputs[@]}"; then
    continue
  fi
  found=("$scratch/$target.found"/*)
  [ -e "${found[0]}" ] || { echo "FAIL: $target exited without an input"; exit 1; }
  input="${found[0]}"
  cp "$input" "$findings/$target-$(basename "$input")"
  echo "-- $target failed on $(basename "$input"); replaying it alone"
  if ! replay "$target" "$input"; then
    cat "$scratch/last.log"
    echo "FAIL: $target: $findings/$target-$(basename "$input") reproduces" \
         "alone; fix it, then commit it under tests/fuzz/regressions/$target/"
    exit 1
  fi
  if [ ${#record[@]} -gt 0 ]; then
    echo "-- alone it passes; replaying the run's recorded inputs in order"
    if ! replay_sequence "$scratch/$target.sequence"; then
      rm -rf "$findings/$target-sequence"
      cp -r "$scratch/$target.sequence" "$findings/$target-sequence"
      tail -n 50 "$scratch/last.log"
      echo "FAIL: $target: the recorded sequence reproduces the failure;" \
           "shorten it with tests/fuzz/minimize_sequence.py" \
           "build-fuzz/tests/fuzz/$target $findings/$target-sequence OUT"
      exit 1
    fi
  fi
  echo "WARNING: $target failed once and did not reproduce; its input is" \
       "$findings/$target-$(basename "$input") (base64 below)"
  base64 -w0 "$input"
  echo
done
