#!/usr/bin/env bash
# Accounts for the server load test: N members (each linked to a person of the organization,
# spread evenly over people.csv) and one admin, each with a password. Idempotent: accounts that
# exist already are left as they are (their password is set again).
#
#   bench/serve/setup.sh WORKSPACE PEOPLE_CSV [N] [OUT]
#
# Writes OUT/members.tsv (email, password, person id) and OUT/admin.tsv (email, password).
set -euo pipefail
W=${1:?workspace}
PEOPLE=${2:?people.csv}
N=${3:-200}
OUT=${4:-/tmp/bench-serve}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${ORGMIRROR:-$HERE/../../target/release/orgmirror}
mkdir -p "$OUT"

existing=$("$BIN" -q --workspace "$W" user list | cut -f1)
has() { grep -qxF "$1" <<<"$existing"; }

admin=bench-admin@example.com
admin_pw=bench-admin-password-1
if ! has "$admin"; then
  "$BIN" -q --workspace "$W" user add "$admin" --role admin >/dev/null
fi
echo "$admin_pw" | "$BIN" -q --workspace "$W" user set-password "$admin" >/dev/null
printf '%s\t%s\n' "$admin" "$admin_pw" >"$OUT/admin.tsv"

# Every (people / N)-th person, so members come from every level and department.
total=$(($(wc -l <"$PEOPLE") - 1))
step=$((total / N))
[ "$step" -ge 1 ] || step=1
awk -F, -v step="$step" -v n="$N" 'NR > 1 && (NR - 1) % step == 0 && c < n { print $1; c++ }' "$PEOPLE" >"$OUT/member-ids.txt"

: >"$OUT/members.tsv"
i=0
while read -r id; do
  i=$((i + 1))
  email="bench-member-$i@example.com"
  pw="bench-member-password-$i"
  if ! has "$email"; then
    "$BIN" -q --workspace "$W" user add "$email" --role member --person "$id" >/dev/null
  fi
  echo "$pw" | "$BIN" -q --workspace "$W" user set-password "$email" >/dev/null
  printf '%s\t%s\t%s\n' "$email" "$pw" "$id" >>"$OUT/members.tsv"
done <"$OUT/member-ids.txt"
echo "setup: $i members and 1 admin in $W (credentials in $OUT/members.tsv, $OUT/admin.tsv)"
