#!/usr/bin/env bash
# Aggregation engines (issue 18): the local streaming pass against DataFusion in process, on the
# same workspace, release build, runs interleaved. Usage: bench/engines.sh [S|M] [RUNS]
# (default M 3). Prints wall, user and system seconds and peak memory per run; the workspace is
# kept in bench/out/engines-SIZE for the next call.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-M}
runs=${2:-3}
case "$size" in
  S) people=1000; events=1000000 ;;
  M) people=10000; events=10000000 ;;
  *) echo "bench/engines.sh: size S or M" >&2; exit 2 ;;
esac
cargo build --release -q -p cli --features ballista
bin=target/release/orgmirror
out=bench/out/engines-$size
if [ ! -f "$out/ws/orgmirror.sqlite" ]; then
  rm -rf "$out"; mkdir -p "$out"
  "$bin" generate --people "$people" --days 120 --events "$events" --seed 1 --out "$out/data" -q
  "$bin" init "$out/ws" >/dev/null
  "$bin" --workspace "$out/ws" -q ingest people "$out/data/people.csv"
  "$bin" --workspace "$out/ws" -q ingest events "$out/data/events.parquet"
fi
for _ in $(seq "$runs"); do
  for engine in local datafusion; do
    /usr/bin/time -f "$size $engine: %e s wall, %U s user, %S s sys, %M KiB peak" \
      "$bin" --workspace "$out/ws" -q aggregate --engine "$engine"
  done
done
