#!/usr/bin/env bash
# Makes <dir> a buildable copy of client/go for the go_client_test, offline:
# the folder's files, and a vendor/ folder of links into Debian's Go library
# packages (/usr/share/gocode/src, from deploy/dev/install-deps.sh) with the
# vendor/modules.txt that `go build -mod=vendor` checks against go.mod. Then
# vets and builds what the test runs: <dir>/bin/example and <dir>/bin/tokend.test
# (the tests). No module proxy is asked (GOPROXY=off). Safe to run
# concurrently (flock).
# Usage: go_client_setup.sh <dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
src="$root/client/go"
gocode=/usr/share/gocode/src
dir="$(mkdir -p "$1" && cd "$1" && pwd)"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

command -v go >/dev/null || { echo "go not found (deploy/dev/install-deps.sh installs golang-go)" >&2; exit 1; }
find "$dir" -mindepth 1 -maxdepth 1 ! -name .lock ! -name .gocache -exec rm -rf {} +
(cd "$src" && tar -cf - .) | (cd "$dir" && tar -xf -)

# The modules whose packages the client imports, directly or not. The three
# that go.mod requires are listed in vendor/modules.txt, at the versions
# Debian ships, as -mod=vendor checks; the others (gRPC's and go-jose's own
# dependencies) need only be present under vendor/.
modules=(
  "google.golang.org/grpc v1.33.3"
  "google.golang.org/protobuf v1.28.1"
  "gopkg.in/square/go-jose.v2 v2.6.0"
  "github.com/golang/protobuf"
  "golang.org/x/net"
  "golang.org/x/sys"
  "golang.org/x/text"
  "golang.org/x/crypto"
  "google.golang.org/genproto"
)
mkdir -p "$dir/vendor"
: > "$dir/vendor/modules.txt"
for m in "${modules[@]}"; do
  read -r path version <<<"$m"
  [ -d "$gocode/$path" ] || { echo "missing $gocode/$path (deploy/dev/install-deps.sh installs it)" >&2; exit 1; }
  mkdir -p "$(dirname "$dir/vendor/$path")"
  ln -s "$gocode/$path" "$dir/vendor/$path"
  if [ -n "${version:-}" ]; then
    printf '# %s %s\n## explicit\n' "$path" "$version" >> "$dir/vendor/modules.txt"
  fi
done

export GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GOCACHE="$dir/.gocache" CGO_ENABLED=0
cd "$dir"
go vet ./...
go build -o bin/example ./example
go test -c -o bin/tokend.test ./tokend
echo "ok: client/go vets and builds offline against Debian's Go packages"
