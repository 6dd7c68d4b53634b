#!/usr/bin/env bash
# Survey campaign load on loopback (issue 17; see bench/survey/README.md): a generated, analyzed
# organization of $PEOPLE people; on each database, a campaign over everyone, its links, the
# release server, and $RESPONDENTS respondents who each open their form and send 3-8 colleagues
# (bench/survey/drive.py), first as a burst ($CLIENTS at once, as fast as the server answers),
# then spread evenly over $SPREAD seconds. Afterwards `survey status` must count every respondent.
# One JSON line per run in OUT/results.jsonl; a table at the end.
#
#   bench/survey/run.sh [OUT]            (OUT: results folder, default /tmp/bench-survey)
# Environment: PEOPLE (600), RESPONDENTS (500), CLIENTS (50), SPREAD (60), MODES ("burst paced"),
# DATABASES ("sqlite", plus "postgres" when ORGMIRROR_TEST_POSTGRES names a server: each run gets
# a fresh database on it, made with psql; `eval "$(bash scripts/pg.sh)"` starts one),
# SKIP_BUILD=1, ORGMIRROR (binary, default target/release/orgmirror).
# Bounded: the driver times a request out after 30 s; the server is stopped at the end.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-/tmp/bench-survey}
PEOPLE=${PEOPLE:-600}
RESPONDENTS=${RESPONDENTS:-500}
CLIENTS=${CLIENTS:-50}
SPREAD=${SPREAD:-60}
MODES=${MODES:-burst paced}
if [ -z "${DATABASES:-}" ]; then
  DATABASES=sqlite
  [ -z "${ORGMIRROR_TEST_POSTGRES:-}" ] || DATABASES="sqlite postgres"
fi
BIN=${ORGMIRROR:-$ROOT/target/release/orgmirror}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
log() { echo "[$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)] $*" | tee -a "$OUT/run.log"; }
: >"$OUT/results.jsonl"

if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && cargo build --release -q -p cli)
fi
[ -x "$BIN" ] || { echo "no binary $BIN" >&2; exit 1; }
if [ -z "${ORGMIRROR:-}" ]; then
  made="built from $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- crates Cargo.lock || echo ' with uncommitted changes')"
else
  made="given (ORGMIRROR), modified $(date -r "$BIN" +'%F %T')"
fi
log "start; $(nproc) cores; $BIN $made; $PEOPLE people, $RESPONDENTS respondents, $CLIENTS clients, modes: $MODES (spread ${SPREAD}s), databases: $DATABASES"

# The organization: generated, ingested and analyzed by `demo` (fresh each time).
"$BIN" demo --dir "$OUT/demo" --people "$PEOPLE" --days 20 -q >"$OUT/demo.log"
WS=$OUT/demo/workspace
CLOSES=$(date -u -d '+7 days' +%F)

fresh_postgres() { # a new, empty database $1 on the server of $ORGMIRROR_TEST_POSTGRES
  psql "$ORGMIRROR_TEST_POSTGRES" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1" >&2
}
# Connections a database has had (PostgreSQL counts them as each one ends).
pg_sessions() {
  psql "$ORGMIRROR_TEST_POSTGRES" -tA -c "SELECT sessions FROM pg_stat_database WHERE datname = '$1'"
}

SERVER=
stop() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  SERVER=
}
trap stop EXIT

for db in $DATABASES; do
  for mode in $MODES; do
    name="$db-$mode"
    case "$db" in
      sqlite)
        # Each run on a server database of its own, as each PostgreSQL run.
        rm -f "$WS/.orgmirror/server.sqlite"*
        DB=() ;;
      postgres)
        [ -n "${ORGMIRROR_TEST_POSTGRES:-}" ] || { echo "postgres: set ORGMIRROR_TEST_POSTGRES" >&2; exit 1; }
        pgname="om_bench_$(date +%s)_$RANDOM"
        fresh_postgres "$pgname"
        DB=(--database "${ORGMIRROR_TEST_POSTGRES%/*}/$pgname") ;;
      *) echo "unknown database $db" >&2; exit 1 ;;
    esac
    spread=0
    [ "$mode" = burst ] || spread=$SPREAD
    out=$("$BIN" -q --workspace "$WS" survey create --name "Load $name" --questions advice,trust \
      --closes "$CLOSES" "${DB[@]}")
    id=$(echo "$out" | sed -E 's/^campaign ([0-9]+):.*/\1/')
    "$BIN" -q --workspace "$WS" survey invite "$id" "${DB[@]}" >"$OUT/$name.links.csv"

    sessions0=0
    if [ "$db" = postgres ]; then sleep 1; sessions0=$(pg_sessions "$pgname"); fi
    "$BIN" --workspace "$WS" serve --listen 127.0.0.1:0 "${DB[@]}" >"$OUT/$name.server.log" 2>&1 &
    SERVER=$!
    url=
    for _ in $(seq 1 300); do
      url=$(grep -oE ' on http://[0-9.:]+' "$OUT/$name.server.log" | head -n 1 | cut -c5- || true)
      [ -z "$url" ] || break
      kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/$name.server.log" >&2; exit 1; }
      sleep 0.1
    done
    [ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }
    log "$name: campaign $id, $(($(wc -l <"$OUT/$name.links.csv") - 1)) invitees, server $url (pid $SERVER)"

    cpu0=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    set +e
    python3 "$HERE/drive.py" --links "$OUT/$name.links.csv" --base "$url" \
      --respondents "$RESPONDENTS" --clients "$CLIENTS" --spread "$spread" >"$OUT/$name.json"
    set -e
    cpu1=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
    rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER/status")
    stop
    sessions=0
    if [ "$db" = postgres ]; then sleep 1; sessions=$(( $(pg_sessions "$pgname") - sessions0 )); fi
    status=$("$BIN" -q --workspace "$WS" survey status "$id" "${DB[@]}" | tail -n 1)
    answered=$(echo "$status" | cut -f5)
    saved=$(echo "$status" | cut -f7)
    python3 - "$OUT/$name.json" "$db" "$mode" "$answered" "$saved" "$(( (cpu1 - cpu0) * 1000 / $(getconf CLK_TCK) ))" "$rss" "$sessions" <<'EOF' >>"$OUT/results.jsonl"
import json, sys
r = json.load(open(sys.argv[1]))
r.update(database=sys.argv[2], mode=sys.argv[3], status_answered=int(sys.argv[4]),
         status_saved=int(sys.argv[5]), server_cpu_ms=int(sys.argv[6]), server_peak_mib=int(sys.argv[7]),
         pg_connections=int(sys.argv[8] or 0))
print(json.dumps(r))
EOF
    log "$name: $(tail -n 1 "$OUT/results.jsonl")"
    if [ "$answered" != "$RESPONDENTS" ]; then
      log "$name: survey status counts $answered answered, not $RESPONDENTS"
    fi
  done
done

python3 - "$OUT/results.jsonl" <<'EOF'
import json, sys
print("| database | mode | answered (status) | errors | wall s | answer p50 / p95 / p99 / max ms | form p50 / p95 / p99 / max ms | server CPU s | PostgreSQL connections |")
print("|---|---|---|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    r = json.loads(line)
    f = lambda s: " / ".join(str(r[s][k]) for k in ("p50", "p95", "p99", "max"))
    print(f"| {r['database']} | {r['mode']} | {r['answered']} ({r['status_answered']}) | {r['errors']} | {r['wall_s']} | {f('answer_ms')} | {f('form_ms')} | {r['server_cpu_ms'] / 1000:.1f} | {r['pg_connections'] if r['database'] == 'postgres' else '–'} |")
EOF
