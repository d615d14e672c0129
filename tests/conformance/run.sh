#!/usr/bin/env bash
# Runs the MCP conformance scenarios that apply to any server against a real `meshfleet serve`.
# Usage: tests/conformance/run.sh path/to/meshfleet   (after `npm ci` in this folder)
# Conformance 0.1.16 (the newest on npm here) has scenarios for 2025-06-18 and 2025-11-25 only; it drives the
# initialize path. The 2026-07-28 path (server/discover, stateless) is covered by tests/interop/revisions.mjs.
# The suite prints "Passed: N/N, N failed": its output goes to files, so CI does not read it as the test summary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
work="$(mktemp -d)"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
MESHFLEET_DB="$work/mesh.db" MESHFLEET_SSE_PORT="$port" "$bin" serve 2> "$work/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  grep -q "SSE listening" "$work/serve.log" && break
  kill -0 $pid 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.1
done
grep -q "SSE listening" "$work/serve.log" || { echo "meshfleet serve did not log 'SSE listening' within 10 s:"; cat "$work/serve.log"; exit 1; }
node22="$here/node_modules/.bin/node"
suite="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"
failed=0
for scenario in server-initialize ping tools-list dns-rebinding-protection server-sse-multiple-streams; do
  if "$node22" "$suite" server --url "http://127.0.0.1:$port/mcp" --scenario "$scenario" > "$work/$scenario.txt" 2>&1 \
     && grep -qE ', 0 failed, 0 warnings' "$work/$scenario.txt"; then
    echo "conformance $scenario: ok"
  else
    echo "conformance $scenario: FAILED"; sed 's/^/    /' "$work/$scenario.txt"; failed=1
  fi
done
exit $failed
