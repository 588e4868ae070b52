#!/usr/bin/env bash
# Compiles client/java for the java_client_test with javac from Debian's jars
# (libgrpc-java, libprotobuf-java, libnetty-java, ...; no Maven, nothing
# downloaded): the generated code, the helper, the example and the JUnit 4
# tests into <dir>/classes, and writes <dir>/classpath.args, a java @argfile
# with the class path and library path that run them. Safe to run
# concurrently (flock).
#
# TLS: gRPC needs ALPN, and Debian's netty 4.1.48 has its JDK ALPN classes
# taken out ("JDK provider does not support ALPN protocol"), so TLS goes
# through OpenSSL instead: Debian's netty-tcnative jar and its JNI library,
# copied here under the file name netty looks for (libnetty_tcnative.so;
# Debian ships libnetty-tcnative.so, and the library refuses to run when
# loaded through a link under another name).
# Usage: java_client_setup.sh <dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
src="$root/client/java/src"
dir="$(mkdir -p "$1" && cd "$1" && pwd)"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

command -v javac >/dev/null || { echo "javac not found (deploy/dev/install-deps.sh installs it)" >&2; exit 1; }
jars=(grpc-api grpc-core grpc-context grpc-netty grpc-protobuf grpc-protobuf-lite grpc-stub
  protobuf guava gson perfmark-api geronimo-annotation-1.3-spec junit4 hamcrest-core
  netty-buffer netty-codec netty-codec-http netty-codec-http2 netty-codec-socks netty-common
  netty-handler netty-handler-proxy netty-resolver netty-transport netty-tcnative)
cp=""
for j in "${jars[@]}"; do
  f=/usr/share/java/$j.jar
  [ -f "$f" ] || { echo "missing $f (deploy/dev/install-deps.sh installs it)" >&2; exit 1; }
  cp="$cp:$f"
done
cp="${cp#:}"
rm -rf "$dir/classes"
mkdir -p "$dir/classes"
# The generated code's @javax.annotation.Generated comes from geronimo's
# annotation jar (the JDK has none since Java 11).
javac -nowarn -Xlint:none -d "$dir/classes" -cp "$cp" $(find "$src" -name '*.java' | sort) 2>&1 |
  grep -v '^Note: ' || true
[ -f "$dir/classes/dev/tokend/client/TokendClientTest.class" ] || { echo "javac failed" >&2; exit 1; }
jni=/usr/lib/x86_64-linux-gnu/jni/libnetty-tcnative.so
[ -f "$jni" ] || jni="$(dpkg -L libnetty-tcnative-jni 2>/dev/null | grep '/libnetty-tcnative\.so$' | head -1)"
[ -n "$jni" ] && [ -f "$jni" ] || { echo "missing libnetty-tcnative.so (libnetty-tcnative-jni)" >&2; exit 1; }
mkdir -p "$dir/native"
cp "$jni" "$dir/native/libnetty_tcnative.so"
echo "-Djava.library.path=$dir/native -cp $dir/classes:$cp" > "$dir/classpath.args"
echo "ok: client/java compiles with Debian's jars"
