# Shell functions for a private PostgreSQL 15 cluster owned by the dev setup.
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# 'postgres' user, in a data directory that user owns.
pg_bin=/usr/lib/postgresql/15/bin

pg_datadir() {  # <state dir>
  if [ "$(id -u)" -eq 0 ]; then
    echo "/var/tmp/tokend-dev-pg/$(echo "$1" | md5sum | cut -c1-12)"
  else
    echo "$1/pg"
  fi
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {  # <state dir> <port>
  local data; data="$(pg_datadir "$1")"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$(dirname "$data")"
    pg_as_owner "$pg_bin/initdb" -D "$data" -U postgres -A trust -E UTF8 >/dev/null
  fi
  if ! pg_as_owner "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    pg_as_owner "$pg_bin/pg_ctl" -D "$data" -w -l "$data/server.log" \
      -o "-p $2 -c listen_addresses=127.0.0.1 -k $data" start >/dev/null
  fi
  echo "PostgreSQL data directory: $data (port $2)"
}

pg_psql() {  # <state dir> <port> psql args...
  local data; data="$(pg_datadir "$1")"; local port="$2"; shift 2
  psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

pg_stop() {  # <state dir>
  local data; data="$(pg_datadir "$1")"
  if [ -f "$data/PG_VERSION" ]; then
    pg_as_owner "$pg_bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
  fi
}
