#!/usr/bin/env bash
# The whole pipeline on one generated organization, each step timed with its peak memory:
# init, ingest people, ingest events, analyze (default windows: all and monthly), org report.
# Usage: bench/e2e.sh M|L [WORKDIR]  (default WORKDIR: bench/out/e2e-SIZE). The issue's sizes:
#   M: --people 10000  --days 120 --events 10000000  --seed 1
#   L: --people 100000 --days 90  --events 100000000 --seed 1
# Needs GNU time (/usr/bin/time). Prints one line per step and the analysis' stage profile.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:?usage: bench/e2e.sh M|L [WORKDIR]}"
case "$size" in
  M) people=10000 days=120 events=10000000 ;;
  L) people=100000 days=90 events=100000000 ;;
  *) echo "bench/e2e.sh: unknown size $size (M or L)" >&2; exit 2 ;;
esac
dir="${2:-bench/out/e2e-$size}"
bin="${ORGMIRROR_BIN:-target/release/orgmirror}"
[ -x "$bin" ] || cargo build --release -q -p cli
[ -x /usr/bin/time ] || { echo "bench/e2e.sh: needs GNU time (Debian package time)" >&2; exit 2; }
mkdir -p "$dir"
data="$dir/data"
stamp="$data/.generated"
want="$people $days $events 1"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$data"
  "$bin" generate --people "$people" --days "$days" --events "$events" --seed 1 --out "$data" -q
  echo "$want" >"$stamp"
fi
ws="$dir/ws"
rm -rf "$ws" "$dir/reports"
total=0
step() {
  local name="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$dir/time" "$@" >"$dir/$name.out"
  read -r wall user sys kib <"$dir/time"
  printf '%-14s %8.1f s wall  %8.1f user  %6.1f sys  %7d MiB peak\n' "$name" "$wall" "$user" "$sys" $((kib / 1024))
  total=$(echo "$total + $wall" | bc)
}
step init "$bin" init "$ws"
step ingest_people "$bin" --workspace "$ws" -q ingest people "$data/people.csv"
step ingest_events "$bin" --workspace "$ws" -q ingest events "$data/events.parquet"
step analyze "$bin" --workspace "$ws" analyze -q --top 0
step report "$bin" --workspace "$ws" -q report --out "$dir/reports"
printf '%-14s %8.1f s\n' "end to end" "$total"
grep -E "aggregated|per stage|by part" "$dir/analyze.out" | sed 's/^ *//'
