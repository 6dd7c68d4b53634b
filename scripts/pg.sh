#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for the server's tests.
#
#   eval "$(bash scripts/pg.sh)"   # start (or reuse) it; prints export ORGMIRROR_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres
#   bash scripts/pg.sh url         # the URL of the running cluster
#   bash scripts/pg.sh status      # exit 0 when it is running
#   bash scripts/pg.sh stop        # stop it and delete it
#   bash scripts/pg.sh bin         # where initdb and pg_ctl are (exit 1 when PostgreSQL is not installed)
#
# The cluster lives in $ORGMIRROR_PG_DIR (default /tmp/orgmirror-pg-UID): initdb'd once (trust
# authentication, superuser `postgres`, no fsync: nothing in it is worth keeping), listening on
# 127.0.0.1 only, on $ORGMIRROR_PG_PORT (default 55432) or the next free port. Starting it again
# while it runs only prints the URL. PostgreSQL refuses to run as root, so as root the cluster
# belongs to, and runs as, $ORGMIRROR_PG_USER (default nobody). The binaries come from $PG_BIN,
# else PATH, else Debian's /usr/lib/postgresql/*/bin (the newest). Messages go to stderr; stdout
# has only the export line (or the URL), so the output can be eval'd. A directory is deleted only
# when it is empty or this script made it (it holds the file `orgmirror-pg`).
set -euo pipefail

cmd="${1:-start}"
dir="${ORGMIRROR_PG_DIR:-/tmp/orgmirror-pg-$(id -u)}"
data="$dir/data"
first_port="${ORGMIRROR_PG_PORT:-55432}"

say() { echo "pg.sh: $*" >&2; }
die() { say "$*"; exit 1; }

find_bin() {
  if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then echo "$PG_BIN"; return; fi
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return
  fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  return 1
}

# Runs a command as the cluster's owner: ourselves, or (as root) an unprivileged user.
if [ "$(id -u)" = 0 ]; then
  runas="${ORGMIRROR_PG_USER:-nobody}"
  id -u "$runas" >/dev/null 2>&1 || die "no user $runas to run PostgreSQL as (set ORGMIRROR_PG_USER)"
  as_owner() {
    if command -v runuser >/dev/null; then
      (cd / && runuser -u "$runas" -- "$@")
    else
      (cd / && su -s /bin/sh "$runas" -c '"$0" "$@"' -- "$@")
    fi
  }
else
  runas="$(id -un)"
  as_owner() { "$@"; }
fi

# True when something accepts TCP connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() {
  [ -f "$data/postmaster.pid" ] && [ -f "$dir/port" ] && [ -n "${bin:-}" ] &&
    as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

url() { echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"; }

# Deletes $dir if it is ours (or empty); refuses to touch anything else.
remove_dir() {
  [ -d "$dir" ] || return 0
  if [ -f "$dir/orgmirror-pg" ] || [ -z "$(ls -A "$dir")" ]; then
    rm -rf "$dir"
  else
    die "$dir is not a cluster this script made; not deleting it (set ORGMIRROR_PG_DIR)"
  fi
}

bin="$(find_bin || true)"

case "$cmd" in
  start) ;;
  bin)
    [ -n "$bin" ] || { say "PostgreSQL's initdb and pg_ctl are not installed"; exit 1; }
    echo "$bin"; exit 0 ;;
  url)
    running || die "no cluster is running in $dir (start one with: bash scripts/pg.sh)"
    url; exit 0 ;;
  status)
    if running; then say "running in $dir: $(url)"; exit 0; fi
    say "not running ($dir)"; exit 1 ;;
  stop)
    if [ -n "$bin" ] && [ -f "$data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" stop -D "$data" -m immediate -s >/dev/null 2>&1 || true
    fi
    if [ -d "$dir" ]; then remove_dir; say "stopped and removed $dir"; fi
    exit 0 ;;
  *) die "usage: scripts/pg.sh [start|url|status|stop|bin]" ;;
esac

[ -n "$bin" ] || die "PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql; or set PG_BIN)"

if running; then
  say "already running in $dir"
  echo "export ORGMIRROR_TEST_POSTGRES=$(url)"
  exit 0
fi

# A fresh cluster, unless one of this version is there (stopped) already.
if [ ! -f "$data/PG_VERSION" ] || [ "$(cat "$data/PG_VERSION")" != "$("$bin/pg_ctl" --version | sed -E 's/.* ([0-9]+).*/\1/')" ]; then
  remove_dir
  mkdir -m 700 "$dir"
  touch "$dir/orgmirror-pg"
  if [ "$(id -u)" = 0 ]; then chown "$runas" "$dir"; fi
  as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
fi
[ "$(stat -c %U "$dir")" = "$runas" ] || die "$dir belongs to $(stat -c %U "$dir"), not $runas"

# The first free port from $first_port (another cluster may take it between the check and the
# start: then the next one).
port="$first_port"
for _ in $(seq 1 50); do
  if port_busy "$port"; then port=$((port + 1)); continue; fi
  if as_owner "$bin/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t 60 -s -o \
    "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB" \
    >/dev/null 2>&1; then
    echo "$port" >"$dir/port"
    say "PostgreSQL $(cat "$data/PG_VERSION") running in $dir as $runas on 127.0.0.1:$port"
    echo "export ORGMIRROR_TEST_POSTGRES=$(url)"
    exit 0
  fi
  if grep -qi "address already in use\|could not bind\|could not create lock file" "$dir/server.log" 2>/dev/null; then
    port=$((port + 1)); : >"$dir/server.log"; continue
  fi
  tail -n 20 "$dir/server.log" >&2 || true
  die "PostgreSQL did not start (log: $dir/server.log)"
done
die "no free port from $first_port"
