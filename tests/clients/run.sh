#!/usr/bin/env bash
# Runs the real agent clients (Claude Code, OpenCode, Codex, Gemini CLI) against the built binary, each driven by the
# scripted fake model in fake-model.mjs. Usage: tests/clients/run.sh path/to/meshfleet [scenario-filter ...] [--measure]
# (after `npm ci` in this folder). Prints one line per scenario; every client's output and every model request go to
# files in a temp folder, removed after a clean run and named on a failure (or in $CLIENTS_LOG_DIR, always kept).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
command -v tmux >/dev/null || { echo "tests/clients needs tmux (apt-get install tmux)"; exit 2; }
MESHFLEET_BIN="$bin" exec node "$here/run.mjs" "$@"
