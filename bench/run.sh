#!/usr/bin/env bash
# The benchmark of docs/PERFORMANCE.md: a release build on loopback, 100,000 tokens
# seeded, wrk at 64 connections per case, a table judged against the targets.
# Exits 1 when a target is missed, 2 when something it needs is missing, 3 when every
# target is met but the machine's speed moved during the run (see "drift" below).
#
#   bash bench/run.sh
#
# Knobs (environment): BENCH_SECONDS (10) per case, BENCH_WARMUP (2) seconds before
# each, BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_TOKENS (100000),
# BENCH_USERS (100), BENCH_DATABASE (a fresh SQLite file; or an EMPTY PostgreSQL
# database as postgres://...), BENCH_RUST_LOG (the server's RUST_LOG, default info
# as shipped), BENCH_REFUSED_RATIO (0.9), BENCH_DRIFT_MAX_PCT (10), BENCH_SKIP_BUILD=1,
# BENCH_KEEP=1 (keep the temporary directory with the server's log).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_CASE=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
TOKENS=${BENCH_TOKENS:-100000}
USERS=${BENCH_USERS:-100}
REFUSED_RATIO=${BENCH_REFUSED_RATIO:-0.9}
# The targets (docs/PERFORMANCE.md). `limit` is a bare actix-web server
# (bench/limit.rs): the ceiling of any route on this machine.
HEALTHZ_MIN_PCT_OF_LIMIT=65
VERIFY_MIN_PCT_OF_LIMIT=50
# A check that requires a scope costs about what one that does not costs.
SCOPED_MIN_PCT_OF_LEGACY=95
# The token list, of /healthz: on SQLite; on PostgreSQL (a round trip per request)
# with its own p99 bound.
LIST_MIN_PCT=40
LIST_MIN_PCT_PG=25
LIST_P99_MAX_MS_PG=10
# The Access Tokens page with 50 tokens, signed in, of /healthz (SQLite).
PAGE_MIN_PCT=15
P99_MAX_MS=5
RSS_MAX_MIB=64
STARTUP_MAX_MS=1000
# How far the ceiling measured at the end may be from the one at the start before
# the run is called unsteady.
DRIFT_MAX_PCT=${BENCH_DRIFT_MAX_PCT:-10}

for tool in wrk curl awk; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench: '$tool' is not installed." >&2
        [ "$tool" = wrk ] && echo "  Debian/Ubuntu: sudo apt-get install wrk   (others: https://github.com/wg/wrk)" >&2
        exit 2
    fi
done

cd "$ROOT"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    echo "bench: building (release)..." >&2
    cargo build --release --quiet --bin access-tokens --example seed_tokens --example limit
fi
# Where cargo put them: CARGO_TARGET_DIR when set, as cargo itself reads it.
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/access-tokens
SEED=$TARGET_DIR/release/examples/seed_tokens
LIMIT=$TARGET_DIR/release/examples/limit

TMP=$(mktemp -d "${TMPDIR:-/tmp}/access-tokens-bench.XXXXXX")
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        echo "bench: kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT

# The database URL goes through the environment, not argv: a PostgreSQL URL may
# hold a password.
export ACCESS_TOKENS_DATABASE=${BENCH_DATABASE:-$TMP/bench.db}
export RUST_LOG=${BENCH_RUST_LOG:-info}
DB_KIND=SQLite
case $ACCESS_TOKENS_DATABASE in postgres://* | postgresql://*) DB_KIND=PostgreSQL ;; esac
if [ "$DB_KIND" = PostgreSQL ]; then
    LIST_MIN_PCT=$LIST_MIN_PCT_PG
fi

LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: seeding $TOKENS tokens among $USERS users..." >&2
seed_started=$(date +%s%N)
"$SEED" --tokens "$TOKENS" --users "$USERS" >"$TMP/seed.out" 2>"$TMP/seed.log" || {
    cat "$TMP/seed.log" >&2
    exit 1
}
SEED_MS=$((($(date +%s%N) - seed_started) / 1000000))
seeded() { sed -n "s/^$1=//p" "$TMP/seed.out"; }
BENCH_USER=$(seeded BENCH_USER)
# The member with 50 tokens whose Access Tokens page the `page` case renders.
PAGE_USER=$(seeded BENCH_PAGE_USER)
BENCH_PASSWORD=$(seeded BENCH_PASSWORD)
LEGACY_TOKEN=$(seeded BENCH_TOKEN)
# The same user's token with the service scopes deploy and reports:read.
SCOPED_TOKEN=$(seeded BENCH_SCOPED_TOKEN)

# Starts the server with extra flags; sets SERVER_PID, BASE, STARTUP_MS (spawn until
# /healthz answers 200, polled every 10 ms) and LISTEN_MS (spawn until the server
# logs that it listens).
start_server() {
    local log=$TMP/server-$1.log
    shift
    local t0 port="" code
    t0=$(date +%s%N)
    "$BIN" serve --bind 127.0.0.1:0 "$@" >"$TMP/server.out" 2>"$log" &
    SERVER_PID=$!
    for _ in $(seq 1000); do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; echo "bench: the server exited" >&2; exit 1; }
        if [ -z "$port" ]; then
            port=$(grep -m1 -o 'access-tokens is listening.* port=[0-9]*' "$log" | sed 's/.*port=//' || true)
        fi
        if [ -n "$port" ]; then
            code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
            [ "$code" = 200 ] && break
        fi
        sleep 0.01
    done
    STARTUP_MS=$((($(date +%s%N) - t0) / 1000000))
    [ "${code:-}" = 200 ] || { echo "bench: /healthz never answered 200" >&2; exit 1; }
    BASE=http://127.0.0.1:$port
    local stamp
    stamp=$(grep -m1 'access-tokens is listening' "$log" | awk '{print $1}')
    LISTEN_MS=$((($(date -d "$stamp" +%s%N) - t0) / 1000000))
}

stop_server() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# "12.34ms" / "567.00us" / "1.20s" -> milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

ROWS=()
FAILED=0
LIMIT_RPS=
LIMIT_END_RPS=
HEALTHZ_RPS=
LEGACY_RPS=
# Sent by wrk as Cookie on every request when set (the page case).
export BENCH_COOKIE=

pct_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }
share() { awk -v v="$1" -v p="$2" 'BEGIN { print v * p / 100 }'; }

# run_case NAME PATH AUTH KIND [REQUIRED_SCOPES]: KIND is limit, limit-end, baseline, valid,
# scoped, refused, list or page; REQUIRED_SCOPES goes out as X-Auth-Required-Scopes.
run_case() {
    local name=$1 path=$2 auth=$3 kind=$4 out=$TMP/wrk-$1.txt
    export BENCH_REQUIRED_SCOPES=${5:-}
    echo "bench: $name ..." >&2
    BENCH_AUTH=$auth BENCH_COUNT=0 wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" \
        -s bench/wrk.lua "$BASE$path" >/dev/null
    BENCH_AUTH=$auth BENCH_COUNT=0 wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_CASE}s" \
        --latency -s bench/wrk.lua "$BASE$path" >"$out"
    # Counting statuses in wrk's Lua costs it 10-15% of its rate, so the timed run
    # does not count; a short counted run right after it gives the mix of refusals.
    if [ "$kind" = refused ]; then
        BENCH_AUTH=$auth BENCH_COUNT=1 wrk -t"$THREADS" -c"$CONNECTIONS" -d2s \
            -s bench/wrk.lua "$BASE$path" >>"$out"
    fi
    local rps p50 p99 requests non2xx sockets statuses
    # The first report is the timed run's (a counted run may follow it).
    local timed=$TMP/timed-$name.txt
    awk '/^Running/ { n++ } n == 1' "$out" >"$timed"
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$timed")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$timed")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$timed")")
    requests=$(awk '/requests in/ {print $1}' "$timed")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$timed")
    non2xx=${non2xx:-0}
    sockets=$(sed -n 's/^ *Socket errors: //p' "$timed")
    statuses=$(awk '/^status / {printf "%s%s:%s", sep, $2, $3; sep=" "}' "$out")
    [ -n "$sockets" ] && echo "bench: $name: socket errors: $sockets" >&2

    local pct="-" of_limit="-" verdict="PASS" why=""
    [ -n "$LIMIT_RPS" ] && of_limit=$(pct_of "$rps" "$LIMIT_RPS")
    [ -n "$HEALTHZ_RPS" ] && pct=$(pct_of "$rps" "$HEALTHZ_RPS")
    case $kind in
    limit)
        LIMIT_RPS=$rps
        of_limit="100%"
        [ "$non2xx" = 0 ] || why="non-2xx answers"
        ;;
    limit-end)
        LIMIT_END_RPS=$rps
        pct="-"
        [ "$non2xx" = 0 ] || why="non-2xx answers"
        ;;
    baseline)
        HEALTHZ_RPS=$rps
        pct="100%"
        [ "$non2xx" = 0 ] || why="non-2xx answers"
        ge "$rps" "$(share "$LIMIT_RPS" "$HEALTHZ_MIN_PCT_OF_LIMIT")" ||
            why="${why:+$why; }below ${HEALTHZ_MIN_PCT_OF_LIMIT}% of limit"
        ;;
    valid | scoped)
        [ "$non2xx" = 0 ] || why="non-2xx answers (the token was refused)"
        ge "$rps" "$(share "$LIMIT_RPS" "$VERIFY_MIN_PCT_OF_LIMIT")" ||
            why="${why:+$why; }below ${VERIFY_MIN_PCT_OF_LIMIT}% of limit"
        ge "$P99_MAX_MS" "$p99" || why="${why:+$why; }p99 over ${P99_MAX_MS} ms"
        if [ "$kind" = scoped ]; then
            ge "$rps" "$(awk -v v="$LEGACY_RPS" -v p="$SCOPED_MIN_PCT_OF_LEGACY" 'BEGIN { print v * p / 100 }')" ||
                why="${why:+$why; }below ${SCOPED_MIN_PCT_OF_LEGACY}% of verify-legacy"
        fi
        ;;
    refused)
        # Every answer a refusal (401, or 429 from the invalid-token throttle), at
        # least about as fast as a valid token (BENCH_REFUSED_RATIO for noise).
        [ "$non2xx" = "$requests" ] || why="not every answer refused"
        if [ -n "$statuses" ] && echo "$statuses" | tr ' ' '\n' | grep -qv '^\(401\|429\):'; then
            why="${why:+$why; }answers other than 401/429"
        fi
        ge "$rps" "$(awk -v v="$LEGACY_RPS" -v r="$REFUSED_RATIO" 'BEGIN { print v * r }')" ||
            why="${why:+$why; }slower than a valid token"
        ge "$P99_MAX_MS" "$p99" || why="${why:+$why; }p99 over ${P99_MAX_MS} ms"
        ;;
    list)
        [ "$non2xx" = 0 ] || why="non-2xx answers"
        ge "$rps" "$(share "$HEALTHZ_RPS" "$LIST_MIN_PCT")" ||
            why="${why:+$why; }below ${LIST_MIN_PCT}% of /healthz"
        if [ "$DB_KIND" = PostgreSQL ]; then
            ge "$LIST_P99_MAX_MS_PG" "$p99" || why="${why:+$why; }p99 over ${LIST_P99_MAX_MS_PG} ms"
        fi
        ;;
    page)
        [ "$non2xx" = 0 ] || why="non-2xx answers (signed out?)"
        if [ "$DB_KIND" = SQLite ]; then
            ge "$rps" "$(share "$HEALTHZ_RPS" "$PAGE_MIN_PCT")" ||
                why="${why:+$why; }below ${PAGE_MIN_PCT}% of /healthz"
        fi
        ;;
    esac
    [ "$name" = verify-legacy ] && LEGACY_RPS=$rps
    if [ -n "$why" ]; then
        verdict="FAIL ($why)"
        FAILED=1
    fi
    [ -n "$sockets" ] && verdict="$verdict; socket errors: $sockets"
    ROWS+=("$(printf '%-20s %9.0f %7s %8s %7s %7s %9s  %-18s %s' \
        "$name" "$rps" "$of_limit" "$pct" "$p50" "$p99" "$non2xx" "${statuses:--}" "$verdict")")
}

memory() {
    awk '/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 }
        END { printf "VmRSS %.1f MiB, VmHWM (peak) %.1f MiB", rss / 1024, hwm / 1024 }' "/proc/$SERVER_PID/status"
}
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

# A well-formed legacy token that does not exist: the real format (base64 of
# {"tokenId":"<uuid>","secret":"<64 hex>"}), a random id and secret.
unknown_token() {
    local id secret
    id=$(cat /proc/sys/kernel/random/uuid)
    secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    printf '{"tokenId":"%s","secret":"%s"}' "$id" "$secret" | base64 -w0
}
UNKNOWN_TOKEN=$(unknown_token)

# The ceiling: a bare actix-web server on the same machine; sets SERVER_PID and BASE.
start_limit() {
    local port=""
    "$LIMIT" 127.0.0.1:0 >"$TMP/limit.out" 2>"$TMP/limit.log" &
    SERVER_PID=$!
    for _ in $(seq 500); do
        port=$(sed -n 's/^listening on //p' "$TMP/limit.out")
        [ -n "$port" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 200 ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/limit.log" >&2; echo "bench: limit exited" >&2; exit 1; }
        sleep 0.01
    done
    BASE=http://127.0.0.1:$port
}

# Phase 0: the ceiling, which every share is of.
start_limit
run_case limit / "" limit
stop_server

# Phase 1: the server as shipped (throttle of invalid tokens on).
start_server shipped
STARTUP1_MS=$STARTUP_MS
LISTEN1_MS=$LISTEN_MS

# The OAuth access token, through the server's own API with the seeded user's
# password (given to curl on stdin, not argv).
OAUTH_TOKEN=$(printf 'user = "%s:%s"\n' "$BENCH_USER" "$BENCH_PASSWORD" |
    curl -s -K - -H 'Content-Type: application/json' -d '{"name": "bench", "lifetimeDays": 1}' \
        "$BASE/v4/oauthTokens" | sed -n 's/.*"accessToken": *"\([^"]*\)".*/\1/p')
[ -n "$OAUTH_TOKEN" ] || { echo "bench: could not obtain an OAuth access token" >&2; exit 1; }

# verify TOKEN [REQUIRED_SCOPES]: the status /auth/verify answers.
verify() {
    { printf 'header = "Authorization: Bearer %s"\n' "$1"
      [ -z "${2:-}" ] || printf 'header = "X-Auth-Required-Scopes: %s"\n' "$2"; } |
        curl -s -K - -o /dev/null -w '%{http_code}' "$BASE/auth/verify"
}
# The valid tokens must pass before they are timed (a refusal would look fast),
# and the scope must be checked (a token without it refused), or the scoped case
# would time a check that does not happen.
for token in "$LEGACY_TOKEN" "$OAUTH_TOKEN"; do
    code=$(verify "$token")
    [ "$code" = 204 ] || { echo "bench: a seeded token got $code from /auth/verify" >&2; exit 1; }
done
code=$(verify "$SCOPED_TOKEN" deploy)
[ "$code" = 204 ] || { echo "bench: the token with scope deploy got $code where deploy is required" >&2; exit 1; }
code=$(verify "$LEGACY_TOKEN" deploy)
[ "$code" = 403 ] || { echo "bench: a token without scope deploy got $code (not 403) where deploy is required" >&2; exit 1; }

# Signed in as the page user through the sign-in form, as a browser is: the form's
# CSRF token and state cookie first, then the password (on curl's stdin, not argv).
JAR=$TMP/cookies.txt
csrf=$(curl -s -c "$JAR" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
[ -n "$csrf" ] || { echo "bench: the sign-in form has no CSRF token" >&2; exit 1; }
code=$({ printf 'data-urlencode = "username=%s"\n' "$PAGE_USER"
         printf 'data-urlencode = "password=%s"\n' "$BENCH_PASSWORD"
         printf 'data-urlencode = "csrf_token=%s"\n' "$csrf"; } |
    curl -s -K - -b "$JAR" -c "$JAR" -o /dev/null -w '%{http_code}' "$BASE/login")
[ "$code" = 303 ] || { echo "bench: signing in as $PAGE_USER got $code, not 303" >&2; exit 1; }
# curl marks HttpOnly cookies "#HttpOnly_" in its jar; wrk sends them as one header.
PAGE_COOKIE=$(sed 's/^#HttpOnly_//' "$JAR" | awk -F'\t' '!/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }')
rows=$(printf 'header = "Cookie: %s"\n' "$PAGE_COOKIE" |
    curl -s -K - "$BASE/preferences/access-tokens" | grep -o 'bench token [0-9]*' | sort -u | wc -l)
[ "$rows" = 50 ] || { echo "bench: the page case's Access Tokens page shows $rows tokens, not 50" >&2; exit 1; }
# The peak so far holds the two argon2id hashes above (the OAuth token's Basic
# credentials, the sign-in): 19 MiB each while it runs. Reset it, so the figure
# judged is the load's; the peak with them is reported beside it.
HWM_WITH_ARGON1=$(hwm_mib)
echo 5 >"/proc/$SERVER_PID/clear_refs"

run_case healthz /healthz "" baseline
run_case verify-legacy /auth/verify "Bearer $LEGACY_TOKEN" valid
# Right after verify-legacy, which it is judged against.
run_case verify-scoped /auth/verify "Bearer $SCOPED_TOKEN" scoped deploy
run_case verify-oauth /auth/verify "Bearer $OAUTH_TOKEN" valid
run_case verify-garbage /auth/verify "Bearer not-a-token" refused
run_case verify-unknown /auth/verify "Bearer $UNKNOWN_TOKEN" refused
run_case list-tokens /v4/apiAccessTokens "Bearer $LEGACY_TOKEN" list

BENCH_COOKIE=$PAGE_COOKIE
run_case page /preferences/access-tokens "" page
BENCH_COOKIE=
MEMORY1=$(memory)
HWM1=$(hwm_mib)
stop_server

# Phase 2: the same database, the throttle out of the way, so that a refusal is a
# real 401 (an unknown token: one database read each), as an attacker spread over
# many addresses would get.
start_server no-throttle --invalid-token-burst 1000000000 --invalid-token-rate 1000000000
STARTUP2_MS=$STARTUP_MS
LISTEN2_MS=$LISTEN_MS
run_case verify-garbage-401 /auth/verify "Bearer not-a-token" refused
run_case verify-unknown-401 /auth/verify "Bearer $UNKNOWN_TOKEN" refused
MEMORY2=$(memory)
HWM2=$(hwm_mib)
stop_server

# Phase 3: the ceiling again. The shares are of the first measure; this one tells
# whether the machine's speed moved while the cases ran (a shared or throttled
# machine), in which case the shares, and so the verdicts, are not to be trusted.
start_limit
run_case limit-end / "" limit-end
stop_server
UNSTEADY=0
DRIFT_PCT=$(awk -v a="$LIMIT_END_RPS" -v b="$LIMIT_RPS" 'BEGIN { printf "%+.0f", 100 * (a - b) / b }')
if awk -v d="$DRIFT_PCT" -v m="$DRIFT_MAX_PCT" 'BEGIN { exit !(d > m || d < -m) }'; then
    UNSTEADY=1
    DRIFT_VERDICT="UNSTEADY: the machine's speed moved by more than ${DRIFT_MAX_PCT}% during the run; the shares above are not to be trusted, run again on a quieter machine"
else
    DRIFT_VERDICT="steady (within ${DRIFT_MAX_PCT}%)"
fi

RSS_VERDICT=PASS
awk -v a="$HWM1" -v b="$HWM2" -v m="$RSS_MAX_MIB" 'BEGIN { exit !(a < m && b < m) }' ||
    { RSS_VERDICT=FAIL; FAILED=1; }
START_VERDICT=PASS
[ "$STARTUP1_MS" -lt "$STARTUP_MAX_MS" ] && [ "$STARTUP2_MS" -lt "$STARTUP_MAX_MS" ] ||
    { START_VERDICT=FAIL; FAILED=1; }

echo
echo "access-tokens benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "commit    $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)') on $(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)"
echo "machine   $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
echo "loadavg   $LOADAVG_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after (anything above ~0 is other work sharing the CPUs)"
echo "load      wrk $THREADS threads, $CONNECTIONS connections, ${SECONDS_PER_CASE}s per case after ${WARMUP}s warm-up; wrk and the server share the machine"
echo "database  $DB_KIND, $TOKENS tokens among $((USERS + 1)) users (seeded in ${SEED_MS} ms), RUST_LOG=$RUST_LOG"
echo
printf '%-20s %9s %7s %8s %7s %7s %9s  %-18s %s\n' case req/s "%limit" "%healthz" "p50 ms" "p99 ms" non-2xx statuses verdict
for row in "${ROWS[@]}"; do echo "$row"; done
echo
echo "targets   healthz >= ${HEALTHZ_MIN_PCT_OF_LIMIT}% of limit; valid tokens >= ${VERIFY_MIN_PCT_OF_LIMIT}% of limit with p99 <= ${P99_MAX_MS} ms;"
echo "          verify-scoped >= ${SCOPED_MIN_PCT_OF_LEGACY}% of verify-legacy; refused >= ${REFUSED_RATIO} x verify-legacy with p99 <= ${P99_MAX_MS} ms;"
if [ "$DB_KIND" = PostgreSQL ]; then
    echo "          list-tokens >= ${LIST_MIN_PCT}% of /healthz with p99 <= ${LIST_P99_MAX_MS_PG} ms; page: measured, no target on PostgreSQL;"
else
    echo "          list-tokens >= ${LIST_MIN_PCT}% of /healthz; page (50 tokens, signed in) >= ${PAGE_MIN_PCT}% of /healthz;"
fi
echo "          *-401 rows: server restarted with the invalid-token throttle off;"
echo "          limit-end: the ceiling again after every case, its share of the first"
echo "drift     limit at the end ${DRIFT_PCT}% from the start: $DRIFT_VERDICT"
echo "memory    after the load: shipped server $MEMORY1; no-throttle server $MEMORY2 (VmHWM < ${RSS_MAX_MIB} MiB: $RSS_VERDICT)"
echo "          the shipped server's peak reset after its two sign-ins (argon2id, 19 MiB per hash while it runs): ${HWM_WITH_ARGON1} MiB before the reset"
echo "start-up  spawn to /healthz 200: ${STARTUP1_MS} ms (first start on the seeded database), ${STARTUP2_MS} ms (restart);"
echo "          spawn to 'listening' logged: ${LISTEN1_MS} ms, ${LISTEN2_MS} ms (< ${STARTUP_MAX_MS} ms: $START_VERDICT)"
[ "$FAILED" = 0 ] && [ "$UNSTEADY" = 1 ] && exit 3
exit "$FAILED"
