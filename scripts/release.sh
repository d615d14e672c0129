#!/usr/bin/env bash
# Builds the release: dist/meshfleet-<version>-<rid>.tar.gz (the single Native AOT executable, with SQLite linked in and
# ONNX Runtime embedded; README, license files and client integrations such as the Claude Code plugin) and
# dist/meshfleet.<version>.nupkg (the dotnet tool).
# Usage: scripts/release.sh [rid]   (rid defaults to this machine's, e.g. linux-x64; AOT does not cross-compile OSes)
# Needs the .NET 10 SDK, clang, zlib1g-dev and libsqlite3-dev (SQLite is linked into the executable).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

rid="${1:-}"
if [ -z "$rid" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) rid=linux-x64 ;;
    Linux-aarch64) rid=linux-arm64 ;;
    Darwin-arm64) rid=osx-arm64 ;;
    Darwin-x86_64) rid=osx-x64 ;;
    *) echo "release.sh: unknown platform $(uname -s)-$(uname -m); pass the runtime identifier, e.g. linux-x64" >&2; exit 2 ;;
  esac
fi

version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
name="meshfleet-$version-$rid"
mkdir -p "$stage/$name" dist

echo "== publish $name (Native AOT)"
dotnet publish src/Meshfleet -c Release -r "$rid" -o "$stage/publish" -v quiet
cp "$stage/publish/meshfleet" "$stage/$name/"

# One file: anything native left beside the executable would be needed at run time, so refuse to ship without it.
extra="$(find "$stage/publish" -maxdepth 1 -type f \( -name '*.so' -o -name '*.dylib' -o -name '*.dll' \) -printf '%f ')"
if [ -n "$extra" ]; then
  echo "release.sh: the publish left libraries beside the executable ($extra); install libsqlite3-dev so SQLite is linked in, and do not set MeshfleetEmbedOnnxRuntime=false" >&2
  exit 1
fi

for f in README.md LICENSE LICENSE.md LICENSE.txt NOTICE NOTICE.md CHANGELOG.md; do
  [ -f "$f" ] && cp "$f" "$stage/$name/"
done
if [ -d clients ]; then
  mkdir -p "$stage/$name/clients"
  tar -C clients --exclude=node_modules -cf - . | tar -C "$stage/$name/clients" -xf -
fi

echo "== smoke test: the executable alone"
mkdir "$stage/alone"
cp "$stage/$name/meshfleet" "$stage/alone/"
got="$("$stage/alone/meshfleet" --version)"
[ "$got" = "$version" ] || { echo "release.sh: meshfleet --version printed '$got', expected '$version'" >&2; exit 1; }

# Routing from the lone executable in an empty home: ONNX Runtime comes out of the binary, the model is built in.
mkdir -p "$stage/home"
mkfifo "$stage/smoke.in"
(cd "$stage/alone" && exec env HOME="$stage/home" XDG_CACHE_HOME="$stage/home/.cache" MESHFLEET_DB="$stage/smoke.db" MESHFLEET_SSE_PORT=0 \
  ./meshfleet <"$stage/smoke.in" >"$stage/smoke.out" 2>"$stage/smoke.log") &
smoke=$!
exec 7>"$stage/smoke.in"
answered() { # waits (up to 2 min) until the server answered request $1
  for _ in $(seq 1 240); do
    grep -q "\"id\":$1," "$stage/smoke.out" && return 0
    kill -0 "$smoke" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
# One request at a time: the server handles requests concurrently, and find_agents must see the agent registered.
printf '%s\n' \
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"release","version":"1"}}}' \
  '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"register_agent","arguments":{"agent_id":"db","description":"Writes SQL schema migrations and indexes."}}}' >&7
answered 2 || true
printf '%s\n' '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"find_agents","arguments":{"task":"Add an index on the orders table"}}}' >&7
answered 3 || true
exec 7>&-
wait "$smoke" || true
found="$(grep '"id":3,' "$stage/smoke.out" || true)"
case "$found" in
  *'"isError":true'* | "" | *'"agents":[]'*) echo "release.sh: find_agents failed in the lone executable: ${found:-no answer}; stderr: $(cat "$stage/smoke.log")" >&2; exit 1 ;;
esac

tar -C "$stage" -czf "dist/$name.tar.gz" "$name"

echo "== pack the dotnet tool"
dotnet pack src/Meshfleet -c Release -o dist -v quiet

(cd dist && sha256sum "$name.tar.gz" "meshfleet.$version.nupkg" > "SHA256SUMS-$version-$rid")
ls -l "dist/$name.tar.gz" "dist/meshfleet.$version.nupkg" "dist/SHA256SUMS-$version-$rid"
