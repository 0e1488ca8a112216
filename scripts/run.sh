#!/usr/bin/env bash
# Starts the main job: `sshgate-host demo` — the page, the WebSocket bridge and a device server in
# one process on http://127.0.0.1:8080/ (keys, a dev CA and the demo password in ./demo-data, made
# on first start). The page (www/dist) and the npm package under it (pkg/) are built first.
# Extra arguments go to the demo (e.g. --listen, --data-dir, --target NAME=HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p sshgate-host
npm run --silent build
exec target/release/sshgate-host demo --static www/dist "$@"
