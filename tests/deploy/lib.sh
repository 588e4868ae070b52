# Shell helpers of the deploy tests that run the real binaries (sourced).
# Expects: $root (the repository), $work (this test's directory), $tools.
source "$root/deploy/dev/pg.sh"

# GET <url>: prints "<status> <cache-control or ->" then the body.
http_get() {
  node -e '
    fetch(process.argv[1]).then(async (r) => {
      console.log(r.status, r.headers.get("cache-control") ?? "-");
      console.log(await r.text());
    }).catch((e) => { console.log("000 -"); console.log(e.message); });' "$1"
}

# A private PostgreSQL with a database "tokend"; sets pg_port and dsn_local.
# Stopped and removed by deploy_cleanup.
start_postgres() {
  pg_start_on_free_port "$work/pg-state"
  pg_psql "$work/pg-state" "$pg_port" -q -c "CREATE DATABASE tokend" >/dev/null
  dsn_local="postgresql://postgres@127.0.0.1:$pg_port/tokend"
}

server_pid=""
deploy_cleanup() {
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
  server_pid=""
  if [ -n "${pg_port:-}" ]; then
    pg_stop "$work/pg-state"
    rm -rf "$(pg_datadir "$work/pg-state")"
  fi
}

# Replaces the calling (sub)shell with the command and environment that
# materialize_pod.mjs wrote to <pod root>, the image's /usr/local/bin/<name>
# being <binary>: call it as `( run_pod ... )` or `run_pod ... &`.
# Extra arguments are appended to the container's.
run_pod() {  # <pod root> <binary> [extra args...]
  local pod_root="$1" binary="$2" argv env_list
  shift 2
  mapfile -d '' argv < "$pod_root/argv"
  mapfile -d '' env_list < "$pod_root/env"
  if [ "${argv[0]}" != "/usr/local/bin/$(basename "$binary")" ]; then
    echo "FAIL: the container runs ${argv[0]}, not /usr/local/bin/$(basename "$binary")" >&2
    exit 1
  fi
  exec env -i "${env_list[@]}" "$binary" "${argv[@]:1}" "$@"
}

# Lays out <Kind>/<name>'s container <container> under <pod root>.
materialize() {  # <manifest> <Kind> <name> <container> <pod root> [secrets dir]
  node "$here/materialize_pod.mjs" "$tools" "$1" "$2" "$3" "$4" "$5" "${6:-$work/no-secrets}"
}

# Runs the migration Job's container to completion.
run_migration_job() {  # <pod root> <tokend>
  ( run_pod "$1" "$2" ) 2> "$work/migrate.log" || { cat "$work/migrate.log"; exit 1; }
  grep -q 'database migrated' "$work/migrate.log" || { cat "$work/migrate.log"; exit 1; }
  echo "ok: tokend migrate exited 0: $(grep -o 'msg="database migrated".*' "$work/migrate.log")"
}

# Starts the Deployment's container in the background (server_pid) and waits
# for "serving".
start_server_pod() {  # <pod root> <tokend>
  run_pod "$1" "$2" 2> "$work/serve.log" &
  server_pid=$!
  for _ in $(seq 1 150); do
    grep -q 'msg=serving' "$work/serve.log" && break
    kill -0 "$server_pid" 2>/dev/null || { echo "FAIL: tokend exited"; cat "$work/serve.log"; exit 1; }
    sleep 0.1
  done
  grep -q 'msg=serving' "$work/serve.log" || { echo "FAIL: tokend did not start"; cat "$work/serve.log"; exit 1; }
  echo "ok: serving ($(grep -o 'api_port=[0-9]* ops_port=[0-9]*' "$work/serve.log" | head -1))"
}

# SIGTERM: tokend drains and exits 0.
stop_server_pod() {
  local rc=0
  kill -TERM "$server_pid"
  wait "$server_pid" || rc=$?
  server_pid=""
  [ "$rc" -eq 0 ] || { echo "FAIL: tokend exited $rc"; tail -5 "$work/serve.log"; exit 1; }
  echo "ok: SIGTERM: tokend drained and exited 0"
}
