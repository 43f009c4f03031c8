#!/usr/bin/env bash
# Builds the browser apps (web/) into web/dist, which the binary serves. Skips the build
# when nothing under web/ changed since the last one: rewriting web/dist makes cargo
# rebuild the server (its build script watches the folder).
set -euo pipefail
cd "$(dirname "$0")/../web"
[ -f package.json ] || { echo "web: no front end yet"; exit 0; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
stamp=node_modules/.homeshore-dist-stamp
if [ -f dist/index.html ] && [ -f dist/widget.js ] && [ -f "$stamp" ] &&
  [ -z "$(find . \( -path ./node_modules -o -path ./dist -o -path ./tests \) -prune -o -type f -newer "$stamp" -print -quit)" ]; then
  echo "web: dist is up to date"
  exit 0
fi
npm run build --silent
touch "$stamp"
