#!/usr/bin/env bash
# Installs the Debian 12 packages tokend needs to build, test and run, when
# they are missing. Idempotent; uses sudo when not root.
set -euo pipefail

packages=(
  cmake ninja-build pkg-config g++ ccache openssl ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libssl-dev libpqxx-dev libyaml-cpp-dev nlohmann-json3-dev
  prometheus-cpp-dev libmicrohttpd-dev googletest libgtest-dev libgmock-dev
  libbenchmark-dev clang-format-14 postgresql-15 postgresql-client-15 curl mmdebstrap buildah podman runc
)
# The Python client (client/python) and its ctest: Debian's python3 modules.
packages+=(python3 python3-grpcio python3-protobuf python3-jwt python3-cryptography)
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
# The libFuzzer targets (tests/fuzz/run.sh): clang with libFuzzer and its sanitizer runtimes.
packages+=(clang-14 libfuzzer-14-dev libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# The postgresql package would start a system-wide cluster; tokend uses its own.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
