#!/usr/bin/env bash
# The "Deploy with Helm" instructions work as written: runs the shell blocks
# of README.md (its "Deploy with Helm" section) marked `<!-- tested: NAME -->`, verbatim,
# with bash, in a scratch directory, where `kubectl` and `helm` stand in for a
# cluster:
#   kubectl create secret ...   the real kubectl with --dry-run=client -o yaml,
#                               the Secret appended to the "cluster" manifest
#   kubectl apply -f -          the objects appended to the "cluster" manifest
#   kubectl create namespace, kubectl rollout status: recorded only
#   helm install NAME CHART ... the real `helm template` with the same
#                               arguments (the release's objects)
#   helm test NAME              recorded; the test pod is run below
# Then:
#   without-cert-manager: every object validates offline; the migration Job,
#     the Deployment's container and the `helm test` pod run for real (as in
#     rendered_config_test.sh) with the Secrets the instructions made, and the
#     login service's certificate from the instructions does an
#     Issue/Introspect round trip. Two things differ from a cluster and are
#     set here: the DSN points at a private PostgreSQL, and the ports are free
#     ones (an extra values file); the helm test pod's --target host, a
#     Service name, becomes 127.0.0.1 with --server-name keeping the name.
#   with-cert-manager: every object (the Issuers and Certificates of the
#     instructions, the release) validates offline, and the release's
#     Certificate writes the Secret its pods mount, from the Issuer made above.
# Usage: readme_test.sh <tools dir> <tokend> <tokenctl> <work dir>
set -euo pipefail
tools="$(cd "$1" && pwd)" tokend="$(realpath "$2")" tokenctl="$(realpath "$3")" work="$4"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
readme="$root/README.md"
rm -rf "$work"
mkdir -p "$work"
source "$here/lib.sh"
trap deploy_cleanup EXIT

# The blocks marked <!-- tested: NAME -->, concatenated.
blocks() {  # <name>
  awk -v want="<!-- tested: $1 -->" '
    $0 == want { armed = 1; next }
    armed && /^```sh$/ { inside = 1; armed = 0; next }
    inside && /^```$/ { inside = 0; print ""; next }
    inside { print; next }
    $0 != "" { armed = 0 }' "$readme"
}

# Runs the blocks <names...> in <dir>, with kubectl and helm as described.
run_instructions() {  # <dir> <names...>
  local dir="$1"; shift
  mkdir -p "$dir"
  ln -sfn "$root/deploy" "$dir/deploy"
  {
    cat <<'SHIMS'
set -euo pipefail
kubectl() {
  local ns=default args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -n|--namespace) ns="$2"; shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  case "${args[0]} ${args[1]:-}" in
    "create namespace") echo "kubectl: namespace ${args[2]}" >> "$TEST_LOG" ;;
    "create secret")
      { echo "---"; "$TEST_TOOLS/bin/kubectl" create "${args[@]:1}" -n "$ns" --dry-run=client -o yaml; } >> "$TEST_CLUSTER" ;;
    "apply -f")
      [ "${args[2]}" = "-" ] || { echo "kubectl shim: apply -f - only" >&2; return 1; }
      { echo "---"; cat; } >> "$TEST_CLUSTER" ;;
    "rollout status") echo "kubectl: rollout status ${args[2]}" >> "$TEST_LOG" ;;
    *) echo "kubectl shim: unexpected: ${args[*]}" >&2; return 1 ;;
  esac
}
helm() {
  case "$1" in
    install) shift; "$TEST_TOOLS/bin/helm" template "$@" ${TEST_HELM_EXTRA:-} > "$TEST_RELEASE" ;;
    test) echo "helm: test $2" >> "$TEST_LOG" ;;
    *) echo "helm shim: unexpected: $*" >&2; return 1 ;;
  esac
}
SHIMS
    for name in "$@"; do
      echo "# ---- README block(s): $name"
      blocks "$name"
    done
  } > "$dir/instructions.sh"
  [ "$(grep -c '^# ---- README' "$dir/instructions.sh")" -eq $# ] || exit 1
  for name in "$@"; do
    [ -n "$(blocks "$name")" ] || { echo "FAIL: no README block tested: $name"; exit 1; }
  done
  (cd "$dir" && TEST_TOOLS="$tools" TEST_CLUSTER="$dir/cluster.yaml" TEST_RELEASE="$dir/release.yaml" \
     TEST_LOG="$dir/log" bash instructions.sh > "$dir/instructions.out" 2>&1) ||
    { cat "$dir/instructions.out"; echo "FAIL: the instructions failed ($dir/instructions.sh)"; exit 1; }
  echo "ok: ran README blocks [$*]: $(grep -c . "$dir/instructions.sh") lines; $(grep -c '^kind:' "$dir/cluster.yaml") objects made with kubectl, $(grep -c '^kind:' "$dir/release.yaml") in the release; $(tr '\n' ';' < "$dir/log")"
}

echo "== with cert-manager"
run_instructions "$work/cm" common with-cert-manager
node "$here/validate_objects.mjs" "$tools" "$work/cm/cluster.yaml" "$work/cm/release.yaml" | tail -1
node -e '
  const YAML = require(process.argv[1] + "/node_modules/yaml");
  const fs = require("fs");
  const all = (f) => YAML.parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean);
  const cluster = all(process.argv[2]), release = all(process.argv[3]);
  const dep = release.find((o) => o.kind === "Deployment");
  const tlsSecret = dep.spec.template.spec.volumes.find((v) => v.name === "tls").secret.secretName;
  const cert = release.find((o) => o.kind === "Certificate" && o.spec.secretName === tlsSecret);
  const issuer = cluster.find((o) => o.kind === "Issuer" && o.metadata.name === cert?.spec.issuerRef.name);
  if (!cert || !issuer || !issuer.spec.ca) { console.error("FAIL: no Certificate for", tlsSecret, "from a CA Issuer"); process.exit(1); }
  const test = release.find((o) => o.kind === "Pod");
  const testSecret = test.spec.volumes[0].secret.secretName;
  if (!release.some((o) => o.kind === "Certificate" && o.spec.secretName === testSecret)) {
    console.error("FAIL: nothing issues the helm test client Secret", testSecret); process.exit(1);
  }
  console.log(`ok: Certificate ${cert.metadata.name} -> Secret ${tlsSecret} (mounted by the pods), Issuer ${issuer.metadata.name}; helm test Secret ${testSecret} issued too`);' \
  "$tools" "$work/cm/cluster.yaml" "$work/cm/release.yaml"

echo "== without cert-manager, then the real tokend"
start_postgres
api_port="$(free_loopback_port)"
ops_port="$(free_loopback_port)"
printf 'ports:\n  api: %s\n  ops: %s\n' "$api_port" "$ops_port" > "$work/ports.yaml"
TEST_HELM_EXTRA="-f $work/ports.yaml" run_instructions "$work/plain" common without-cert-manager
node "$here/validate_objects.mjs" "$tools" "$work/plain/cluster.yaml" "$work/plain/release.yaml" | tail -1
# The DSN: the instructions name the cluster's PostgreSQL; use the local one.
node -e '
  const YAML = require(process.argv[1] + "/node_modules/yaml");
  const fs = require("fs");
  const docs = YAML.parseAllDocuments(fs.readFileSync(process.argv[2], "utf8")).map((d) => d.toJS()).filter(Boolean);
  const s = docs.find((o) => o.kind === "Secret" && o.metadata.name === "tokend-database");
  if (!s) { console.error("FAIL: the instructions made no tokend-database Secret"); process.exit(1); }
  s.data.dsn = Buffer.from(process.argv[3]).toString("base64");
  fs.writeFileSync(process.argv[2], docs.map((d) => "---\n" + YAML.stringify(d)).join(""));' \
  "$tools" "$work/plain/cluster.yaml" "$dsn_local"
cat "$work/plain/cluster.yaml" "$work/plain/release.yaml" > "$work/all.yaml"

materialize "$work/all.yaml" Job tokend-migrate migrate "$work/job"
run_migration_job "$work/job" "$tokend"
materialize "$work/all.yaml" Deployment tokend tokend "$work/pod"
start_server_pod "$work/pod" "$tokend"
res="$(http_get "http://127.0.0.1:$ops_port/readyz")"
[ "$(head -1 <<<"$res" | cut -d' ' -f1)" = 200 ] || { echo "FAIL: /readyz: $res"; exit 1; }
echo "ok: /readyz 200"

# The login service, with the certificate the instructions issued for it.
c="$work/plain"
ctl=("$tokenctl" --target "127.0.0.1:$api_port" --server-name tokend.tokend.svc
     --ca "$c/ca.crt" --cert "$c/login.crt" --key "$c/login.key")
issued="$("${ctl[@]}" issue --subject alice --audience api://orders --scope orders:read)"
access="$(sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' <<<"$issued")"
[ -n "$access" ] || { echo "FAIL: issue: $issued"; exit 1; }
introspected="$("${ctl[@]}" introspect --token "$access")"
grep -q '"active": *true' <<<"$introspected" &&
  grep -q '"issuer": *"https://tokens.example.com"' <<<"$introspected" &&
  grep -q '"client_id": *"spiffe://example.com/login"' <<<"$introspected" ||
  { echo "FAIL: introspect: $introspected"; exit 1; }
echo "ok: login.crt issues and introspects (client_id spiffe://example.com/login, issuer from tokend-values.yaml)"

# `helm test`: the test pod's command, its Service host made local.
materialize "$work/all.yaml" Pod tokend-test tokenctl "$work/test-pod"
mapfile -d '' argv < "$work/test-pod/argv"
for i in "${!argv[@]}"; do
  case "${argv[$i]}" in
    --target=tokend:*) argv[$i]="--target=127.0.0.1:$api_port" ;;
  esac
done
printf '%s\0' "${argv[@]}" --server-name=tokend > "$work/test-pod/argv"
out="$( ( run_pod "$work/test-pod" "$tokenctl" ) 2>&1 )" || { echo "FAIL: helm test pod: $out"; exit 1; }
echo "ok: the helm test pod's tokenctl with the tokend-test-client Secret: $out"
stop_server_pod
echo "PASS readme_test"
