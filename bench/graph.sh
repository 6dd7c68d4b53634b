#!/usr/bin/env bash
# Graph engine benchmark against igraph, NetworKit and rustworkx (installed from PyPI into
# bench/.venv-graph). Usage: bench/graph.sh [email-eu-core] [1k] [10k] [100k]  (default: all)
# Writes bench/out/graph/table.md and results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p cli -p graph --bin orgmirror --example timings
if [ ! -x bench/.venv-graph/bin/python ]; then
  python3 -m venv bench/.venv-graph
  bench/.venv-graph/bin/pip install -q igraph==1.0.0 networkit==11.3 rustworkx==0.18.1 numpy scipy
fi
exec bench/.venv-graph/bin/python bench/graph.py "$@"
