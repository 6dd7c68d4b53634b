#!/usr/bin/env bash
# The test command: installs what the tests open orgmirror's output with, then runs every test.
#  - Debian's chromium (apt-get, when missing and we may install) and playwright-core (npm ci in
#    tests/browser): the HTML reports are opened headless as a person would open them;
#  - a Python in target/py with networkx, igraph and pyarrow: the GraphML, GEXF and Parquet
#    exports are read back by the tools analysts use.
# Extra arguments go to `cargo test` (e.g. `bash scripts/test.sh -p report`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's chromium"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  elif command -v sudo >/dev/null; then
    echo "== installing Debian's chromium (sudo)"
    sudo apt-get update -q >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "scripts/test.sh: Chromium is missing; install Debian's chromium package (or set CHROMIUM)" >&2
    exit 1
  fi
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "== npm ci (tests/browser: playwright-core)"
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
if ! target/py/bin/python -c "import networkx, igraph, pyarrow" 2>/dev/null; then
  echo "== Python for the interop tests (target/py)"
  mkdir -p target
  python3 -m venv target/py
  target/py/bin/pip install -q -r tests/interop/requirements.txt
fi
export ORGMIRROR_PYTHON="$PWD/target/py/bin/python"
cargo test --workspace "$@"
echo "screenshots of the reports: $PWD/target/report-screenshots"
