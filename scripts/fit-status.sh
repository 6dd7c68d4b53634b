#!/usr/bin/env bash
# Fits the shipped status weights (crates/mirror/status-weights.json) on every labelled real
# organization in ../shared/data (Enron, Krackhardt, Lazega, Cross & Parker, Kudu, CS faculty
# hiring), each weighing the same, and writes them with a note of how each set fares when it is
# left out of the fit. Deterministic: same data, same file. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data}"
cargo run --release --quiet -p devtools -- fit-status --data "$data" --mappings examples \
  --out crates/mirror/status-weights.json --dir target/calibrate
