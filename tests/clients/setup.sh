#!/usr/bin/env bash
# `meshfleet setup <client>` checked against the real clients from npm (pinned in package.json; `npm ci` or
# `npm install` in this folder first): each client's own `mcp list`, in a temporary HOME, must show the server
# connected; a second setup must change nothing; `meshfleet doctor` must find all four; then the same with a token
# (agent identity on), where setup writes each agent's key. Usage: tests/clients/setup.sh path/to/meshfleet
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$here/node_modules/.bin/claude" ] || { echo "tests/clients/setup.sh: run npm ci (or npm install) in tests/clients first"; exit 2; }
exec node "$here/setup.mjs" "$bin"
