#!/usr/bin/env bash
# Saves every member's /me page in every window, to compare two builds of the server:
#   bench/serve/pages.sh BINARY WORKSPACE COOKIES OUT_DIR [PORT]
# then `diff -r OUT_A OUT_B`. Starts the server on 127.0.0.1:PORT (18090) and stops it after.
set -euo pipefail
BIN=${1:?binary}; WS=${2:?workspace}; COOKIES=${3:?cookies}; OUT=${4:?out dir}; PORT=${5:-18090}
BASE=http://127.0.0.1:$PORT
mkdir -p "$OUT"
"$BIN" -q --workspace "$WS" serve --listen "127.0.0.1:$PORT" >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
t0=$(date +%s.%N)
for _ in $(seq 1 600); do curl -sf "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "$BIN: up after $(echo "$(date +%s.%N) - $t0" | bc) s, RSS $(awk '/VmRSS/ {print int($2/1024)}' /proc/$SERVER/status) MiB" | tee "$OUT/startup.txt"
windows=$(curl -s -H "Cookie: $(head -n1 "$COOKIES")" "$BASE/api/v1/me" | jq -r '.windows[]')
i=0
while read -r c; do
  i=$((i + 1))
  for w in $windows; do
    curl -s -H "Cookie: $c" -o "$OUT/me-$i-$w.html" -w "%{http_code} %{time_total}\n" "$BASE/me?window=$w" >>"$OUT/times.txt"
  done
done <"$COOKIES"
echo "$(wc -l <"$OUT/times.txt") pages; statuses: $(cut -d' ' -f1 "$OUT/times.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ' '); mean $(awk '{s += $2} END {printf "%.4f", s / NR}' "$OUT/times.txt") s" | tee -a "$OUT/startup.txt"
