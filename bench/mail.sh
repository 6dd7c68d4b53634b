#!/usr/bin/env bash
# Mail ingest against Python's standard library on the same mbox: orgmirror's `ingest mail`
# (header blocks parsed, bodies only scanned for the next separator, records through ingest into
# a fresh workspace: validation, people, segment, commit) against `mailbox` + `email`'s header
# parser extracting the same headers (bench/mail_headers.py, which stores nothing).
# Usage: bash bench/mail.sh [SIZE_MB]   (default 256; the mbox is built from the LKML fixture)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-256}"
mbox="target/bench/mail-${size}.mbox"
mkdir -p target/bench
[ -s "$mbox" ] || python3 bench/make_mbox.py ../shared/data/formats/maildir/notmuch/lkml "$mbox" "$size"
cargo build --release -q -p cli
bin="$PWD/target/release/orgmirror"
ws=target/bench/mail-ws
farm-bench -n 3 --timeout 900 --vs "python3 bench/mail_headers.py $mbox" \
  -- sh -c "rm -rf $ws && $bin init -q $ws >/dev/null && exec $bin --workspace $ws -q ingest mail $mbox --include-lists --include-automated"
echo "input: $(du -m "$mbox" | cut -f1) MB"
