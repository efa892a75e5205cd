#!/usr/bin/env bash
# bench/build.sh: the timings of a real build, per step and per chapter, from a work directory's
# stamps (the last successful run of each step), into docs/BENCHMARKS.md.
#   bench/build.sh LABEL WORKDIR [UNTIL]
# LABEL names the section (e.g. "ch5-7-j2", "ch6-sequential"); UNTIL limits the chapters
# (e.g. ch7). The section sits between <!-- bench:build-LABEL:begin/end --> and nothing else
# in the file is touched. The note (how the build was run) comes from $NOTE. The tables are
# made by bench/report.py (shared with bench/all.sh and bench/sched.sh).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench/build.sh LABEL WORKDIR [UNTIL]" >&2; exit 2; }
label=$1 work=$2 until=${3:-}
cd "$(dirname "$0")/.."
[ -d "$work/state/stamps" ] || { echo "bench/build.sh: no stamps in $work/state/stamps" >&2; exit 1; }
section=$(python3 bench/report.py build "$label" "$work" "$until" "${NOTE:-}")
echo "$section"
. bench/lib.sh
bench_write "build-$label" "$section"
