#!/usr/bin/env bash
# Load test of `orgmirror serve` on loopback (see bench/serve/README.md):
#   1. release build; the M organization (10,000 people, 10 M events) generated and analyzed
#      into a workspace (reused when it is there already);
#   2. 200 member accounts and an admin (setup.sh);
#   3. the server on 127.0.0.1:$PORT, the 200 members signed in (signin.sh);
#   4. wrk, 200 connections for $SECS s on GET /me, then on GET /api/v1/me/mirror;
#   5. the same two loads while a background analysis (POST /data/analyze) runs, and a probe
#      reading /me every half second until the job has finished.
# Bounded: every wrk run stops after $SECS s, the wait for the job after $JOB_LIMIT s; the server
# is stopped at the end. Only 127.0.0.1 (and 127.0.x.y source addresses for sign-in) is used.
#
#   bench/serve/run.sh [OUT]        (OUT: results folder, default /tmp/bench-serve)
# Environment: INPUT (/tmp/m-input), WS (/tmp/m-ws), PORT (18080), SECS (60), CONNS (200),
# MEMBERS (200), JOB_LIMIT (1800), SKIP_BUILD=1, ORGMIRROR (binary), SKIP_QUIET=1, SKIP_ANALYZE=1.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-/tmp/bench-serve}
INPUT=${INPUT:-/tmp/m-input}
WS=${WS:-/tmp/m-ws}
PORT=${PORT:-18080}
SECS=${SECS:-60}
CONNS=${CONNS:-200}
MEMBERS=${MEMBERS:-200}
JOB_LIMIT=${JOB_LIMIT:-1800}
BIN=${ORGMIRROR:-$ROOT/target/release/orgmirror}
export ORGMIRROR=$BIN
BASE=http://127.0.0.1:$PORT
mkdir -p "$OUT"
log() { echo "[$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)] $*" | tee -a "$OUT/run.log"; }
timed() { # NAME CMD...: runs CMD under /usr/bin/time -v, logs wall time and peak RSS
  local n=$1; shift
  /usr/bin/time -v -o "$OUT/$n.time" "$@" >"$OUT/$n.log" 2>&1
  log "$n: $(grep 'Elapsed (wall' "$OUT/$n.time" | awk '{print $NF}') wall, peak $(( $(grep 'Maximum resident' "$OUT/$n.time" | awk '{print $NF}') / 1024 )) MiB"
}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq; }
log "start; $(nproc) cores; $(uptime)"

# 1. Build, generate, ingest, analyze.
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && timed build cargo build --release -p cli)
fi
if [ ! -f "$INPUT/events.parquet" ]; then
  timed generate "$BIN" -q generate --people 10000 --days 90 --seed 1 --events 10000000 --out "$INPUT"
fi
if [ ! -f "$WS/.analyzed" ]; then
  rm -rf "$WS"
  timed init "$BIN" -q --workspace "$WS" init
  timed ingest-people "$BIN" -q --workspace "$WS" ingest people "$INPUT/people.csv"
  timed ingest-events "$BIN" -q --workspace "$WS" ingest events "$INPUT/events.parquet"
  timed ingest-survey "$BIN" -q --workspace "$WS" ingest survey "$INPUT/survey.csv"
  timed analyze "$BIN" -q --workspace "$WS" analyze
  touch "$WS/.analyzed"
else
  log "reusing the analyzed workspace $WS"
fi

# 2. Accounts.
"$HERE/setup.sh" "$WS" "$INPUT/people.csv" "$MEMBERS" "$OUT" | tee -a "$OUT/run.log"

# 3. Server and sessions.
if curl -sf "$BASE/healthz" >/dev/null 2>&1; then
  echo "something already answers on $BASE: stop it or set PORT" >&2
  exit 1
fi
"$BIN" -q --workspace "$WS" serve --listen "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
SERVER=$!
MON=
stop() {
  [ -z "$MON" ] || kill "$MON" 2>/dev/null || true
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
}
trap stop EXIT
t0=$(date +%s.%N)
for _ in $(seq 1 600); do
  curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "the server stopped: $(cat "$OUT/server.log")" >&2; exit 1; }
  sleep 0.1
done
log "server $SERVER up after $(echo "$(date +%s.%N) - $t0" | bc) s, RSS $(awk '/VmRSS/ {print int($2/1024)}' /proc/$SERVER/status) MiB"
"$HERE/signin.sh" "$BASE" "$OUT/members.tsv" "$OUT/cookies.txt" | tee -a "$OUT/run.log"
"$HERE/signin.sh" "$BASE" "$OUT/admin.tsv" "$OUT/admin-cookie.txt" "$OUT/admin-csrf.txt" | tee -a "$OUT/run.log"

# Samples the server's RSS and the load average every second into $OUT/$1.mon.
monitor() {
  echo 5 >"/proc/$SERVER/clear_refs" 2>/dev/null || true # resets VmHWM to the current RSS
  (while kill -0 "$SERVER" 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/ {print $2}' /proc/$SERVER/status) $(awk '/VmHWM/ {print $2}' /proc/$SERVER/status) $(cut -d' ' -f1-3 /proc/loadavg)"
    sleep 1
  done) >"$OUT/$1.mon" &
  MON=$!
}
unmonitor() { kill "$MON" 2>/dev/null || true; wait "$MON" 2>/dev/null || true; MON=; }

# One wrk run: NAME PATH. Writes $OUT/NAME.wrk and appends a line to $OUT/results.jsonl.
load() {
  local name=$1 path=$2
  local before during
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  monitor "$name"
  wrk -c "$CONNS" -t 2 -d "${SECS}s" --latency --timeout 5s -s "$HERE/mirror.lua" "$BASE" \
    -- "$OUT/cookies.txt" "$path" >"$OUT/$name.wrk" 2>&1
  unmonitor
  during=$(awk '{print $4}' "$OUT/$name.mon" | sort -n | tail -1)
  local peak
  peak=$(awk '{ if ($3 > m) m = $3 } END { print int(m / 1024) }' "$OUT/$name.mon")
  local result
  result=$(grep '^RESULT ' "$OUT/$name.wrk" | cut -d' ' -f2-)
  jq -c --arg name "$name" --arg path "$path" --arg before "$before" --arg max1 "$during" \
    --argjson peak "$peak" '{run: $name, path: $path} + . + {server_peak_rss_mib: $peak, load_before: $before, max_load1_during: ($max1 | tonumber)}' \
    <<<"$result" | tee -a "$OUT/results.jsonl"
  log "$name done"
}

# 4. Quiet runs.
if [ -z "${SKIP_QUIET:-}" ]; then
  load me /me
  load api /api/v1/me/mirror
fi

# 5. The same while an analysis runs in the server.
if [ -z "${SKIP_ANALYZE:-}" ]; then
  CSRF=$(cat "$OUT/admin-csrf.txt")
  ACOOKIE=$(cat "$OUT/admin-cookie.txt")
  # A probe: one member reads /me every half second until told to stop (bounded by JOB_LIMIT).
  MEMBER=$(head -n1 "$OUT/cookies.txt")
  (end=$(($(date +%s) + JOB_LIMIT + 300))
   while [ ! -f "$OUT/probe.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
     curl -s -o /dev/null -m 10 -H "Cookie: $MEMBER" -w "$(date +%s) %{http_code} %{time_total}\n" "$BASE/me" || echo "$(date +%s) 000 curl-failed"
     sleep 0.5
   done) >"$OUT/probe.log" &
  PROBE=$!
  rm -f "$OUT/probe.stop"
  started=$(date +%s)
  answer=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Cookie: $ACOOKIE" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "csrf=$CSRF&windows=all,month" "$BASE/data/analyze")
  log "POST /data/analyze: $answer"
  sleep 2
  curl -s -H "Cookie: $ACOOKIE" "$BASE/api/v1/jobs" | jq -c '(.jobs // .)[0]' | tee -a "$OUT/run.log"
  load me-analyzing /me
  load api-analyzing /api/v1/me/mirror
  monitor job
  state=running
  while [ "$(($(date +%s) - started))" -lt "$JOB_LIMIT" ]; do
    job=$(curl -s -H "Cookie: $ACOOKIE" "$BASE/api/v1/jobs" | jq -c '(.jobs // .)[0]')
    state=$(jq -r .state <<<"$job")
    [ "$state" = running ] || [ "$state" = queued ] || break
    sleep 5
  done
  unmonitor
  sleep 3 # the probe sees the new analysis
  touch "$OUT/probe.stop"
  wait "$PROBE" || true
  job_secs=$(jq -r 'if .finished then .finished - .created else "n/a" end' <<<"$job")
  peak=$(cat "$OUT"/me-analyzing.mon "$OUT"/api-analyzing.mon "$OUT"/job.mon | awk '{ if ($3 > m) m = $3 } END { print int(m / 1024) }')
  probes=$(wc -l <"$OUT/probe.log")
  bad=$(awk '$2 !~ /^2/' "$OUT/probe.log" | wc -l)
  slowest=$(sort -k3 -n "$OUT/probe.log" | tail -1 | awk '{print $3}')
  jq -c --argjson job "$job" --arg secs "$job_secs" --argjson peak "$peak" --argjson probes "$probes" \
    --argjson bad "$bad" --arg slowest "$slowest" -n \
    '{run: "job", job: $job, job_seconds: $secs, server_peak_rss_mib: $peak, probe_requests: $probes, probe_non_2xx: $bad, probe_slowest_s: ($slowest | tonumber)}' \
    | tee -a "$OUT/results.jsonl"
  log "analysis job: $state after $job_secs s"
fi
log "end; $(uptime)"
