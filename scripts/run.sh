#!/usr/bin/env bash
# Starts the main job. Until the browser issue lands this is the device server
# (`sshgate-host serve`) with the example configuration; host keys are generated on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p sshgate-host
exec target/release/sshgate-host serve --config native-host/examples/device.toml "$@"
