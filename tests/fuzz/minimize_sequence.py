#!/usr/bin/env python3
"""Shrinks a recorded broker_session_fuzz run to the shortest ordered list of
inputs that still makes the target fail.

broker_session_fuzz shares one broker across inputs, so a failure may need
the state that earlier inputs left behind. Record a failing run with
CHORUS_FUZZ_RECORD=DIR (one file per input, in order), then:

    tests/fuzz/minimize_sequence.py build-fuzz/tests/fuzz/broker_session_fuzz DIR OUT

The last recorded input (the one that failed) is always kept; the others are
reduced with delta debugging (Zeller's ddmin), each candidate list replayed
in order against a fresh broker (CHORUS_FUZZ_REPLAY). The shortest failing
list is copied to OUT as 00000000, 00000001, ... (a sequence to replay with
CHORUS_FUZZ_REPLAY=OUT) and printed. A candidate counts as failing when the
target exits non-zero; give --repeat N to demand N failures in a row (for
failures that depend on timing).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def fails(target, inputs, repeat, timeout):
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            sequence = os.path.join(tmp, "sequence")
            os.mkdir(sequence)
            for i, path in enumerate(inputs):
                os.link(path, os.path.join(sequence, f"{i:08d}"))
            env = dict(os.environ, TMPDIR=tmp, CHORUS_FUZZ_REPLAY=sequence)
            env.pop("CHORUS_FUZZ_RECORD", None)
            try:
                run = subprocess.run([target], env=env,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     timeout=timeout)
            except subprocess.TimeoutExpired:
                return True
            if run.returncode == 0:
                return False
    return True


def ddmin(prefix, last, test):
    """Smallest sublist of `prefix` (order kept) for which test(sub + [last])."""
    n = 2
    while len(prefix) >= 1:
        chunk = max(1, len(prefix) // n)
        subsets = [prefix[i:i + chunk] for i in range(0, len(prefix), chunk)]
        reduced = False
        for i in range(len(subsets)):
            complement = [x for j, s in enumerate(subsets) if j != i for x in s]
            if test(complement + [last]):
                prefix = complement
                n = max(n - 1, 2)
                reduced = True
                print(f"  {len(prefix) + 1} inputs still fail", flush=True)
                break
        if not reduced:
            if chunk == 1:
                break
            n = min(len(prefix), 2 * n)
    return prefix


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target")
    parser.add_argument("recorded")
    parser.add_argument("out")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()

    inputs = sorted(os.path.join(args.recorded, f)
                    for f in os.listdir(args.recorded))
    if not inputs:
        sys.exit("nothing recorded in " + args.recorded)

    def test(candidate):
        return fails(args.target, candidate, args.repeat, args.timeout)

    print(f"{len(inputs)} recorded inputs", flush=True)
    if not test(inputs):
        sys.exit("the recorded sequence does not fail when replayed")
    last = inputs[-1]
    if test([last]):
        kept = []
    else:
        kept = ddmin(inputs[:-1], last, test)
    os.makedirs(args.out, exist_ok=True)
    for i, path in enumerate(kept + [last]):
        shutil.copyfile(path, os.path.join(args.out, f"{i:08d}"))
        print(os.path.join(args.out, f"{i:08d}"), "<-", path)


if __name__ == "__main__":
    main()
