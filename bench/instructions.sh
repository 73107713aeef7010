#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable to a few
# hundred instructions whatever else the machine is doing, so a change can be
# judged on a busy machine where bench/run.sh's rates are noise. User space only
# (the kernel's share of a request, mostly the socket, is not counted).
#
#   bash bench/instructions.sh [CASE...]     CASE: limit healthz verify list page
#                                            (all but page when none is given)
#
# Each case runs the release server under callgrind twice, for 2,000 and for
# 12,000 keep-alive requests from `ab` at 4 connections, and prints the difference
# divided by 10,000: the cost of one request, start-up and shutdown cancelled out.
# Needs valgrind, ab (Debian: apache2-utils) and curl; BENCH_SKIP_BUILD=1 and
# CARGO_TARGET_DIR as in bench/run.sh. (The token on ab's command line is a throwaway of
# the temporary database, which is removed on exit.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for tool in valgrind ab curl; do
    command -v "$tool" >/dev/null || { echo "instructions: '$tool' is not installed" >&2; exit 2; }
done
cd "$ROOT"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --quiet --bin access-tokens --example seed_tokens --example limit
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/access-tokens-instructions.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export ACCESS_TOKENS_DATABASE=$TMP/db.sqlite
"$TARGET_DIR/release/examples/seed_tokens" --tokens 200 --users 2 >"$TMP/seed.out" 2>/dev/null
TOKEN=$(sed -n 's/^BENCH_TOKEN=//p' "$TMP/seed.out")
PAGE_USER=$(sed -n 's/^BENCH_PAGE_USER=//p' "$TMP/seed.out")
PASSWORD=$(sed -n 's/^BENCH_PASSWORD=//p' "$TMP/seed.out")
PORT=$((20000 + RANDOM % 20000))

# The page case's cookies: signed in through the form as the page user (50
# tokens), as bench/run.sh does; once per server run, so the two runs' sign-ins
# (an argon2id hash each) cancel out.
sign_in() {
    local jar=$TMP/cookies.txt csrf
    csrf=$(curl -s -c "$jar" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
    { printf 'data-urlencode = "username=%s"\n' "$PAGE_USER"
      printf 'data-urlencode = "password=%s"\n' "$PASSWORD"
      printf 'data-urlencode = "csrf_token=%s"\n' "$csrf"; } |
        curl -s -K - -b "$jar" -c "$jar" -o /dev/null "http://127.0.0.1:$PORT/login"
    HEADERS=(-H "Cookie: $(sed 's/^#HttpOnly_//' "$jar" | awk -F'\t' '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }')")
}

# count N CMD...: the instructions of CMD serving N requests of the case.
count() {
    local n=$1 out=$TMP/callgrind.$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$TMP/server.log" &
    local pid=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT$READY" && break
        sleep 0.2
    done
    [ "$URL_PATH" = /preferences/access-tokens ] && sign_in
    # -l: a list's length changes once its token's "last used" is written.
    ab -q -k -l -c 4 -n "$n" "${HEADERS[@]}" "http://127.0.0.1:$PORT$URL_PATH" >"$TMP/ab.$n" 2>&1
    grep -q '^Failed requests: *0' "$TMP/ab.$n" || { cat "$TMP/ab.$n" >&2; exit 1; }
    kill -INT "$pid"
    wait "$pid" 2>/dev/null || true
    cat "$out"* | awk '/^totals:/ { s += $2 } END { print s }'
}

for case in "${@:-limit healthz verify list}"; do
  for c in $case; do
    SERVER=("$TARGET_DIR/release/access-tokens" serve --bind "127.0.0.1:$PORT")
    READY=/healthz HEADERS=()
    case $c in
    limit) SERVER=("$TARGET_DIR/release/examples/limit" "127.0.0.1:$PORT"); READY=/; URL_PATH=/ ;;
    healthz) URL_PATH=/healthz ;;
    verify) URL_PATH=/auth/verify; HEADERS=(-H "Authorization: Bearer $TOKEN") ;;
    list) URL_PATH=/v4/apiAccessTokens; HEADERS=(-H "Authorization: Bearer $TOKEN") ;;
    page) URL_PATH=/preferences/access-tokens ;;
    *) echo "instructions: unknown case $c" >&2; exit 2 ;;
    esac
    few=$(count 2000 "${SERVER[@]}")
    many=$(count 12000 "${SERVER[@]}")
    printf '%-8s %8d instructions per request\n' "$c" $(((many - few) / 10000))
  done
done
