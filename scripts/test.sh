#!/usr/bin/env bash
# Runs every test: Rust unit, property and integration tests (SQLite and PostgreSQL),
# the schema-driven fuzzer against the API (scripts/fuzz-api.sh), then the browser
# tests in headless Chromium against the real binary.
#
# On a fresh Debian machine it first installs what the tests need (Chromium, sipp,
# dovecot and espeak-ng with apt-get when run as root, the front end's npm packages with `npm ci`), or stops
# at once with the exact command to run (always, with HOMESHORE_NO_INSTALL=1). The
# workspace is compiled once: the test build also produces the `homeshore` binary the
# browser tests start.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
timings=()
phase_start=$SECONDS
phase() { # phase NAME: close the previous phase's timer, start NAME's
  if [ -n "${phase_name:-}" ]; then timings+=("$phase_name $((SECONDS - phase_start)) s"); fi
  phase_name=$1
  phase_start=$SECONDS
  echo "test.sh: $1"
}
stop() {
  echo >&2
  echo "test.sh: $1" >&2
  shift
  for line in "$@"; do echo "    $line" >&2; done
  exit 1
}

# ---- What the tests need ----------------------------------------------------------
phase "checking what the tests need"
command -v cargo >/dev/null 2>&1 ||
  stop "no Rust toolchain (cargo). Install it, then run this again:" \
    "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . \"\$HOME/.cargo/env\""
command -v python3 >/dev/null 2>&1 ||
  stop "python3 is missing (it reads cargo's build output). Install it:" "apt-get install -y python3"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 ||
  ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  stop "the front end needs Node.js 20.19 or newer with npm (found: $(node --version 2>/dev/null || echo none))." \
    "apt-get install -y nodejs npm     # Debian 13; on older releases use https://nodejs.org"
fi
chromium_bin=${CHROMIUM_PATH:-/usr/bin/chromium}
apt_need=()
[ -x "$chromium_bin" ] || apt_need+=(chromium)
command -v sipp >/dev/null 2>&1 || apt_need+=(sip-tester)
# The email tests read mail from a real IMAP server.
[ -x /usr/sbin/dovecot ] || apt_need+=(dovecot-imapd)
# Contact flows speak their prompts with espeak-ng (without it they are chimes).
command -v espeak-ng >/dev/null 2>&1 || apt_need+=(espeak-ng)
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_need+=(python3-venv)
if [ ${#apt_need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${HOMESHORE_NO_INSTALL:-}" ]; then
    echo "test.sh: installing ${apt_need[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_need[@]}" >/dev/null
    [ -x "$chromium_bin" ] || stop "Chromium is still not at $chromium_bin after installing it: set CHROMIUM_PATH to its path."
  else
    stop "the tests need ${apt_need[*]}. Install, then run this again:" \
      "sudo apt-get install -y ${apt_need[*]}"
  fi
fi
bash scripts/services.sh

# ---- Build: the front end, then the workspace once --------------------------------
phase "building the browser apps (npm ci when needed, vite)"
bash scripts/web.sh

# The browser tests start the real binary: tell them where cargo puts it.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
export CARGO_TARGET_DIR

phase "compiling the tests and the homeshore binary (one build)"
# The test build compiles the `homeshore` binary too (its integration tests run it), with
# the same features as the tests; a separate `cargo build -p homeshore` would resolve
# features differently and compile much of the workspace a second time.
HOMESHORE_BIN=$(
  cargo test --workspace --no-run --message-format=json-render-diagnostics |
    python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    t = m.get("target", {})
    if m.get("reason") == "compiler-artifact" and t.get("name") == "homeshore" \
            and "bin" in t.get("kind", []) and not m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"])
'
)
if [ -z "$HOMESHORE_BIN" ] || [ ! -x "$HOMESHORE_BIN" ]; then
  cargo build -p homeshore
  HOMESHORE_BIN="$CARGO_TARGET_DIR/debug/homeshore"
fi
export HOMESHORE_BIN

# ---- Run ---------------------------------------------------------------------------
phase "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

phase "schema fuzzer (schemathesis) against /api/openapi.json"
bash scripts/fuzz-api.sh

phase "front end unit tests (vitest)"
(cd web && npm test --silent)

phase "browser tests (headless Chromium, $HOMESHORE_BIN)"
(cd web && npm run --silent test:browser)

phase "done"
echo "test.sh: all tests passed in $((SECONDS - started)) s (${timings[*]/%/;})"
