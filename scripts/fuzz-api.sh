#!/usr/bin/env bash
# The schema-driven fuzzer (schemathesis, from PyPI) against /api/openapi.json, as an
# outsider with an admin token: every operation with generated and edge-case inputs,
# and chained calls. It fails on any server error (5xx) or any answer that does not
# match the document's own schema.
#
#   bash scripts/fuzz-api.sh                       # the binary from HOMESHORE_BIN, or target/debug
#   FUZZ_EXAMPLES=100 bash scripts/fuzz-api.sh     # longer (default 10 examples per operation)
#
# It installs schemathesis (pinned) into a virtual environment under ~/.cache/homeshore
# the first time, starts a demo center without simulated traffic on a free loopback
# port and a fresh data directory, signs in as its admin and mints an API token.
# Sign-out, MFA, passwords, tokens, users and the organisation's settings are left
# out: the fuzzer would lock its own admin out (they have their own tests).
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv=${HOMESHORE_FUZZ_VENV:-$HOME/.cache/homeshore/schemathesis-$version}
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "fuzz-api.sh: installing schemathesis $version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

bin=${HOMESHORE_BIN:-${CARGO_TARGET_DIR:-target}/debug/homeshore}
[ -x "$bin" ] || { echo "fuzz-api.sh: no binary at $bin (cargo build -p homeshore)" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data=$(mktemp -d)
log="$data/server.log"
HOMESHORE_LOGIN_BURST=1000 "$bin" demo --no-simulation --listen "127.0.0.1:$port" --data-dir "$data/db" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
BASE=$base python3 -c '
import os, time, urllib.request
for _ in range(240):
    try:
        urllib.request.urlopen(os.environ["BASE"] + "/readyz", timeout=2)
        break
    except Exception:
        time.sleep(0.5)
'

token=$(BASE=$base python3 - <<'EOF'
import http.cookiejar, json, os, urllib.request
base = os.environ["BASE"]
jar = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def post(path, body, headers=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json", **(headers or {})})
    return json.load(jar.open(req))
me = post("/api/auth/login", {"org": "demo-retail", "email": "admin@demo-retail.example",
                               "password": "demo-retail-2026"})
t = post("/api/tokens", {"name": "schema fuzzer", "scopes": ["read", "write", "admin"]},
         {"x-csrf-token": me["csrf_token"]})
print(t["token"])
EOF
)

status=0
# Run from the scratch directory: schemathesis leaves its cache in the working directory.
cd "$data"
"$venv/bin/schemathesis" run "$base/api/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "${FUZZ_EXAMPLES:-10}" \
  --seed "${FUZZ_SEED:-2026}" \
  --suppress-health-check filter_too_much \
  --exclude-path-regex '(logout|mfa|password|/api/tokens|/api/users|/api/org$)' \
  --no-color || status=$?
if grep -q "panicked" "$log"; then
  echo "fuzz-api.sh: the server panicked:" >&2
  grep -A12 "panicked" "$log" | head -40 >&2
  status=1
fi
exit $status
