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
# The Go client (client/go) and its ctest, offline: Debian's Go 1.19 and Go
# library packages (golang-github-golang-protobuf-1-5-dev named, as apt would
# otherwise pick the 1.3 API, which cannot marshal protoc-gen-go 1.28 code),
# and the code generators of client/generate.sh.
packages+=(golang-go golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
  golang-google-grpc-dev golang-gopkg-square-go-jose.v2-dev protoc-gen-go protoc-gen-go-grpc)
# The Ruby client (client/ruby) and its ctest: Debian's ruby and gems.
packages+=(ruby ruby-grpc ruby-google-protobuf ruby-jwt)
# The Java client (client/java) and its ctest: javac and Debian's jars (no
# Maven), and the gRPC code generator of client/generate.sh. TLS goes through
# netty-tcnative's OpenSSL: Debian's netty has no JDK ALPN.
packages+=(default-jdk-headless libgrpc-java libprotobuf-java libnetty-java libgoogle-gson-java
  libperfmark-java libgeronimo-annotation-1.3-spec-java junit4 protobuf-compiler-grpc-java-plugin
  libnetty-tcnative-java libnetty-tcnative-jni)
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
