#!/usr/bin/env bash
# Profiles the meshfleet server while the bench drives it: dotnet-counters (CPU, GC, JIT, thread pool) and a kernel
# CPU-sampling trace (dotnet-trace collect-linux). Used for the "why" sections of BENCHMARKS.md.
#   bench/profile-server.sh out/meshfleet "--only throughput --systems meshfleet-http" 14 6
# args: binary, bench arguments, seconds to wait before attaching, seconds to record. Output in $PROFILE_DIR (/tmp/meshfleet-profile).
# Needs: dotnet tool install -g dotnet-counters dotnet-trace, and a binary published with EventSource on (off by default):
#   dotnet publish src/Meshfleet -c Release -o out -p:EventSourceSupport=true
set -euo pipefail
binary=${1:-out/meshfleet}
bench_args=${2:---only push --systems meshfleet-http --sends 30000}
wait_seconds=${3:-5}
record_seconds=${4:-6}
out=${PROFILE_DIR:-/tmp/meshfleet-profile}
tools=${DOTNET_TOOLS:-$HOME/.dotnet/tools}
mkdir -p "$out"
cd "$(dirname "$0")/.."

# shellcheck disable=SC2086
dotnet run --project bench/Meshfleet.Bench -c Release -- "$binary" $bench_args >"$out/bench.out" 2>"$out/bench.err" &
bench=$!
server=""
for _ in $(seq 1 300); do
  server=$(pgrep -f "$binary serve" | head -1 || true)
  [ -n "$server" ] && break
  sleep 0.1
done
if [ -z "$server" ]; then
  echo "no '$binary serve' process appeared; is meshfleet-http among the systems?" >&2
  wait "$bench"
  exit 1
fi

sleep "$wait_seconds"
duration=$(printf '00:00:00:%02d' "$record_seconds")
# Both record the same window.
"$tools/dotnet-counters" collect -p "$server" --counters System.Runtime,Microsoft.AspNetCore.Hosting \
  --refresh-interval 1 --duration "$duration" --format csv -o "$out/counters.csv" >/dev/null 2>&1 &
counters=$!
"$tools/dotnet-trace" collect-linux -p "$server" --profile cpu-sampling --duration "$duration" -o "$out/cpu.nettrace" >/dev/null 2>&1 || true
wait "$counters" || true
wait "$bench"
"$tools/dotnet-trace" report "$out/cpu.nettrace" topN -n 300 --inclusive >"$out/cpu-top.txt" 2>/dev/null || true
grep -E '^(push|throughput|mcp-rtt|fan-out)' "$out/bench.out" || true
echo "profile of pid $server in $out: counters.csv, cpu.nettrace, cpu-top.txt"
