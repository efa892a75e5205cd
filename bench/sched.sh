#!/usr/bin/env bash
# bench/sched.sh: the scheduler against --sequential on the same steps with the same -j (issues 4
# and 7), in a scratch work directory, so that WORKDIR's own state is only read.
#   bench/sched.sh [--keep] [--resume] WORKDIR STAGES [-jN] [lfsbuild option...]
# STAGES: a stage (temp), a chapter (ch6), a list (cross,temp,chroot) or a range (ch5-ch7) of
# consecutive stages. -jN defaults to the number of CPUs. Other options go to `lfsbuild build`
# (--book DIR is also used to read the book's stages).
# How: the scratch work directory WORKDIR-sched-STAGES (emptied first) gets WORKDIR's state files
# (sbu, disk.conf, the root password's hash, ...; not run.json, not the lock), the stamps of the
# steps of the stages BEFORE STAGES only (those stay up to date: same recipes, same sources, same
# hashes), WORKDIR/root-password and lfsbuild.conf, and a hard link to (or a copy of)
# WORKDIR/snapshots/PREV.tar.zst, PREV being the stage before the first of STAGES (none for the
# first stage: an empty root). Then twice: `lfsbuild restore PREV` (the root as at the end of
# PREV), the stamps of STAGES and later removed, and
#   lfsbuild -C SCRATCH --sources WORKDIR/sources build --until LAST -jN [--sequential]
# (SCRATCH seen at WORKDIR's place: bench/lib.sh, scratch_view, says why)
# timed from its start to its exit. The plan is checked before any step starts: if it would run
# a step outside STAGES (its inputs changed since WORKDIR built it), the run is stopped and the
# script fails. After each run, every step of STAGES must have a fresh `ok` stamp and the stamps
# of the earlier stages must be unchanged. The section "sched-STAGES" of docs/BENCHMARKS.md gets
# both walls, their ratio against the goal (scheduler <= 0.8 x sequential) and the steps' walls
# side by side. The scratch directory is removed at the end (--keep keeps it; a failure keeps it
# for a look and says where it is). --resume keeps a scratch directory left by an earlier call
# that ended before both runs were done (a failure, a kill, the end of a session): a run that
# completed there (its stamps-MODE and wall-MODE) is not run again; the other one is.
# Needs root (restore keeps owners) and a WORKDIR built with --snapshots up to the end of STAGES
# (at least to the end of PREV). Takes as long as building STAGES twice.
# Env: LFSBUILD (default ./lfsbuild), BENCH_DOC (default docs/BENCHMARKS.md), BENCH_NOTE (a
# sentence for the section: how it was run, when that was not in one go).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
keep=0 resume=0
while :; do
	case ${1:-} in
	--keep) keep=1; shift ;;
	--resume) resume=1; shift ;;
	*) break ;;
	esac
done
usage() { echo "usage: bench/sched.sh [--keep] [--resume] WORKDIR STAGES [-jN] [lfsbuild option...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
[ -d "$1/state/stamps" ] || { echo "bench/sched.sh: no build in $1 (no $1/state/stamps)" >&2; exit 1; }
work=$(cd "$1" && pwd) spec=$2
shift 2
jobs=$(nproc)
opts=()
prev_arg=
for a in "$@"; do
	case $a in
	-j[0-9]*) jobs=${a#-j} ;;
	--jobs=*) jobs=${a#--jobs=} ;;
	-j|--jobs|--book) ;;
	--book=*) export LFSBUILD_BOOK=${a#--book=} ;;
	*)
		case $prev_arg in
		-j|--jobs) jobs=$a ;;
		--book) export LFSBUILD_BOOK=$a ;;
		*) opts+=("$a") ;;
		esac ;;
	esac
	prev_arg=$a
done
case $jobs in '' | *[!0-9]*) usage ;; esac
if [ -n "${LFSBUILD_BOOK:-}" ]; then
	LFSBUILD_BOOK=$(cd "$LFSBUILD_BOOK" && pwd) || exit 2
	export LFSBUILD_BOOK
fi
[ -x "$LFSBUILD" ] || { echo "bench/sched.sh: build lfsbuild first (make)" >&2; exit 1; }
die() { echo "bench/sched.sh: $*" >&2; exit 1; }

plan=$(python3 "$ROOT/bench/report.py" stages "$spec") || exit 2
names=$(sed -n 1p <<<"$plan") prev=$(sed -n 2p <<<"$plan")
last=${names##* }
before=$(awk -F'\t' '$2 == "before" { print $1 }' <<<"$plan")
inside=$(awk -F'\t' '$2 == "in" { print $1 }' <<<"$plan")
later=$(awk -F'\t' '$2 != "before" && NR > 2 { print $1 }' <<<"$plan")
label=${names// /-}
scratch=${work%/}-sched-$label
[ -n "$inside" ] || die "stage(s) $names have no steps"

# WORKDIR must have built everything before STAGES, and have the snapshot of PREV.
for s in $before; do
	grep -qx 'result ok' "$work/state/stamps/$s.stamp" 2>/dev/null ||
		die "$s has no 'ok' stamp in $work: build up to stage $prev there first (with --snapshots)"
done
if [ "$prev" != - ]; then
	[ -f "$work/snapshots/$prev.tar.zst" ] ||
		die "no snapshot $work/snapshots/$prev.tar.zst: the build in $work must run with --snapshots (lfsbuild build --snapshots --from the first step of stage $prev makes it)"
fi

# the scratch work directory (kept by --resume when an earlier call left one)
if [ $resume = 1 ] && [ -d "$scratch/state/stamps" ]; then
	echo "bench/sched.sh: resuming in $scratch (done: $(cd "$scratch" && ls wall-* 2>/dev/null | sed 's/^wall-//' | tr '\n' ' '))" >&2
else
	rm -rf "$scratch"
fi
. "$ROOT/bench/lib.sh"
scratch_seed "$work" "$scratch" || die "cannot make $scratch"
# shellcheck disable=SC2086 # $before: step ids, one word each
scratch_stamps "$work" "$scratch" $before || die "cannot copy the stamps of the stages before $names"
if [ "$prev" != - ]; then
	scratch_snapshot "$work" "$scratch" "$prev" || die "cannot copy the snapshot of $prev"
fi
src=()
if [ -z "${LFSBUILD_SOURCES:-}" ] && ! grep -qE '^[[:space:]]*sources[[:space:]]*=' "$work/lfsbuild.conf" 2>/dev/null; then
	src=(--sources "$work/sources")
fi
# lfsbuild runs in the scratch directory seen at WORKDIR's place (bench/lib.sh, scratch_view):
# a snapshot of the host stages builds on only at the place it was taken.
scratch_view "$work" "$scratch"
lb() { "${SCRATCH_VIEW[@]}" "$LFSBUILD" -C "$work" "${src[@]}" "$@"; }

# one_run MODE [--sequential]: restore PREV, run STAGES; sets $wall. Fails with the reason.
one_run() {
	local mode=$1 log=$scratch/bench-$1.log
	shift
	if [ -f "$scratch/wall-$mode" ] && [ -d "$scratch/stamps-$mode" ]; then
		wall=$(cat "$scratch/wall-$mode")
		echo "bench/sched.sh: $mode: done by an earlier call ($wall s), not run again" >&2
		return 0
	fi
	for s in $later; do rm -f "$scratch/state/stamps/$s.stamp"; done
	if [ "$prev" != - ]; then
		lb -q restore "$prev" >"$log" 2>&1 || { cat "$log" >&2; die "restore of $prev in $scratch failed"; }
	else
		rm -rf "$scratch/root"
	fi
	echo "bench/sched.sh: $mode: lfsbuild -C $scratch build --until $last -j$jobs $* ${opts[*]} (log $log)" >&2
	local t0=$EPOCHREALTIME
	# not lb: $! must be lfsbuild's pid (the prefix execs it), for the kill below
	"${SCRATCH_VIEW[@]}" "$LFSBUILD" -C "$work" "${src[@]}" build --until "$last" -j"$jobs" "$@" "${opts[@]}" >>"$log" 2>&1 &
	local pid=$!
	# the plan comes first: wait for the first step to start (or the end), then check it
	while kill -0 "$pid" 2>/dev/null && ! grep -qE '^\[[0-9:]+\] start ' "$log"; do sleep 0.1; done
	local foreign
	foreign=$(grep -E '^\[[0-9:]+\] run   ' "$log" | awk '{ print $3 }' | grep -vxF "$inside")
	if [ -n "$foreign" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
		grep -E '^\[[0-9:]+\] run   ' "$log" | grep -F "$(head -3 <<<"$foreign")" >&2
		die "$mode: the plan reruns steps outside stage(s) $names (above: their inputs changed since $work built them); stopped. Scratch kept: $scratch"
	fi
	wait "$pid"
	local rc=$?
	wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
	[ "$rc" = 0 ] || { tail -30 "$log" >&2; die "$mode: lfsbuild build exited $rc (log $log; scratch kept: $scratch)"; }
	local s st
	for s in $inside; do
		st=$(awk '$1 == "start" { print $2 }' "$scratch/state/stamps/$s.stamp" 2>/dev/null)
		if ! grep -qx 'result ok' "$scratch/state/stamps/$s.stamp" 2>/dev/null ||
			! awk -v a="$st" -v b="$t0" 'BEGIN { exit !(a >= b) }'; then
			die "$mode: $s did not run in this build (log $log)"
		fi
	done
	for s in $before; do
		cmp -s "$work/state/stamps/$s.stamp" "$scratch/state/stamps/$s.stamp" ||
			die "$mode: the stamp of $s changed: it ran again (log $log)"
	done
	rm -rf "$scratch/stamps-$mode"
	cp -a "$scratch/state/stamps" "$scratch/stamps-$mode"
	echo "$wall" >"$scratch/wall-$mode.tmp" && mv "$scratch/wall-$mode.tmp" "$scratch/wall-$mode"
	echo "bench/sched.sh: $mode: $wall s" >&2
}

one_run sequential --sequential
seq_wall=$wall
one_run scheduler
par_wall=$wall

sbu=$(cat "$work/state/sbu" 2>/dev/null || echo -)
note="Scratch work directory $scratch, sources $work/sources.${BENCH_NOTE:+ $BENCH_NOTE}"
section=$(python3 "$ROOT/bench/report.py" sched "$spec" "$jobs" "$scratch/stamps-sequential" \
	"$scratch/stamps-scheduler" "$seq_wall" "$par_wall" "${sbu%% *}" "$note") || exit 1
echo "$section"
bench_write "sched-$label" "$section" || exit 1
echo "bench/sched.sh: section \"sched-$label\" written to ${BENCH_DOC:-$ROOT/docs/BENCHMARKS.md}" >&2
if [ $keep = 0 ]; then
	rm -rf "$scratch"
else
	echo "bench/sched.sh: kept $scratch" >&2
fi
