#!/usr/bin/env bash
# Runs every test: Rust unit, property and integration tests (SQLite and PostgreSQL),
# then the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/web.sh
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
if [ -f web/package.json ] && grep -q '"test:browser"' web/package.json; then
  cargo build -p homeshore
  (cd web && npm run --silent test:browser)
fi
