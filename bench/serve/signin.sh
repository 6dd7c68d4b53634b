#!/usr/bin/env bash
# Signs accounts in through the JSON API and writes one `om_session=TOKEN` line per account.
#
#   bench/serve/signin.sh BASE_URL CREDENTIALS_TSV OUT_COOKIES [OUT_CSRF]
#
# CREDENTIALS_TSV: email<TAB>password per line. The server allows 20 sign-in attempts per client
# address per minute, so each account signs in from its own loopback source address
# (127.0.1.1, 127.0.1.2, ...; all of 127.0.0.0/8 is this machine on Linux).
set -euo pipefail
BASE=${1:?base url}
CREDS=${2:?credentials tsv}
OUT=${3:?cookies file}
CSRF_OUT=${4:-}
: >"$OUT"
[ -z "$CSRF_OUT" ] || : >"$CSRF_OUT"
i=0
while IFS=$'\t' read -r email pw _; do
  i=$((i + 1))
  src="127.0.$((1 + i / 250)).$((1 + i % 250))"
  jar=$(mktemp)
  body=$(jq -cn --arg e "$email" --arg p "$pw" '{email: $e, password: $p}')
  answer=$(curl -sS --interface "$src" -c "$jar" -H 'Content-Type: application/json' \
    -d "$body" -w '\n%{http_code}' "$BASE/api/v1/session")
  code=$(tail -n1 <<<"$answer")
  if [ "$code" != 200 ]; then
    echo "signin: $email answered $code: $(head -n1 <<<"$answer")" >&2
    rm -f "$jar"
    exit 1
  fi
  token=$(awk '$6 == "om_session" { print $7 }' "$jar")
  rm -f "$jar"
  echo "om_session=$token" >>"$OUT"
  [ -z "$CSRF_OUT" ] || head -n1 <<<"$answer" | jq -r .csrf >>"$CSRF_OUT"
done <"$CREDS"
echo "signin: $i sessions in $OUT"
