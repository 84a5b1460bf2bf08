#!/bin/sh
# Run one fuzz target for a bounded time: ./run.sh <target> <seconds> [workdir [libFuzzer flags...]]
# New inputs go to the work directory (default /tmp/csrsim-fuzz/<target>); the committed
# seeds in corpus/<target>/ are read only. Crashes land in artifacts/<target>/.
# Extra flags go to libFuzzer (e.g. `-jobs=1 -workers=1` on a shared machine: one process,
# its output in fuzz-0.log).
set -eu
t="$1"; secs="$2"; shift 2
work="${1:-/tmp/csrsim-fuzz/$t}"; [ $# -gt 0 ] && shift
cd "$(dirname "$0")"
mkdir -p "$work" "artifacts/$t"
RUSTC_BOOTSTRAP=1 cargo fuzz build -s none "$t"
dict=""
[ -f "dicts/$t.dict" ] && dict="-dict=dicts/$t.dict"
exec "target/x86_64-unknown-linux-gnu/release/$t" $dict \
  -artifact_prefix="artifacts/$t/" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$@" "$work" "corpus/$t"
