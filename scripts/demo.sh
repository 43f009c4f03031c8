#!/usr/bin/env bash
# Starts the demo center at http://localhost:8080 (embedded SQLite, seeded organisation,
# simulated customers and agents). Extra arguments go to `homeshore demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/web.sh
exec cargo run --release -p homeshore -- demo "$@"
