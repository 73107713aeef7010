#!/usr/bin/env bash
# A flame graph of one route under load, as docs/PERFORMANCE.md shows them: the
# release server on a freshly seeded SQLite file, sampled by `perf record` while
# wrk drives the route, folded and drawn by inferno.
#
#   bash bench/profile.sh [CASE] [OUT.svg]
#
# CASE is verify-legacy (default), verify-oauth, healthz, list-tokens or page
# (Preferences > Access Tokens with 50 tokens, signed in). Needs
# `perf` (Debian: linux-perf; it samples cpu-clock where the machine has no
# hardware counters), `inferno-collapse-perf` and `inferno-flamegraph`
# (`cargo install inferno`), wrk and curl. Knobs: PROFILE_SECONDS (10),
# PROFILE_FREQUENCY (499 samples a second per CPU), BENCH_SKIP_BUILD=1, and
# CARGO_TARGET_DIR as cargo reads it. Stacks are unwound from DWARF call frame
# information, which a release build keeps (no frame pointers needed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CASE=${1:-verify-legacy}
OUT=${2:-$ROOT/target/flamegraph-$CASE.svg}
SECONDS_TO_SAMPLE=${PROFILE_SECONDS:-10}
FREQUENCY=${PROFILE_FREQUENCY:-499}

for tool in perf inferno-collapse-perf inferno-flamegraph wrk curl; do
    command -v "$tool" >/dev/null || { echo "profile: '$tool' is not installed" >&2; exit 2; }
done
cd "$ROOT"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --quiet --bin access-tokens --example seed_tokens
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/access-tokens
TMP=$(mktemp -d "${TMPDIR:-/tmp}/access-tokens-profile.XXXXXX")
SERVER_PID=
cleanup() {
    [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }
    rm -rf "$TMP"
}
trap cleanup EXIT

export ACCESS_TOKENS_DATABASE=$TMP/profile.db
export RUST_LOG=${BENCH_RUST_LOG:-info}
"$TARGET_DIR/release/examples/seed_tokens" --tokens 10000 --users 10 >"$TMP/seed.out" 2>/dev/null
seeded() { sed -n "s/^$1=//p" "$TMP/seed.out"; }

"$BIN" serve --bind 127.0.0.1:0 >/dev/null 2>"$TMP/server.log" &
SERVER_PID=$!
port=
for _ in $(seq 500); do
    port=$(grep -m1 -o 'access-tokens is listening.* port=[0-9]*' "$TMP/server.log" | sed 's/.*port=//' || true)
    [ -n "$port" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ] && break
    sleep 0.01
done
BASE=http://127.0.0.1:$port

AUTH=
case $CASE in
verify-legacy) path=/auth/verify; AUTH="Bearer $(seeded BENCH_TOKEN)" ;;
verify-oauth)
    path=/auth/verify
    token=$(printf 'user = "%s:%s"\n' "$(seeded BENCH_USER)" "$(seeded BENCH_PASSWORD)" |
        curl -s -K - -H 'Content-Type: application/json' -d '{"name": "profile", "lifetimeDays": 1}' \
            "$BASE/v4/oauthTokens" | sed -n 's/.*"accessToken": *"\([^"]*\)".*/\1/p')
    AUTH="Bearer $token" ;;
healthz) path=/healthz ;;
list-tokens) path=/v4/apiAccessTokens; AUTH="Bearer $(seeded BENCH_TOKEN)" ;;
page)
    # Signed in through the form, as bench/run.sh does.
    path=/preferences/access-tokens
    jar=$TMP/cookies.txt
    csrf=$(curl -s -c "$jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
    { printf 'data-urlencode = "username=%s"\n' "$(seeded BENCH_PAGE_USER)"
      printf 'data-urlencode = "password=%s"\n' "$(seeded BENCH_PASSWORD)"
      printf 'data-urlencode = "csrf_token=%s"\n' "$csrf"; } |
        curl -s -K - -b "$jar" -c "$jar" -o /dev/null "$BASE/login"
    BENCH_COOKIE=$(sed 's/^#HttpOnly_//' "$jar" | awk -F'\t' '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }')
    export BENCH_COOKIE ;;
*) echo "profile: unknown case $CASE" >&2; exit 2 ;;
esac

# Warm the caches first, then sample the server alone (not wrk) while it is loaded.
BENCH_AUTH=$AUTH wrk -t2 -c64 -d2s -s bench/wrk.lua "$BASE$path" >/dev/null
BENCH_AUTH=$AUTH wrk -t2 -c64 -d"$((SECONDS_TO_SAMPLE + 2))s" -s bench/wrk.lua "$BASE$path" >"$TMP/wrk.txt" &
WRK_PID=$!
sleep 1
perf record -q -F "$FREQUENCY" --call-graph dwarf,32768 -p "$SERVER_PID" -o "$TMP/perf.data" \
    -- sleep "$SECONDS_TO_SAMPLE" 2>"$TMP/perf.log" || { cat "$TMP/perf.log" >&2; exit 1; }
wait "$WRK_PID"
perf script -i "$TMP/perf.data" 2>/dev/null | inferno-collapse-perf >"$TMP/folded.txt"
inferno-flamegraph --title "access-tokens: $CASE ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))" \
    --width 1400 <"$TMP/folded.txt" >"$OUT"
# The folded stacks too, for reading shares as text (PROFILE_FOLDED=path).
[ -z "${PROFILE_FOLDED:-}" ] || cp "$TMP/folded.txt" "$PROFILE_FOLDED"
echo "profile: $(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.txt") req/s while sampled; $OUT" >&2
