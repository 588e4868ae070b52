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

# The modules whose packages the client imports, directly or not, each at the
# version Debian ships (go.mod requires the first three).
modules=(
  "google.golang.org/grpc v1.33.3 explicit"
  "google.golang.org/protobuf v1.28.1 explicit"
  "gopkg.in/square/go-jose.v2 v2.6.0 explicit"
  "github.com/golang/protobuf v1.5.2"
  "golang.org/x/net v0.7.0"
  "golang.org/x/sys v0.3.0"
  "golang.org/x/text v0.7.0"
  "golang.org/x/crypto v0.4.0"
  "google.golang.org/genproto v0.0.0-20200413115906-b5235f65be36"
)
mkdir -p "$dir/vendor"
: > "$dir/vendor/modules.txt"
for m in "${modules[@]}"; do
  read -r path version explicit <<<"$m"
  [ -d "$gocode/$path" ] || { echo "missing $gocode/$path (deploy/dev/install-deps.sh installs it)" >&2; exit 1; }
  mkdir -p "$(dirname "$dir/vendor/$path")"
  ln -s "$gocode/$path" "$dir/vendor/$path"
  echo "# $path $version" >> "$dir/vendor/modules.txt"
  [ -n "${explicit:-}" ] && echo "## explicit" >> "$dir/vendor/modules.txt"
done

export GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GOCACHE="$dir/.gocache" CGO_ENABLED=0
cd "$dir"
go vet ./...
go build -o bin/example ./example
go test -c -o bin/tokend.test ./tokend
echo "ok: client/go vets and builds offline against Debian's Go packages"
