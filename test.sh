#!/usr/bin/env bash
# Sets up the test prerequisites and runs every test. The last line is "N passed, M failed";
# the exit code is non-zero on any failure (a test, the build, or a test run that could not report).
set -uo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/scripts/setup.sh"
cd "$baton_root"
results="$baton_root/.build/test-results"
rm -rf "$results"; mkdir -p "$results"

finish() { echo; echo "$1 passed, $2 failed"; exit "$([ "$2" -eq 0 ] && echo 0 || echo 1)"; }

ensure_base || finish 0 1
ensure_packages sqlite3:sqlite3 chromium:chromium chromedriver:chromium-driver || finish 0 1
ensure_agents || finish 0 1

say "building (warnings are errors)"
if ! dotnet build Baton.slnx -c Release -nologo -v quiet -clp:ErrorsOnly >"$results/build.log" 2>&1; then
  cat "$results/build.log"
  say "the build failed"
  finish 0 1
fi

# Tests that launch baton as a process use the ReadyToRun build: it starts several times faster than a JIT build.
publish_baton "$baton_root/.build/baton" || finish 0 1
export BATON_TEST_BINARY="$baton_root/.build/baton/baton"

projects=(tests/Baton.Core.Tests tests/Baton.Tests)
failed_runs=0
for project in "${projects[@]}"; do
  name="$(basename "$project")"
  say "testing $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" 2>&1 | tee "$results/$name.log" | grep -E '^\s+Failed |Passed!|Failed!|Error Message|^\s+at Baton|Total tests' || true
  [ -f "$results/$name.trx" ] || { say "$name produced no results"; failed_runs=$((failed_runs + 1)); }
done

passed=0; failed=$failed_runs
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  e="$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")"
  t="$(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters")"
  a="$(sed -n 's/.* aborted="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
done
finish "$passed" "$failed"
