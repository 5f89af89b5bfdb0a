#!/usr/bin/env bash
# Builds FerretDB v1.24.2 from the Go module proxy (cached) and starts it on 127.0.0.1 with its
# SQLite backend: a real server speaking the MongoDB wire protocol for the MongoDB test suites.
#   scripts/ferretdb.sh build            build (or reuse) the binary, print its path
#   scripts/ferretdb.sh start DIR PORT   start it in the background, data under DIR; prints the PID
set -euo pipefail
VERSION=v1.24.2
CACHE=${PALISADE_TOOLS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/palisade-tools}
BIN="$CACHE/ferretdb-$VERSION"

build() {
  if [ -x "$BIN" ]; then echo "$BIN"; return; fi
  command -v go >/dev/null || { echo "ferretdb.sh: Go is needed to build FerretDB" >&2; exit 1; }
  mkdir -p "$CACHE"
  local mod src
  go mod download -x "github.com/FerretDB/FerretDB@$VERSION" >/dev/null 2>&1 || go mod download "github.com/FerretDB/FerretDB@$VERSION"
  mod=$(go env GOMODCACHE)/github.com/\!ferret\!d\!b/\!ferret\!d\!b@$VERSION
  src=$(mktemp -d)
  cp -r "$mod/." "$src/"
  chmod -R u+w "$src"
  # The module proxy copy lacks the generated version file that the binary insists on at start-up.
  echo "$VERSION" > "$src/build/version/version.txt"
  (cd "$src" && go build -trimpath -o "$BIN.tmp" ./cmd/ferretdb)
  mv "$BIN.tmp" "$BIN"
  rm -rf "$src"
  echo "$BIN"
}

case "${1:-}" in
  build) build ;;
  start)
    dir=${2:?data directory}; port=${3:?port}
    bin=$(build)
    mkdir -p "$dir"
    debug_port=$((port + 1))
    "$bin" --handler=sqlite --sqlite-url="file:$dir/" --listen-addr="127.0.0.1:$port" \
      --debug-addr="127.0.0.1:$debug_port" --telemetry=disable --log-level=error >"$dir/ferretdb.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$pid"; exit 0; fi
      kill -0 "$pid" 2>/dev/null || { cat "$dir/ferretdb.log" >&2; exit 1; }
      sleep 0.1
    done
    echo "ferretdb.sh: FerretDB did not listen on 127.0.0.1:$port" >&2; kill "$pid"; exit 1
    ;;
  *) echo "usage: $0 build | start DIR PORT" >&2; exit 2 ;;
esac
