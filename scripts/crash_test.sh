#!/bin/sh
# Crash safety, 20 cycles (issue 9): csrsim serve on its data dir (log store), several writers, SIGKILL at a random
# moment, restart, check every acknowledged write, resourceVersion monotonicity, watch resume/410.
# Usage: scripts/crash_test.sh [cycles] [clients]   (builds the release binary first)
set -eu
cd "$(dirname "$0")/.."
CYCLES="${1:-20}"
CLIENTS="${2:-4}"
cargo build --release --bin csrsim
exec target/release/csrsim bench crash --cycles "$CYCLES" --clients "$CLIENTS"
