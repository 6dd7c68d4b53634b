#!/usr/bin/env bash
# The test command: installs what the tests open orgmirror's output with, then runs every test.
#  - Debian's chromium, firefox-esr and webkit2gtk-driver + xvfb (apt-get, when missing and we may
#    install) and playwright-core (npm ci in tests/browser): the HTML reports and the server's
#    pages are opened as a person would open them;
#  - a Python in target/py with networkx, igraph and pyarrow: the GraphML, GEXF and Parquet
#    exports are read back by the tools analysts use;
#  - PostgreSQL: unless ORGMIRROR_TEST_POSTGRES already names a server, a throwaway cluster from
#    scripts/pg.sh (when PostgreSQL's binaries are installed; Debian: postgresql), stopped and
#    deleted on exit, so the server's tests run on PostgreSQL as well as SQLite.
# Extra arguments go to `cargo test` (e.g. `bash scripts/test.sh -p report`).
set -euo pipefail
cd "$(dirname "$0")/.."

# The browsers the pages are tested in: Chromium (reports and server), Firefox ESR (driven by
# playwright-core) and WebKitGTK's MiniBrowser (over WebDriver, under Xvfb) for the server.
browsers=""
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || browsers="$browsers chromium"
[ -x "${FIREFOX:-/usr/bin/firefox-esr}" ] || browsers="$browsers firefox-esr"
command -v "${WEBKIT_WEBDRIVER:-WebKitWebDriver}" >/dev/null || browsers="$browsers webkit2gtk-driver xvfb"
if [ -n "$browsers" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's$browsers"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $browsers >/dev/null
  elif command -v sudo >/dev/null; then
    echo "== installing Debian's$browsers (sudo)"
    sudo apt-get update -q >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q $browsers >/dev/null
  elif [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "scripts/test.sh: Chromium is missing; install Debian's chromium package (or set CHROMIUM)" >&2
    exit 1
  else
    echo "scripts/test.sh: cannot install$browsers; the server's browser test skips what is missing" >&2
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
if [ -z "${ORGMIRROR_TEST_POSTGRES:-}" ]; then
  if bash scripts/pg.sh bin >/dev/null 2>&1; then
    echo "== PostgreSQL (a throwaway cluster for the server's tests)"
    export ORGMIRROR_PG_DIR="/tmp/orgmirror-pg-test.$$"
    trap 'bash scripts/pg.sh stop >/dev/null 2>&1 || true' EXIT
    pg_env="$(bash scripts/pg.sh)"
    eval "$pg_env"
  else
    echo "== PostgreSQL is not installed: the server's tests run on SQLite only (Debian: apt-get install postgresql)"
  fi
fi
cargo test --workspace "$@"
echo "screenshots of the reports: $PWD/target/report-screenshots"
