#!/usr/bin/env bash
# Shared set-up for baton.sh, test.sh and bench.sh: installs what is missing, never what is there.
# Debian packages through apt-get (as root, or with sudo when available); npm packages only into local folders.

baton_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '%s\n' "$*" >&2; }

apt_updated=0
# ensure_packages CMD:PACKAGE ... — installs PACKAGE when CMD is not on PATH.
ensure_packages() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd="${pair%%:*}"; pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { say "missing: ${missing[*]} — install them with: apt-get install -y ${missing[*]}"; return 1; }
    sudo="sudo -n"
  fi
  say "installing Debian packages: ${missing[*]}"
  if [ $apt_updated -eq 0 ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || { say "apt-get update failed"; return 1; }
    apt_updated=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { say "apt-get install ${missing[*]} failed"; return 1; }
}

ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    say "the .NET SDK 10 is required and is not on PATH (Debian does not package it): install it from Microsoft's packages, then re-run."
    return 1
  fi
  local major
  major="$(dotnet --version 2>/dev/null | cut -d. -f1)"
  if [ "${major:-0}" -lt 10 ]; then
    say "the .NET SDK 10 or later is required; found $(dotnet --version 2>/dev/null)"
    return 1
  fi
}

ensure_base() {
  ensure_dotnet || return 1
  ensure_packages git:git tmux:tmux || return 1
}

# The agent programs the end-to-end tests drive for real, pinned to the versions reference/agents.md was verified with.
agent_packages=(
  "pi:@mariozechner/pi-coding-agent@0.73.1"
  "claude:@anthropic-ai/claude-code@2.1.197"
  "codex:@openai/codex@0.169.0"
)

# ensure_agents [NAME...] — installs into $baton_root/.tools (git-ignored) the agents whose binary is missing
# (all of them, or only the named ones); never globally.
ensure_agents() {
  local tools="$baton_root/.tools" missing=() pair bin pkg
  for pair in "${agent_packages[@]}"; do
    bin="${pair%%:*}"; pkg="${pair#*:}"
    if [ $# -gt 0 ] && [[ " $* " != *" $bin "* ]]; then continue; fi
    [ -x "$tools/node_modules/.bin/$bin" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  # Not Debian's npm: its Node.js 18 is older than the agents need.
  command -v npm >/dev/null 2>&1 || { say "npm (Node.js 20 or later) is required to install the agents: ${missing[*]}"; return 1; }
  say "installing agents into .tools: ${missing[*]}"
  mkdir -p "$tools" "$baton_root/.build"
  npm install --prefix "$tools" "${missing[@]}" --no-audit --no-fund --loglevel=error >"$baton_root/.build/npm-agents.log" 2>&1 \
    || { cat "$baton_root/.build/npm-agents.log" >&2; say "npm install of the agents failed (log: .build/npm-agents.log)"; return 1; }
}

# publish_baton DIR — a Release, ReadyToRun build of the baton executable, rebuilt only when a source changed.
publish_baton() {
  local out="$1" stamp="$1/.stamp"
  if [ -x "$out/baton" ] && [ -f "$stamp" ] && [ -z "$(find "$baton_root/src" "$baton_root/extensions" "$baton_root/Directory.Build.props" "$baton_root/Directory.Packages.props" -newer "$stamp" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.yaml' -o -name '*.md' -o -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.ts' \) -print -quit)" ]; then
    return 0
  fi
  say "building baton (Release, ReadyToRun) into $out"
  dotnet publish "$baton_root/src/Baton/Baton.csproj" -c Release -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -o "$out" -v quiet -nologo >"$baton_root/.build/publish.log" 2>&1 \
    || { cat "$baton_root/.build/publish.log" >&2; say "build failed (log: .build/publish.log)"; return 1; }
  touch "$stamp"
}
