#!/usr/bin/env bash
# bench/all.sh: the whole build of issue 7, measured: `lfsbuild all` (check-host, fetch, build
# without test suites, image, test) from an empty work directory, then the section "full build"
# of docs/BENCHMARKS.md (machine, date, SBU, total wall, wall per stage, per step wall/SBU/CPU/max
# RSS, CPU utilisation, peak disk use, image size on disk, kernel build time, QEMU start to login
# prompt, and the goals).
#   bench/all.sh WORKDIR [lfsbuild option...]                runs `lfsbuild -C WORKDIR all OPTIONS`
#   bench/all.sh --report-only WORKDIR [lfsbuild option...]  runs nothing: the section from what
#                                                            WORKDIR holds (stamps, image, logs)
# RESUMABLE: if it is interrupted (Ctrl-C, a failed step), run the same command again: `lfsbuild
# all` resumes where it stopped, and the files below are appended to, so that the peak disk use
# and the sum of the invocations' wall times cover the whole build. Beside WORKDIR (NAME is its
# base name):
#   NAME-disk.tsv   epoch <tab> KiB of `nice du -sxk WORKDIR`, every BENCH_DISK_INTERVAL s (60)
#   NAME-runs.tsv   "begin <tab> epoch <tab> options" and "end <tab> epoch <tab> exit status" of
#                   each invocation (an invocation killed without its end line ends at its last step)
#   NAME-all.log    the output of lfsbuild, each line after the epoch time it was read at (the
#                   phases' start times, the login prompt line of `lfsbuild test`)
# When WORKDIR has no stamps yet (a fresh build), these three files are emptied first.
# The login prompt time is read from WORKDIR/logs/boot-test.log ("# lfsbuild: login prompt after
# X s", noted by `lfsbuild test`) or from NAME-all.log. The scheduler's ratio in the goals table
# comes from the sections bench/sched.sh wrote. The build's figures come from the stamps, so they
# are right whichever way the build was run (also for --report-only on a build made without this
# script: then the invocations and the disk use are "not recorded").
# Env: LFSBUILD (default ./lfsbuild), BENCH_DOC (default docs/BENCHMARKS.md), BENCH_IMAGE (default
# WORKDIR/lfs.qcow2), BENCH_COMMAND (default all; the tests run `build` on a synthetic book), BENCH_CODE
# (the code that built WORKDIR, for the before/after table; default: this checkout's commit).
# The section keeps a table of every whole build measured, a `| whole build | ... | N min |` row
# each: earlier rows are read back from the doc, the row of this WORKDIR's build is replaced.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
report_only=0
if [ "${1:-}" = --report-only ]; then report_only=1; shift; fi
[ $# -ge 1 ] || { echo "usage: bench/all.sh [--report-only] WORKDIR [lfsbuild option...]" >&2; exit 2; }
case $1 in -*) echo "bench/all.sh: WORKDIR first, then lfsbuild's options" >&2; exit 2 ;; esac
if [ $report_only = 1 ]; then
	[ -d "$1" ] || { echo "bench/all.sh: no work directory $1" >&2; exit 1; }
else
	mkdir -p "$1" || exit 1
fi
work=$(cd "$1" && pwd)
shift
name=$(basename "$work")
disk=$(dirname "$work")/$name-disk.tsv
runs=$(dirname "$work")/$name-runs.tsv
log=$(dirname "$work")/$name-all.log
doc=${BENCH_DOC:-$ROOT/docs/BENCHMARKS.md}
image=${BENCH_IMAGE:-$work/lfs.qcow2}
interval=${BENCH_DISK_INTERVAL:-60}
# the book the report reads its steps from: --book or LFSBUILD_BOOK, as lfsbuild does
prev=
for a in "$@"; do
	case $prev in --book) export LFSBUILD_BOOK=$a ;; esac
	case $a in --book=*) export LFSBUILD_BOOK=${a#--book=} ;; --tests) echo "bench/all.sh: note: --tests turns the test suites on (issue 7 measures without them)" >&2 ;; esac
	prev=$a
done
[ -n "${LFSBUILD_BOOK:-}" ] && LFSBUILD_BOOK=$(cd "$LFSBUILD_BOOK" && pwd)

rc=0
if [ $report_only = 0 ]; then
	[ -x "$LFSBUILD" ] || { echo "bench/all.sh: build lfsbuild first (make)" >&2; exit 1; }
	if ! ls "$work"/state/stamps/*/*.stamp >/dev/null 2>&1; then
		: >"$disk"; : >"$runs"; : >"$log"
	fi
	printf 'begin\t%s\t%s\n' "$EPOCHREALTIME" "$*" >>"$runs"
	# the disk sampler: nice'd, SIGINT ignored (Ctrl-C is for lfsbuild), stopped by SIGTERM below
	(
		trap '' INT
		trap 'kill $! 2>/dev/null; exit 0' TERM
		while :; do
			k=$(nice -n 19 du -sxk "$work" 2>/dev/null | cut -f1)
			[ -n "$k" ] && printf '%s\t%s\n' "$EPOCHREALTIME" "$k"
			sleep "$interval" &
			wait $!
		done
	) >>"$disk" &
	sampler=$!
	trap 'kill "$sampler" 2>/dev/null' EXIT
	trap 'echo "bench/all.sh: interrupted; run the same command again to resume" >&2' INT TERM
	"$LFSBUILD" -C "$work" "${BENCH_COMMAND:-all}" "$@" 2>&1 | (
		trap '' INT TERM # lfsbuild cleans up after Ctrl-C and still prints: keep reading
		while IFS= read -r line || [ -n "$line" ]; do
			printf '%s\n' "$line"
			printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$log"
		done
	)
	rc=${PIPESTATUS[0]}
	printf 'end\t%s\t%s\n' "$EPOCHREALTIME" "$rc" >>"$runs"
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	k=$(nice -n 19 du -sxk "$work" 2>/dev/null | cut -f1)
	[ -n "$k" ] && printf '%s\t%s\n' "$EPOCHREALTIME" "$k" >>"$disk"
	[ "$rc" = 0 ] || echo "bench/all.sh: lfsbuild exited $rc; the section is written from what is done so far; run the same command again to resume" >&2
fi

ls "$work"/state/stamps/*/*.stamp >/dev/null 2>&1 || { echo "bench/all.sh: no stamps in $work/state/stamps: nothing to report" >&2; exit 1; }
section=$(nice -n 19 python3 "$ROOT/bench/report.py" full "$work" --runs "$runs" --disk "$disk" --log "$log" \
	--image "$image" --doc "$doc") || exit 1
echo "$section"
. "$ROOT/bench/lib.sh"
bench_write full-build "$section" || exit 1
echo "bench/all.sh: section \"full build\" written to $doc" >&2
exit "$rc"
