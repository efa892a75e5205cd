#!/usr/bin/env bash
# Reliability drill, the real one (docs/RELIABILITY.md): SIGKILL of `lfsbuild build` in the
# middle of one stage of a real build (issue 4: "killing the build in the middle of ch6 and
# running it again finishes it"), then the same command again, to the end of the stage.
# A scratch work directory WORKDIR-killdrill-STAGE gets WORKDIR's settings, the stamps of the
# stages before STAGE and the root of WORKDIR's snapshot of the stage before (`lfsbuild restore`,
# as bench/sched.sh does; none for the first stage; without that snapshot the scratch builds the
# stages before STAGE itself first). There (seen at WORKDIR's place in a mount namespace of its own, as in bench/sched.sh) `lfsbuild build --until STAGE` runs
# until AFTER steps of STAGE are done (default: half of them) and is killed with SIGKILL while
# others run. Checks: nothing of the build is left (processes by the scratch path, sandboxes by
# its root/ in a mount namespace of their own), the host's mount table is as before, run.json
# still says `running` with a dead pid; then the same command resumes: it reruns the steps that
# were running ("interrupted last time"), skips those that were done, and completes with every
# step of STAGE `ok` (the stage's sanity checks are steps of it: ch5/ch6/ch7 toolchain-check).
# WORKDIR is only read. The scratch directory is removed at the end (KEEP=1 keeps it; a failure
# keeps it for a look).
#
#   tests/drills/slow/real-kill-stage.sh WORKDIR STAGE [AFTER]     as root
#   e.g. tests/drills/slow/real-kill-stage.sh /var/tmp/lfs-work temp   (chapter 6: ~25 min here)
# Environment: LFSBUILD (./lfsbuild of this checkout), LFSBUILD_BOOK (the book), JOBS (-j, nproc).
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
usage() { echo "usage: $0 WORKDIR STAGE [AFTER]   (as root; see the comment at the top)" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
case $1 in -*) usage ;; esac
W=$(realpath -m "$1") STAGE=$2 AFTER=${3:-}
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
BOOK=${LFSBUILD_BOOK:-$ROOT/book}
export LFSBUILD_BOOK=$BOOK
JOBS=${JOBS:-$(nproc)}
. "$ROOT/tests/drills/lib.bash"
plan=$(python3 "$ROOT/bench/report.py" stages "$STAGE") || usage
names=$(sed -n 1p <<<"$plan") prev=$(sed -n 2p <<<"$plan")
[ "$names" = "$STAGE" ] || { echo "$0: one stage of $BOOK/stages, not '$STAGE' ($names)" >&2; exit 2; }
before=$(awk -F'\t' '$2 == "before" { print $1 }' <<<"$plan")
inside=$(awk -F'\t' '$2 == "in" { print $1 }' <<<"$plan")
n=$(wc -w <<<"$inside")
last=$(tail -1 <<<"$inside")
AFTER=${AFTER:-$((n / 2))}
[[ $AFTER =~ ^[0-9]+$ ]] && [ "$AFTER" -lt "$n" ] || { echo "$0: AFTER must be a number below the $n steps of $STAGE" >&2; exit 2; }
real_drill_preflight "$W" "$last"
for s in $before; do
	grep -qx 'result ok' "$W/state/stamps/$s.stamp" 2>/dev/null ||
		{ echo "$0: $s is not done in $W: build up to stage $prev there first (with --snapshots)" >&2; exit 2; }
done
have_snap=1
[ "$prev" = - ] || [ -f "$W/snapshots/$prev.tar.zst" ] || have_snap=0

. "$ROOT/tests/lib/check.sh"
real_drill_count
S=$(dirname "$W")/$(basename "$W")-killdrill-$STAGE
rm -rf "$S"
. "$ROOT/bench/lib.sh"
scratch_seed "$W" "$S" || { echo "$0: cannot make $S" >&2; exit 1; }
src=()
grep -qsE '^[[:space:]]*sources[[:space:]]*=' "$W/lfsbuild.conf" || src=(--sources "$W/sources")
# lfsbuild runs in the scratch seen at WORKDIR's place, in a mount namespace of its own (the
# snapshot of a host stage builds on only where it was taken); WORKDIR itself is not touched
scratch_view "$W" "$S"
lb() { "${SCRATCH_VIEW[@]}" "$LFSBUILD" -C "$W" "${src[@]}" "$@"; }
# what may be left of the build: processes naming the scratch or (seen through the namespace)
# WORKDIR, sandboxes of its root/, and anything still in the namespace that shows the scratch
left_now() { leftovers "$S/root" "$S" "$W"; leftovers "$S"; }
if [ "$prev" != - ] && [ "$have_snap" = 1 ]; then
	# shellcheck disable=SC2086 # $before: step ids, one word each
	scratch_stamps "$W" "$S" $before && scratch_snapshot "$W" "$S" "$prev" ||
		{ echo "$0: cannot copy the stamps and the snapshot of $prev into $S" >&2; exit 1; }
	lb -q restore "$prev" >"$T/restore" 2>&1 || { cat "$T/restore" >&2; echo "$0: restore of $prev failed" >&2; exit 1; }
elif [ "$prev" != - ]; then
	# no snapshot of the stage before: the scratch builds the stages before STAGE itself
	echo "# no snapshot $W/snapshots/$prev.tar.zst: building the stages before $STAGE in $S first"
	lb build --until "$prev" -j"$JOBS" >"$T/before" 2>&1 ||
		{ tail -30 "$T/before" >&2; echo "$0: the build of the stages before $STAGE failed in $S" >&2; exit 1; }
fi
mounts >"$T/mounts.before"
LOG=$S/drill.log
echo "# $STAGE: $n steps; lfsbuild -C $S (seen at $W) build --until $STAGE -j$JOBS, SIGKILL once $AFTER are done"

# 1. the build, killed in the middle
# not lb: $! must be lfsbuild (the prefix execs it)
"${SCRATCH_VIEW[@]}" "$LFSBUILD" -C "$W" "${src[@]}" build --until "$STAGE" -j"$JOBS" >"$LOG" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	d=$(grep -cE '^\[[0-9:]+\] done  ' "$LOG")
	[ "$d" -ge "$AFTER" ] && [ -n "$(running_steps "$S")" ] && break
	sleep 0.5
done
kill -0 "$pid" 2>/dev/null || { ok "the build was still running at the kill (log $LOG)" false; exit 1; }
kill -KILL "$pid"
wait "$pid" 2>/dev/null
# what the stamps say once lfsbuild is dead: a step is `running` (it was killed: resume reruns
# it) or `ok` (done: resume skips it); run.json may lag behind by one event
running="" done_before=""
for s in $inside; do
	if grep -qx 'result running' "$S/state/stamps/$s.stamp" 2>/dev/null; then running="$running $s"
	elif grep -qx 'result ok' "$S/state/stamps/$s.stamp" 2>/dev/null; then done_before="$done_before $s"; fi
done
running=${running# } done_before=${done_before# }
echo "# killed after $(wc -w <<<"$done_before") done steps, while running: $running"
ok "the kill landed in the middle of $STAGE (steps running: $running)" test -n "$running"
secs=$(wait_no_leftovers 60 "$S/root" "$S" "$W") && secs=$(wait_no_leftovers 10 "$S") && left="" || left=$(left_now)
ok "nothing of the build is left (${secs} s)" test -z "$left"
[ -z "$left" ] || sed 's/^/#   /' <<<"$left"
mounts >"$T/mounts.after"
ok "the host's mount table is as before" diff "$T/mounts.before" "$T/mounts.after"
ok "run.json still says running (the pid is gone)" grep -q '"state":"running"' "$S/state/run.json"
expect_in "status says the build is not running any more" "interrupted (lfsbuild is not running: pid $pid is gone)" "$(lb status 2>&1)"

# 2. the same command again
lb build --until "$STAGE" -j"$JOBS" >"$T/resume" 2>&1; rc=$?
cat "$T/resume" >>"$LOG"
ok "the same command resumes and completes (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -30 "$T/resume" | sed 's/^/#   /'
for s in $running; do
	expect_in "$s (running at the kill) runs again" "run   $s (interrupted last time)" "$(cat "$T/resume")"
done
skipped=0
for s in $done_before; do
	grep -q "skip  $s (up to date)" "$T/resume" && skipped=$((skipped + 1))
done
ok "the $(wc -w <<<"$done_before") steps done before the kill were not run again ($skipped skipped)" \
	test "$skipped" = "$(wc -w <<<"$done_before")"
bad=""
for s in $inside; do grep -qx 'result ok' "$S/state/stamps/$s.stamp" 2>/dev/null || bad="$bad $s"; done
ok "every step of $STAGE is ok (${bad:-all $n})" test -z "$bad"
ok "nothing left after the resumed build" test -z "$(left_now)"
mounts >"$T/mounts.end"
ok "and the mount table is still as before" diff "$T/mounts.before" "$T/mounts.end"
if [ "$failed" = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$S"; else echo "# scratch kept: $S (log $LOG)"; fi
[ "$failed" = 0 ] || { echo "# $failed check(s) failed"; exit 1; }
