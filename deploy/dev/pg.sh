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
    # Only these two: a recursive chown of the parent would walk (and race
    # with) every other cluster there, such as a parallel test's.
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$(dirname "$data")" "$data" || return 1; fi
    pg_as_owner "$pg_bin/initdb" -D "$data" -U postgres -A trust -E UTF8 >/dev/null || return 1
  fi
  # The explicit returns matter: a caller's `pg_start ... && ...` turns off set -e here.
  if ! pg_as_owner "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    pg_as_owner "$pg_bin/pg_ctl" -D "$data" -w -l "$data/server.log" \
      -o "-p $2 -c listen_addresses=127.0.0.1 -k $data" start >/dev/null || return 1
  fi
  echo "PostgreSQL data directory: $data (port $2)"
}

# A loopback port nobody listens on, below the kernel's ephemeral range so that
# no outgoing connection of a parallel test can hold it by the time we bind.
free_loopback_port() {
  local low; low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  local span=$((low - 15000)) port
  [ "$span" -ge 1000 ] || span=20000  # no room below it: 15000-34999
  while true; do
    port=$((15000 + RANDOM % span))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# Starts the cluster on a free port and sets pg_port. Another process may bind
# the port between the probe and the server's bind, so a failed start is
# retried on a new port; the last failure prints the end of the server's log.
pg_start_on_free_port() {  # <state dir>
  local data; data="$(pg_datadir "$1")"
  local attempt
  for attempt in 1 2 3 4 5; do
    pg_port=$(free_loopback_port)
    pg_start "$1" "$pg_port" >/dev/null 2>&1 && return 0
  done
  echo "PostgreSQL did not start (5 ports tried); the end of $data/server.log:" >&2
  tail -20 "$data/server.log" >&2
  return 1
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
