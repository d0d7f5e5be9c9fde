#!/usr/bin/env bash
# A short, bounded libFuzzer run in the test suite, for any fuzzer built by
# clang_fuzzer (testing/clang_fuzzer.bzl): it starts from the seed corpus
# and runs until it has made $RUNS inputs or spent $SECONDS_LIMIT seconds,
# whichever comes first. Any crash, sanitizer report or broken promise of
# the fuzz target fails the test; the input that did it is kept in the
# test's undeclared outputs (bazel-testlogs/.../test.outputs).
#
# Usage: fuzz_test.sh FUZZER SEED...
set -euo pipefail

RUNS=100000
SECONDS_LIMIT=30

fuzzer="$1"
shift
corpus="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}"
mkdir -p "$corpus" "$artifacts"
# libFuzzer adds what it finds to its first corpus directory: a scratch copy,
# never the repository's seeds.
cp "$@" "$corpus/"

log="$artifacts/fuzzer.log"
status=0
"$fuzzer" -runs="$RUNS" -max_total_time="$SECONDS_LIMIT" -timeout=10 \
  -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || status=$?
tail -n 25 "$log"
if ((status != 0)); then
  echo "FAILED: the fuzzer exited with status $status; see $log"
  exit 1
fi
# A run that did nothing would pass without testing anything.
if ! grep -Eq '^Done [0-9]+ runs' "$log"; then
  echo "FAILED: the fuzzer did not report a completed run"
  exit 1
fi
runs=$(sed -nE 's/^Done ([0-9]+) runs.*/\1/p' "$log")
if ((runs < 1000)); then
  echo "FAILED: only $runs runs"
  exit 1
fi
echo "fuzzed $runs inputs without a failure"
