#!/usr/bin/env bash
# Sets up what is missing, builds Baton and runs it with your arguments.
#   ./baton.sh demo        Baton's main job on its embedded defaults (a sample project in a temp directory)
#   ./baton.sh <command>   any baton command, e.g. ./baton.sh task ready
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/scripts/setup.sh"
mkdir -p "$baton_root/.build"
ensure_base
publish_baton "$baton_root/.build/baton"
if [ "${1:-}" = demo ]; then
  # The demo's agents are real pi processes, driven offline by Baton's replay model.
  ensure_agents pi
fi
export PATH="$baton_root/.tools/node_modules/.bin:$PATH"
exec "$baton_root/.build/baton/baton" "$@"
