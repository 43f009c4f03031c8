#!/usr/bin/env bash
# Builds the browser apps (web/) into web/dist, which the binary serves.
set -euo pipefail
cd "$(dirname "$0")/../web"
[ -f package.json ] || { echo "web: no front end yet"; exit 0; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
