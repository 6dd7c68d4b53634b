#!/usr/bin/env bash
# Bounded coverage-guided fuzzing of every parser (docs/FUZZING.md). Stable Rust, no cargo-fuzz:
# builds fuzz/ with libFuzzer's SanitizerCoverage flags, runs each target SECONDS_PER_TARGET
# seconds on its corpus, and exits 1 if any target finds a crash not listed in
# fuzz/known-crashes.txt.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]        (default 30)
#   FUZZ_TARGETS="value people_csv" scripts/fuzz.sh 60   (a subset)
#   scripts/fuzz.sh repro TARGET INPUT   (build, run one input with a backtrace)
#   FUZZ_MERGE=1 scripts/fuzz.sh 300   (then minimize fuzz/corpus/<target> with what the run found)
# New inputs go to a scratch corpus; the committed fuzz/corpus/<target> is only read, unless
# FUZZ_MERGE=1 replaces it with libFuzzer's -merge=1 minimization of both.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=fuzz
if [ "${1:-}" = repro ]; then # scripts/fuzz.sh repro TARGET INPUT: build, run one input, backtrace
  mode=repro repro_target=${2:?target} repro_input=${3:?input file}
fi
seconds=${1:-30}
[ "$mode" = repro ] && seconds=0

export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps the instrumentation out of build scripts and proc macros.
host=$(rustc -vV | sed -n 's/^host: //p')
all_targets="people_csv events_csv events_jsonl events_parquet survey_csv edges_whitespace mapping_toml value mail_mbox calendar_ics slack_export viva_csv"
targets=${FUZZ_TARGETS:-$all_targets}

echo "fuzz: building fuzz/ (release, instrumented) for $host"
start=$(date +%s)
cargo build --manifest-path fuzz/Cargo.toml --release --target "$host" \
  --target-dir fuzz/target -q
echo "fuzz: build took $(( $(date +%s) - start ))s"
bin_dir=fuzz/target/$host/release

# Scratch workspaces on tmpfs when there is one; removed on exit.
tmp_base=/dev/shm
[ -d "$tmp_base" ] && [ -w "$tmp_base" ] || tmp_base=${TMPDIR:-/tmp}
export ORGMIRROR_FUZZ_TMP=$(mktemp -d "$tmp_base/orgmirror-fuzz.XXXXXX")
trap 'rm -rf "$ORGMIRROR_FUZZ_TMP"' EXIT
if [ "$mode" = repro ]; then
  RUST_BACKTRACE=1 "$bin_dir/$repro_target" "$repro_input"
  exit
fi

# Known crashes, one per line of fuzz/known-crashes.txt: "target file reason". A crash is known
# when its input is byte-identical to the file, or when it panics at the same site (file:line:col)
# as the one recorded in file.site (fuzzed inputs rarely repeat byte for byte, and a race does not
# reproduce on demand; a site ending in * matches by prefix). A known crash is reported, and the target restarts for the time left.
panic_site() { sed -n 's/.*panicked at \(.*\):$/\1/p' "$1" | sed 's|.*/registry/src/[^/]*/||' | head -1; }
is_known() { # target artifact log
  local target=$1 artifact=$2 site t f
  [ -f fuzz/known-crashes.txt ] || return 1
  site=$(panic_site "$3")
  while read -r t f _; do
    [[ -z "$t" || "$t" == \#* || "$t" != "$target" || ! -f "$f" ]] && continue
    cmp -s "$f" "$artifact" && return 0
    # A site ending in * matches by prefix (e.g. any panic inside one dependency).
    [ -n "$site" ] && [ -f "$f.site" ] && [[ "$site" == $(cat "$f.site") ]] && return 0
  done < fuzz/known-crashes.txt
  return 1
}

failed=0
for target in $targets; do
  corpus=fuzz/corpus/$target
  artifacts=fuzz/artifacts/$target
  found=$ORGMIRROR_FUZZ_TMP/found-$target
  case $target in # small inputs keep each run cheap and the committed corpus small
    events_parquet) max_len=8192 ;;
    mapping_toml) max_len=1024 ;;
    value) max_len=128 ;;
    *) max_len=1024 ;;
  esac
  mkdir -p "$corpus" "$artifacts" "$found"
  log=$ORGMIRROR_FUZZ_TMP/$target.log
  start=$(date +%s)
  deadline=$(( start + seconds ))
  runs=0 known=0 status=0
  while :; do
    left=$(( deadline - $(date +%s) ))
    [ "$left" -ge 1 ] || break
    status=0
    "$bin_dir/$target" "$found" "$corpus" -max_total_time="$left" -rss_limit_mb=2048 \
      -timeout=20 -max_len="$max_len" -artifact_prefix="$artifacts/" -print_final_stats=1 \
      >"$log" 2>&1 || status=$?
    runs=$(( runs + $(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1) + 0 ))
    [ "$status" -eq 0 ] && break
    new=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [ -z "$new" ]; then
      echo "fuzz: $target failed without an artifact; its log:" >&2
      tail -40 "$log" >&2
      failed=1
      break
    fi
    if is_known "$target" "$new" "$log"; then
      known=$(( known + 1 ))
      echo "fuzz: $target: known crash ($(panic_site "$log"), fuzz/known-crashes.txt): $new"
      [ "$known" -lt 50 ] && continue
      echo "fuzz: $target: 50 known crashes, stopping this target early"
      break
    fi
    failed=1
    echo "fuzz: $target CRASHED on $new" >&2
    grep -m1 -A1 "panicked at" "$log" | cut -c1-600 | sed 's/^/  /' >&2 \
      || grep -m2 -E "^==[0-9]+== ERROR|^SUMMARY" "$log" | sed 's/^/  /' >&2
    echo "  reproduce: bash scripts/fuzz.sh repro $target $new" >&2
    break
  done
  echo "fuzz: $target: $runs runs in $(( $(date +%s) - start ))s, $known known crash(es)"
  if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    merged=$ORGMIRROR_FUZZ_TMP/merged-$target
    mkdir -p "$merged"
    # -use_counters=0: keep inputs for new edges, not new hit counts (a corpus ~5x smaller).
    if "$bin_dir/$target" -merge=1 -use_counters=0 -max_len="$max_len" -rss_limit_mb=2048 \
      -timeout=20 -artifact_prefix="$ORGMIRROR_FUZZ_TMP/" "$merged" "$corpus" "$found" >"$log.merge" 2>&1; then
      rm -rf "$corpus" && mv "$merged" "$corpus"
      echo "fuzz: $target: corpus minimized to $(ls "$corpus" | wc -l) files, $(du -sh --apparent-size "$corpus" | cut -f1)"
    else
      echo "fuzz: $target: merge crashed (a known crash in the corpus?); corpus left as it was" >&2
    fi
  fi
done
exit $failed
