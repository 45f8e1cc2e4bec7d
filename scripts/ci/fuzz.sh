#!/usr/bin/env bash
# Fuzzes each parser of untrusted bytes with Jazzer for the time set on its @FuzzTest (60 s), with a
# 10 s limit per input (@Timeout). A finding fails the run; Jazzer saves the input under
# src/test/resources/dev/alexnet/service/fuzz/ParserFuzzTestInputs/<target>/, where every later
# test run replays it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
for target in weights image; do
  echo "-- fuzzing ParserFuzzTest#$target"
  log="target/fuzz-$target.log"
  if ! JAZZER_FUZZ=1 ./mvnw -B -ntp test-compile surefire:test@fuzz-tests -Dtest="ParserFuzzTest#$target" > "$log" 2>&1; then
    grep -E "==[0-9]+==|ERROR|Exception|FAIL" "$log" | sed -n 1,40p >&2 || true
    echo "fuzzing $target found a problem; full log in $log" >&2
    exit 1
  fi
  grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs|Tests run:" "$log" || true
done
