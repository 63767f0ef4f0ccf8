#!/usr/bin/env bash
# Publishes baton and the hello-world floor exactly alike (ReadyToRun, framework-dependent), then runs
# bench/Baton.Bench, which prints: measure | floor | baton | ratio | target | verdict.
# The measures (start-up, task list on 5,000 tasks, workspace create, safety analysis of 50 workspaces, spawn, worker
# memory and baton list with 100 live sessions, the dashboard's API, first paint and live events), their floors and
# targets: bench/README.md.
# Exits 0 when every measure ran, even if a target was missed (the table says so); non-zero when something failed.
# Extra arguments go to the bench program, e.g. ./bench.sh --runs 40 --workspaces 20 --only create
set -euo pipefail
cd "$(dirname "$0")"
out=.build/bench
publish() {
  dotnet publish "$1" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$2" --nologo -v quiet
}

echo "publishing baton and hello (ReadyToRun)…" >&2
publish src/Baton "$out/baton"
publish bench/Hello "$out/hello"
dotnet publish bench/Baton.Bench -c Release -o "$out/runner" --nologo -v quiet

"$out/runner/Baton.Bench" --baton "$out/baton/baton" --hello "$out/hello/hello" "$@"
