#!/usr/bin/env bash
# CI, after the tests: fuzz the v4 API against its own OpenAPI document with
# schemathesis (https://schemathesis.readthedocs.io). Fails on any 5xx, any answer the
# document does not describe (status, content type, headers, body schema), any valid
# request refused or invalid one accepted, and any route that ignores credentials.
#
#   .ci/schemathesis.sh [BINARY]      BINARY defaults to target/debug/access-tokens
#
# It builds nothing. The server runs on a free loopback port over a temporary SQLite
# file, or over ACCESS_TOKENS_DATABASE when set (e.g. a postgres:// URL; two users with
# random names are created there, and their tokens are left behind).
#
# Optional: SCHEMATHESIS_MAX_EXAMPLES (default 50 per operation and phase),
# SCHEMATHESIS_SEED (to replay a run; every run prints its seed), PYTHON (python3),
# SCHEMATHESIS_OUTPUT (where schemathesis's whole output is kept as well; default
# target/schemathesis.log, emptied at each start).
#
# On failure the output ends with the server log's last lines, then the failing
# pass's report (its failures, summary and seed), then one line naming the pass, the
# backend and the seed: CI log viewers show the tail.
set -euo pipefail
cd "$(dirname "$0")/.."

# The major version this script's options and checks are written for.
SCHEMATHESIS_REQUIREMENT='schemathesis>=4.32,<5'
PYTHON=${PYTHON:-python3}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-50}

binary=${1:-target/debug/access-tokens}
if [ ! -x "$binary" ]; then
  echo "no executable at $binary: build it first (cargo build)" >&2
  exit 2
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

# Everything schemathesis prints, every pass, is kept here as well.
output=${SCHEMATHESIS_OUTPUT:-target/schemathesis.log}
mkdir -p "$(dirname "$output")"
: >"$output"

workdir=$(mktemp -d)
server_pid=
backend=SQLite
current_pass=
cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$workdir/server.log" ]; then
    # The first start prints the generated admin password: keep it out of CI logs.
    echo "== last lines of the server log" >&2
    grep -vi 'password' "$workdir/server.log" | tail -n 40 >&2 || true
  fi
  # CI shows the tail of a log: the failing checks and the seed go last.
  if [ "$status" -ne 0 ] && [ -n "$current_pass" ] && [ -s "$workdir/pass.log" ]; then
    report_tail "$status"
  fi
  rm -rf "$workdir"
  exit "$status"
}

# The failing pass's report from its FAILURES or ERRORS section on (network errors
# and the like are ERRORS; its last 60 lines when there is neither, e.g. schemathesis
# could not start), then where it failed and its seed.
report_tail() {
  local seed
  echo "== schemathesis report: the $current_pass pass on $backend failed (exit $1; all output in $output)" >&2
  awk '/^=+ (FAILURES|ERRORS) =+$/ { found = 1 } found' "$workdir/pass.log" >"$workdir/failures.log"
  if [ -s "$workdir/failures.log" ]; then
    tail -n 300 "$workdir/failures.log" >&2
  else
    tail -n 60 "$workdir/pass.log" >&2
  fi
  seed=$(sed -n 's/^Seed: \([0-9]*\).*/\1/p' "$workdir/pass.log" | tail -n 1)
  # The passes share the seed option: replaying a later pass replays the ones before
  # it with that seed too, so the server's state may differ from the failed run's.
  echo "== schemathesis FAILED: the $current_pass pass on $backend${seed:+, seed $seed; replay with SCHEMATHESIS_SEED=$seed${ACCESS_TOKENS_DATABASE:+ and the same ACCESS_TOKENS_DATABASE}}" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- schemathesis ----------------------------------------------------------------

schemathesis_major() {
  "$1" -c 'from importlib.metadata import version; print(version("schemathesis").split(".")[0])' \
    2>/dev/null || true
}

python=$PYTHON
if [ "$(schemathesis_major "$python")" != 4 ]; then
  echo "== installing $SCHEMATHESIS_REQUIREMENT"
  if ! "$python" -m pip install --quiet --disable-pip-version-check "$SCHEMATHESIS_REQUIREMENT"; then
    # An externally managed Python (PEP 668): use a virtual environment instead.
    venv=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
    "$PYTHON" -m venv "$venv"
    python=$venv/bin/python
    "$python" -m pip install --quiet --disable-pip-version-check "$SCHEMATHESIS_REQUIREMENT"
  fi
fi
schemathesis() {
  # The CLI's entry point, so a scripts folder missing from PATH does not matter.
  "$python" -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; sys.exit(schemathesis())' "$@"
}
schemathesis --version

# --- the server ------------------------------------------------------------------

database=${ACCESS_TOKENS_DATABASE:-$workdir/access-tokens.db}
case "$database" in
  postgres:* | postgresql:*) backend=PostgreSQL ;;
esac
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base_url=http://127.0.0.1:$port

# The invalid-token throttle is lifted: ignored_auth and the negative phases send
# many refused tokens from this one address, and a 429 where the document promises
# 401 for a wrong token would be a false alarm. The throttle has its own tests
# (tests/forward_auth.rs).
"$binary" serve --bind "127.0.0.1:$port" --database "$database" \
  --invalid-token-burst 1000000000 >"$workdir/server.log" 2>&1 &
server_pid=$!

# GET with optional Basic credentials; the body goes to $2 (a file) when given.
http_get() {
  "$python" - "$@" <<'PY'
import base64, sys, urllib.request
url, out, auth = (sys.argv[1:] + ["", ""])[:3]
request = urllib.request.Request(url)
if auth:
    request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
with urllib.request.urlopen(request, timeout=5) as response:
    body = response.read()
if out:
    open(out, "wb").write(body)
PY
}

echo "== waiting for $base_url/healthz"
for attempt in $(seq 1 100); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server exited before answering /healthz" >&2
    exit 1
  fi
  if http_get "$base_url/healthz" 2>/dev/null; then
    break
  fi
  if [ "$attempt" = 100 ]; then
    echo "no answer from /healthz after 20 s" >&2
    exit 1
  fi
  sleep 0.2
done

# Two users: schemathesis acts as the owner, and replays the owner's reads as the
# other one (object_level_authorization), who must not see the owner's tokens.
suffix=$("$python" -c 'import secrets; print(secrets.token_hex(6))')
owner=fuzz-owner-$suffix
other=fuzz-other-$suffix
for user in "$owner" "$other"; do
  "$python" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$workdir/$user.password"
  # Workspace admins: members may not generate tokens by default. The owner is an
  # instance admin too, so that the accounts routes are fuzzed past their 403; the
  # other user is not, so object_level_authorization sees them refused.
  role=(--admin)
  if [ "$user" = "$owner" ]; then role+=(--instance-admin); fi
  "$binary" user add "$user" "${role[@]}" --password-stdin --database "$database" \
    <"$workdir/$user.password" >/dev/null
done

# Each user's credential for the run is an access token, made with their password
# here: Basic sign-ins with wrong passwords (ignored_auth makes one per operation) are
# throttled after five per user name, and then even the right password gets 429 for
# 15 minutes, which would end the run. Refused tokens are throttled only past a
# burst, which the server above lifts.
# Web Fuzzing Commons auth file: fixed Bearer credentials per user.
make_auth() {
"$python" - "$workdir" "$base_url" "$owner" "$other" <<'PY'
import base64, json, pathlib, sys, urllib.request
workdir, base_url, owner, other = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def bearer(user):
    password = (workdir / f"{user}.password").read_text().strip()
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(
        f"{base_url}/v4/apiAccessTokens",
        data=json.dumps({"lifetimeSeconds": 86400, "description": "schemathesis"}).encode(),
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.load(response)["tokenValue"]
    return [{"name": "Authorization", "value": f"Bearer {token}"}]
auth = [{"name": "owner", "fixedHeaders": bearer(owner)}, {"name": "other", "fixedHeaders": bearer(other)}]
(workdir / "auth.json").write_text(json.dumps({"auth": auth}))
PY
}
make_auth

# negative_data_rejection: schemathesis's own list of rejection statuses, plus 413.
# A body over an operation's size limit (16 KiB, 64 KiB for the bulk ones) is refused
# with 413 before it is read, as each such operation documents; schemathesis builds
# such bodies when it breaks a maxItems (2881 valid UUIDs for at most 1000 once,
# seed 75616446486805090882888768750266843681), and 413 rejects them as surely as 400.
cat >"$workdir/schemathesis.toml" <<'TOML'
[auth.wfc]
path = "auth.json"
user = "owner"
peers = ["owner", "other"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

# A password is refused with 400 when it is easy to guess (a zxcvbn estimate, which
# no JSON Schema can state; the document says so): a schema-valid password may be
# rightly refused. Schemathesis's own list otherwise, plus 400.
[[operations]]
include-operation-id = ["addWorkspaceMember", "updateAccount"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

# Scope names are the workspace's own: a well-formed name that is neither built in
# nor one of its service scopes is refused with 400 (`unknownScopes`), and so is a
# service scope named like a built-in one or a member scope outside `serviceScopes`;
# no JSON Schema can list a workspace's names (the document says so).
[[operations]]
include-operation-id = ["createApiAccessToken", "createOAuthToken", "updateWorkspaceSettings"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
TOML

# The document is fetched first (it needs credentials), so that schemathesis also
# fuzzes GET /v4/open-api-spec: it skips the operation its schema was loaded from.
http_get "$base_url/v4/open-api-spec" "$workdir/openapi.json" \
  "$owner:$(cat "$workdir/$owner.password")"
# The run authenticates with Bearer only: ignored_auth tries every declared scheme
# with wrong credentials, and wrong Basic credentials are failed sign-ins, throttled
# (429) after five per user name or thirty per address, as designed (docs/API.md).
# So the fuzzed copy of the document declares the Bearer scheme alone; Basic is
# covered by the test suite.
"$python" - "$workdir/openapi.json" <<'PY'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
spec["components"]["securitySchemes"].pop("basic", None)
def bearer_only(requirements):
    return [r for r in requirements if "basic" not in r] or [{"bearer": []}]
spec["security"] = bearer_only(spec.get("security", []))
for item in spec["paths"].values():
    for operation in item.values():
        if isinstance(operation, dict) and "security" in operation:
            operation["security"] = bearer_only(operation["security"])
json.dump(spec, open(path, "w"))
PY

# --- the run -----------------------------------------------------------------------

# Every check but unsupported_method: a method a path does not have answers 404
# RouteNotFoundException by design (docs/API.md), where that check wants 405.
#
# The credentials are Bearer tokens (see above), so ignored_auth's wrong credentials
# are refused tokens, never throttled sign-ins. Generated Authorization headers stay
# off: a generated Basic header is a failed sign-in that counts towards throttling
# this address.
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks+=,response_headers_conformance,response_schema_conformance
checks+=,negative_data_rejection,positive_data_acceptance,missing_required_header
checks+=,allow_header_conformance,use_after_free,ensure_resource_availability
checks+=,ignored_auth,object_level_authorization

seed_args=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then
  seed_args=(--seed "$SCHEMATHESIS_SEED")
fi

# Three passes over the same server. The operations that can take the fuzzing user's
# own access away go after the rest, on their own: run earlier, they would leave
# every later operation nothing but 401s to check. First deleting legacy access
# tokens (which the fuzzing users call with: one by one, or in bulk), then turning
# tokens, or legacy tokens, off for the workspace, deleting the tokens that break a
# policy, demoting, suspending or removing members, changing accounts; each pass with
# fresh tokens.
# Disabling and deleting OAuth API tokens (disableOAuthToken(s), deleteOAuthToken(s),
# the workspaceOAuthTokens ones) stay in the first pass: they act on OAuth grants
# only, which the fuzzing users' legacy access tokens are not.
deleting_ops=(deleteApiAccessToken deleteWorkspaceAccessToken deleteWorkspaceAccessTokens)
cutting_ops=(updateWorkspaceSettings deleteViolatingTokens updateWorkspaceMember removeWorkspaceMember updateAccount)
exclude=()
deleting=()
cutting=()
for op in "${deleting_ops[@]}"; do
  exclude+=(--exclude-operation-id "$op")
  deleting+=(--include-operation-id "$op")
done
for op in "${cutting_ops[@]}"; do
  exclude+=(--exclude-operation-id "$op")
  cutting+=(--include-operation-id "$op")
done

# run_schemathesis PASS [OPTIONS...]: one pass, its output shown, kept in
# $workdir/pass.log for the report on failure, and appended to $output.
run_schemathesis() {
  local status=0
  current_pass=$1
  shift
  # From the work folder, so that nothing is written into the repository.
  (
    cd "$workdir"
    schemathesis --config-file "$workdir/schemathesis.toml" run "$workdir/openapi.json" \
      --url "$base_url" \
      --checks "$checks" \
      --generation-with-security-parameters false \
      --phases examples,coverage,fuzzing,stateful \
      --max-examples "$MAX_EXAMPLES" \
      --request-timeout 10 \
      --generation-database none \
      --no-color \
      "${seed_args[@]}" "$@"
  ) 2>&1 | tee "$workdir/pass.log" || status=$?
  cat "$workdir/pass.log" >>"$output"
  if [ "$status" -eq 0 ]; then
    # A later failure outside schemathesis (e.g. make_auth) is not this pass's.
    current_pass=
  fi
  return "$status"
}

echo "== schemathesis: $MAX_EXAMPLES examples per operation, against $base_url"
run_schemathesis first "${exclude[@]}"
# Fresh tokens before each later pass: the one before may have deleted the ones it
# had (that is its job).
echo "== schemathesis: deleting access tokens"
make_auth
run_schemathesis deleting "${deleting[@]}"
echo "== schemathesis: the operations that can revoke the fuzzing user's own access"
make_auth
run_schemathesis cutting "${cutting[@]}"
