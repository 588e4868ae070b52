#!/usr/bin/env bash
# Offline tests of the Helm chart with the real helm binary.
# Usage: helm_chart_test.sh <tools dir> <work dir> <check>
#   lint       helm lint --strict, default values and ci/all-on-values.yaml
#   template   helm template both ways; the chart's rules hold (chart_rules.mjs);
#              NOTES.txt renders (helm install --dry-run=client)
#   objects    every rendered object validates against the Kubernetes,
#              cert-manager and Prometheus Operator schemas, unknown fields
#              rejected (validate_objects.mjs), and the validator rejects
#              testdata/invalid-objects.yaml
#   schema     values.schema.json rejects wrong types and unknown keys
#   checksum   a config change changes the pods' checksum annotation (so an
#              upgrade rolls them); other changes do not
set -euo pipefail
tools="$(cd "$1" && pwd)" work="$2" check="$3"
here="$(cd "$(dirname "$0")" && pwd)"
chart="$(cd "$here/../../deploy/helm/tokend" && pwd)"
helm="$tools/bin/helm"
all_on="$chart/ci/all-on-values.yaml"
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

render() {  # <out> [helm args...]
  local out="$1"; shift
  "$helm" template rel "$chart" --namespace tokend "$@" > "$out"
}

# The pod template's annotation <key> in a rendered manifest.
annotation() {  # <manifest> <key>
  node -e '
    const YAML = require(process.argv[1] + "/node_modules/yaml");
    const d = YAML.parseAllDocuments(require("fs").readFileSync(process.argv[2], "utf8"))
      .map((x) => x.toJS()).find((o) => o && o.kind === "Deployment");
    console.log(d.spec.template.metadata.annotations[process.argv[3]] ?? "");' "$tools" "$1" "$2"
}

case "$check" in
lint)
  "$helm" lint --strict "$chart"
  "$helm" lint --strict "$chart" -f "$all_on"
  ;;
template)
  render "$work/default.yaml"
  render "$work/all-on.yaml" -f "$all_on"
  echo "default: $(grep -c '^kind:' "$work/default.yaml") objects; all-on: $(grep -c '^kind:' "$work/all-on.yaml") objects"
  node "$here/chart_rules.mjs" "$tools" "$work/default.yaml" default
  node "$here/chart_rules.mjs" "$tools" "$work/all-on.yaml" all-on
  # NOTES.txt renders (an offline install dry run) and names what to create.
  for values in default all-on; do
    args=()
    [ "$values" = all-on ] && args=(-f "$all_on")
    "$helm" install tokend "$chart" --namespace tokend --dry-run=client "${args[@]}" > "$work/install-$values.txt"
    sed -n '/^NOTES:/,$p' "$work/install-$values.txt" > "$work/notes-$values.txt"
    grep -q 'tokend.tokend.svc:8443' "$work/notes-$values.txt" &&
      grep -q 'tokend-signing-keys' "$work/notes-$values.txt" ||
      { cat "$work/install-$values.txt"; fail "NOTES.txt ($values) lacks the address or the Secrets"; }
    echo "ok: NOTES.txt ($values): $(wc -l < "$work/notes-$values.txt") lines"
  done
  # Each tunable reaches tokend's file under its own key (tokend itself
  # refuses an unknown key: helm_rendered_config_runs_real_tokend).
  render "$work/tunables.yaml" --set config.revocationMaxStaleness=20s \
    --set config.tokens.refreshRetryWindow=0s --set config.connections.maxConnectionAge=1h \
    --set config.connections.maxConnectionAgeGrace=10s \
    --set config.connections.handshakeTimeout=3s --set config.limits.maxInFlightPerCaller=32 \
    --set config.limits.maxConcurrentStreams=100 \
    --set config.limits.subjectRevocationsPerMinute=0 \
    --set config.limits.introspectCacheBytes=1048576 --set 'config.callers[0].id=spiffe://a/b' \
    --set 'config.callers[0].introspectOwnAudiencesOnly=true' --set config.reflection=true
  for line in 'revocation_max_staleness: 20s' 'refresh_retry_window: 0s' \
    'max_connection_age: 1h' 'max_connection_age_grace: 10s' 'handshake_timeout: 3s' \
    'max_in_flight_per_caller: 32' 'max_concurrent_streams: 100' \
    'subject_revocations_per_minute: 0' 'introspect_cache_bytes: 1048576' \
    'introspect_own_audiences_only: true' 'reflection: true'; do
    grep -qF "$line" "$work/tunables.yaml" || fail "rendered config lacks '$line'"
  done
  echo "ok: every tunable reaches the config file"
  # Managed keys: the keys section names the KEK files in the mounted KEK
  # Secret, no signing_keys, no signing-keys Secret; the migration Job's
  # variant names no file that may not exist yet.
  render "$work/managed.yaml" --set managedKeys.enabled=true --set managedKeys.kekSecret=tokend-kek \
    --set 'managedKeys.kekFiles={kek-new,kek-old}' --set managedKeys.rotateEvery=240h
  for line in 'managed: true' 'rotate_every: 240h' 'publish_ahead: 1h' \
    '- "/etc/tokend/kek/kek-new"' '- "/etc/tokend/kek/kek-old"' 'secretName: tokend-kek' \
    'mountPath: /etc/tokend/kek'; do
    grep -qF -- "$line" "$work/managed.yaml" || fail "managed keys: rendered chart lacks '$line'"
  done
  ! grep -q 'signing_keys:\|rel-tokend-signing-keys' "$work/managed.yaml" ||
    fail "managed keys: the chart still names signing_keys or their Secret"
  if render "$work/managed-no-secret.yaml" --set managedKeys.enabled=true 2> "$work/err"; then
    fail "managed keys without managedKeys.kekSecret: accepted"
  fi
  grep -qF "managedKeys.kekSecret is required" "$work/err" || { cat "$work/err"; fail "no message"; }
  echo "ok: managed keys render the KEK Secret and the keys section"
  ;;
objects)
  render "$work/default.yaml"
  render "$work/all-on.yaml" -f "$all_on"
  node "$here/validate_objects.mjs" "$tools" "$work/default.yaml" "$work/all-on.yaml"
  # The validator itself catches each kind of mistake it is relied on for.
  if node "$here/validate_objects.mjs" "$tools" "$here/testdata/invalid-objects.yaml" \
      > "$work/invalid.out" 2>&1; then
    cat "$work/invalid.out"; fail "the validator accepted testdata/invalid-objects.yaml"
  fi
  for obj in Pod/wrong-type Deployment/unknown-field Certificate/missing-required \
             ServiceMonitor/unknown-crd-field Gadget/unknown-kind; do
    grep -q "^FAIL .*$obj" "$work/invalid.out" || { cat "$work/invalid.out"; fail "$obj not rejected"; }
  done
  echo "ok: the validator rejects each object of testdata/invalid-objects.yaml"
  ;;
schema)
  expect_rejected() {  # <what> <expected message part> <helm args...>
    local what="$1" msg="$2"; shift 2
    if render "$work/out.yaml" "$@" 2> "$work/err"; then
      fail "$what: accepted"
    fi
    grep -qF -- "$msg" "$work/err" || { cat "$work/err"; fail "$what: message lacks \"$msg\""; }
    echo "ok: $what rejected: $(grep -F -- "$msg" "$work/err" | head -1 | sed 's/^ *//')"
  }
  expect_rejected "wrong type (replicaCount: \"three\")" "/replicaCount" --set-string replicaCount=three
  expect_rejected "wrong type (a duration as a number)" "/config/tokens/accessTtl" --set config.tokens.accessTtl=900
  expect_rejected "wrong type (boolean as a string)" "/autoscaling/enabled" --set-string autoscaling.enabled=yes
  expect_rejected "unknown key (typo config.tokens.acessTtl)" "acessTtl" --set config.tokens.acessTtl=5m
  expect_rejected "unknown top-level key (replicas)" "replicas" --set replicas=3
  expect_rejected "unknown caller key (snake_case max_ttl)" "max_ttl" \
    --set 'config.callers[0].id=a' --set 'config.callers[0].max_ttl=1h'
  expect_rejected "unknown RPC name" "/config/callers/0/rpcs/0" \
    --set 'config.callers[0].id=a' --set 'config.callers[0].rpcs[0]=Isue'
  expect_rejected "unknown signing algorithm" "/signingKeys/keys/0/alg" --set 'signingKeys.keys[0].alg=HS256'
  expect_rejected "a malformed duration" "/config/shutdownGrace" --set config.shutdownGrace=10sec
  expect_rejected "overriding the DSN variable" "/extraEnv/0/name" \
    --set 'extraEnv[0].name=TOKEND_DATABASE_DSN' --set 'extraEnv[0].value=x'
  # And a typo in a values file, as users write them.
  printf 'service:\n  headles:\n    enabled: true\n' > "$work/typo.yaml"
  expect_rejected "unknown key in a values file (service.headles)" "headles" -f "$work/typo.yaml"
  render "$work/ok.yaml" --set config.tokens.accessTtl=5m --set 'config.callers[0].id=a' \
    --set 'config.callers[0].maxTtl=1h30m' || fail "valid values rejected"
  echo "ok: valid values accepted"
  ;;
checksum)
  render "$work/base.yaml" --set database.dsn=postgresql://a@db/tokend
  render "$work/same.yaml" --set database.dsn=postgresql://a@db/tokend
  render "$work/config.yaml" --set database.dsn=postgresql://a@db/tokend --set config.tokens.accessTtl=5m
  render "$work/callers.yaml" --set database.dsn=postgresql://a@db/tokend --set 'config.callers[0].id=spiffe://x/y'
  render "$work/replicas.yaml" --set database.dsn=postgresql://a@db/tokend --set replicaCount=5
  render "$work/dsn.yaml" --set database.dsn=postgresql://b@db/tokend
  base="$(annotation "$work/base.yaml" checksum/config)"
  [[ "$base" =~ ^[0-9a-f]{64}$ ]] || fail "no checksum/config annotation"
  [ "$(annotation "$work/same.yaml" checksum/config)" = "$base" ] || fail "same values, different checksum"
  echo "ok: same values: same checksum/config ($base)"
  for changed in config callers; do
    c="$(annotation "$work/$changed.yaml" checksum/config)"
    [ "$c" != "$base" ] || fail "$changed changed but checksum/config did not"
    echo "ok: $changed change: checksum/config $base -> $c (the pods roll)"
  done
  [ "$(annotation "$work/replicas.yaml" checksum/config)" = "$base" ] ||
    fail "replicaCount changed the config checksum"
  echo "ok: replicaCount change: checksum/config unchanged (no needless roll)"
  [ "$(annotation "$work/dsn.yaml" checksum/database)" != "$(annotation "$work/base.yaml" checksum/database)" ] ||
    fail "a new chart-made DSN did not change checksum/database"
  echo "ok: DSN change: checksum/database changes"
  # The annotation is on the pod template, so the Deployment's template differs
  # and Kubernetes rolls the pods: compare the templates as a whole, too.
  node -e '
    const YAML = require(process.argv[1] + "/node_modules/yaml");
    const fs = require("fs");
    const tpl = (f) => JSON.stringify(YAML.parseAllDocuments(fs.readFileSync(f, "utf8"))
      .map((x) => x.toJS()).find((o) => o && o.kind === "Deployment").spec.template);
    if (tpl(process.argv[2]) === tpl(process.argv[3])) { console.error("FAIL: same pod template"); process.exit(1); }
    console.log("ok: the Deployment pod template differs after a config change");' \
    "$tools" "$work/base.yaml" "$work/config.yaml"
  ;;
*)
  fail "unknown check $check"
  ;;
esac
echo "PASS helm_chart_test $check"
