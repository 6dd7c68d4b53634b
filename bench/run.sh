#!/usr/bin/env bash
# End-to-end benchmark: orgmirror ingest + aggregate against DuckDB doing the same aggregation on
# the same Parquet file, side by side in one run. Usage: bench/run.sh [S] [M] [L]  (default: S M)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q duckdb
fi
exec bench/.venv/bin/python bench/bench.py "${@:-S M}"
