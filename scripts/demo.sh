#!/usr/bin/env bash
# Starts the demo center at http://localhost:8080 (embedded SQLite, seeded organisation,
# simulated customers and agents), with a demo identity provider on 127.0.0.1:8081 for
# "Sign in with Demo ID". Extra arguments go to `homeshore demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/web.sh
# Call flows speak their prompts with espeak-ng; without it they are chimes.
if ! command -v espeak-ng >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "demo: installing espeak-ng for spoken phone prompts"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -qq espeak-ng >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null 2>&1; }) ||
    echo "demo: espeak-ng could not be installed; phone prompts will be chimes"
fi
idp_port="${HOMESHORE_DEMO_IDP_PORT:-8081}"
HOMESHORE_DEMO_IDP_PORT="$idp_port" node web/demo-idp.mjs &
idp=$!
trap 'kill "$idp" 2>/dev/null || true' EXIT
sleep 1
if kill -0 "$idp" 2>/dev/null; then
  export HOMESHORE_DEMO_IDP="http://127.0.0.1:$idp_port"
fi
cargo run --release -p homeshore -- demo "$@"
