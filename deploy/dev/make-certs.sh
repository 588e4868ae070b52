#!/usr/bin/env bash
# Makes a development PKI in <dir>: a CA, a server certificate for localhost
# and 127.0.0.1, a client certificate for tokenctl whose identity is the URI
# SAN spiffe://tokend.dev/tokenctl, and an ES256 signing key. Keeps existing files.
set -euo pipefail
dir="$1"
mkdir -p "$dir"
cd "$dir"
[ -f signing-es256.pem ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signing-es256.pem
[ -f ca.crt ] && exit 0
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
  -subj "/CN=tokend dev CA" -keyout ca.key -out ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() {  # <name> <subject> <extensions>
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
issue tokenctl "/CN=tokenctl" "subjectAltName=URI:spiffe://tokend.dev/tokenctl
extendedKeyUsage=clientAuth"
chmod 600 ./*.key signing-es256.pem
