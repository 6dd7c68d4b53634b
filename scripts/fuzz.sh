#!/usr/bin/env bash
# Bounded coverage-guided fuzzing of every parser (docs/FUZZING.md). Stable Rust, no cargo-fuzz:
# builds fuzz/ with libFuzzer's SanitizerCoverage flags, runs each target SECONDS_PER_TARGET
# seconds on its corpus, and exits 1 if any target finds a crash not listed in
# fuzz/known-crashes.txt.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]        (default 30)
#   FUZZ_TARGETS="value people_csv" scripts/fuzz.sh 60   (a subset)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-30}

export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps the instrumentation out of build scripts and proc macros.
host=$(rustc -vV | sed -n 's/^host: //p')
all_targets="people_csv events_csv events_jsonl events_parquet survey_csv edges_whitespace mapping_toml value"
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

# Known crashes: "target file reason..." per line; a crash whose input is byte-identical to a
# listed file is reported but does not fail the run.
is_known() { # target artifact
  local target=$1 artifact=$2 t f
  [ -f fuzz/known-crashes.txt ] || return 1
  while read -r t f _; do
    [[ -z "$t" || "$t" == \#* ]] && continue
    [ "$t" = "$target" ] && [ -f "$f" ] && cmp -s "$f" "$artifact" && return 0
  done < fuzz/known-crashes.txt
  return 1
}

failed=0
for target in $targets; do
  corpus=fuzz/corpus/$target
  artifacts=fuzz/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  log=$ORGMIRROR_FUZZ_TMP/$target.log
  before=$(ls "$artifacts")
  start=$(date +%s)
  status=0
  "$bin_dir/$target" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "fuzz: $target: ${execs:-?} runs in $(( $(date +%s) - start ))s, exit $status"
  new=$(comm -13 <(echo "$before") <(ls "$artifacts") | sed "s|^|$artifacts/|")
  if [ "$status" -ne 0 ] && [ -z "$new" ]; then
    echo "fuzz: $target failed without an artifact; its log:" >&2
    tail -40 "$log" >&2
    failed=1
  fi
  for artifact in $new; do
    if is_known "$target" "$artifact"; then
      echo "fuzz: $target: known crash (fuzz/known-crashes.txt): $artifact"
      continue
    fi
    failed=1
    echo "fuzz: $target CRASHED on $artifact" >&2
    grep -m3 -E "panicked at|^ERROR: libFuzzer|SUMMARY" "$log" | sed 's/^/  /' >&2 || true
    echo "  reproduce: RUSTFLAGS='$RUSTFLAGS' cargo build --manifest-path fuzz/Cargo.toml --release --target $host --target-dir fuzz/target && $bin_dir/$target $artifact" >&2
  done
done
exit $failed
