#!/usr/bin/env bash
# Measures `baton task list --json` on a project with N tasks (default 5000). Target: < 150 ms.
#
#   dotnet build -c Release && bench/task-list.sh            # uses src/Baton/bin/Release/net10.0/baton
#   BATON=/path/to/baton TASKS=5000 RUNS=20 bench/task-list.sh
#
# Seeds the tasks with one `task import` (labels on every task, a blocker on every 10th, a comment on
# every 50th), then times RUNS launches of `task list --all --json` and prints min / median / max.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
baton="${BATON:-$here/src/Baton/bin/Release/net10.0/baton}"
tasks="${TASKS:-5000}"
runs="${RUNS:-20}"
[ -x "$baton" ] || { echo "no baton at $baton: run 'dotnet build -c Release' first" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export BATON_HOME="$work/home" HOME="$work/user" NO_COLOR=1
mkdir -p "$work/bench" "$HOME"
cd "$work/bench"
git init -q -b main && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m init
"$baton" init --prefix bench >/dev/null

awk -v n="$tasks" 'BEGIN {
  for (i = 1; i <= n; i++) {
    pri = (i % 5 == 0) ? "null" : (i % 4) + 1
    blockers = (i % 10 == 0 && i > 1) ? sprintf("[{\"identifier\":\"BENCH-%d\"}]", i - 1) : "[]"
    comments = (i % 50 == 0) ? sprintf("[{\"id\":\"c%015d\",\"author\":\"bench\",\"body\":\"note %d\",\"createdAt\":\"2025-01-01T00:00:00+00:00\"}]", i, i) : "[]"
    state = (i % 7 == 0) ? "Done" : ((i % 3 == 0) ? "In Progress" : "Todo")
    printf "{\"identifier\":\"BENCH-%d\",\"title\":\"Task number %d with a reasonably long title\",\"description\":\"Some description text for task %d.\",\"priority\":%s,\"state\":\"%s\",\"labels\":[\"area-%d\",\"kind-%d\"],\"blockedBy\":%s,\"createdAt\":\"2025-01-01T00:%02d:%02d+00:00\",\"comments\":%s}\n", i, i, i, pri, state, i % 9, i % 4, blockers, (i / 60) % 60, i % 60, comments
  }
}' > tasks.jsonl

seed_start=$(date +%s%N)
"$baton" task import --input tasks.jsonl
echo "import of $tasks tasks: $(( ($(date +%s%N) - seed_start) / 1000000 )) ms"

count=$("$baton" task list --all --json | grep -o "\"instanceId\"" | wc -l)
echo "task list --all --json returns $count tasks ($(("$baton" task list --all --json) | wc -c) bytes)"

times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$baton" task list --all --json >/dev/null
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "task list --all --json, $runs runs: min ${sorted[0]} ms, median ${sorted[$((runs / 2))]} ms, max ${sorted[$((runs - 1))]} ms"

start=$(date +%s%N)
for _ in $(seq "$runs"); do "$baton" --version >/dev/null; done
echo "floor (baton --version): $(( ($(date +%s%N) - start) / 1000000 / runs )) ms per launch"
