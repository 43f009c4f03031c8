#!/usr/bin/env bash
# Runs every test: Rust unit, property and integration tests (SQLite and PostgreSQL),
# then the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
# The browser tests start the real binary: tell them where cargo puts it.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
export CARGO_TARGET_DIR
export HOMESHORE_BIN="$CARGO_TARGET_DIR/debug/homeshore"
bash scripts/web.sh
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
# The front end's unit tests, then the browser tests against the real binary.
(cd web && npm test --silent)
cargo build -p homeshore
(cd web && npm run --silent test:browser)
