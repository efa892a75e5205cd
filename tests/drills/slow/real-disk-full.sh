#!/usr/bin/env bash
# Reliability drill, the real one (docs/RELIABILITY.md): the disk fills up during a real step.
# A copy of WORKDIR (root/, state/ and the settings; not build/, logs/, snapshots/, the image)
# goes onto a tmpfs that leaves HEADROOM MiB free, and STEP (whose steps before it must be up to
# date in WORKDIR; STEP itself may be done: the copy forgets its stamp) is run three times:
#   A. `lfsbuild build --until STEP`: the guard does not start STEP: "needs about X, Y free on
#      MOUNT (PATH)" and the command to run again;
#   B. the same with LFSBUILD_DISK_CHECK=0 (the guard off): STEP starts, fills the disk, fails,
#      and the triage says the disk filled up, with the free space and what STEP needs;
#   C. the tmpfs remounted bigger (the copy + STEP's `disk` + 1 GiB): the same command resumes
#      and STEP completes.
# WORKDIR itself is only read. The tmpfs is unmounted and the copy removed at the end, always.
# Memory: the tmpfs lives in RAM (and swap): the copy of root/ plus STEP's build, e.g. about
# 3 GiB for ch8/binutils after chapter 7.
#
#   tests/drills/slow/real-disk-full.sh WORKDIR STEP [HEADROOM_MIB]   as root
# Environment: LFSBUILD (./lfsbuild of this checkout), LFSBUILD_BOOK (the book), SOURCES (the
# source cache: WORKDIR/sources), SCRATCH (where the tmpfs is mounted: a new /var/tmp/
# lfsbuild-drill-diskfull.XXXXXX). Takes a few minutes plus STEP's build time.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
usage() { echo "usage: $0 WORKDIR STEP [HEADROOM_MIB]   (as root; see the comment at the top)" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
W=$(realpath -m "$1") STEP=$2 HEAD=${3:-64}
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
BOOK=${LFSBUILD_BOOK:-$ROOT/book}
SOURCES=${SOURCES:-$W/sources}
[[ $HEAD =~ ^[0-9]+$ ]] && [ "$HEAD" -ge 8 ] || { echo "$0: HEADROOM_MIB must be a number of MiB >= 8, not '$HEAD'" >&2; exit 2; }
. "$ROOT/tests/drills/lib.bash"
real_drill_preflight "$W" "$STEP"
# STEP's need: its `disk` line, else the engine's default (256 MiB)
need_mib=$(awk '/^disk[ \t]/ { v = $2 $3; n = v + 0; if (v ~ /G/) n *= 1024; print int(n + 0.999); exit }' "$BOOK/$STEP.recipe")
need_mib=${need_mib:-256}
[ "$need_mib" -gt "$HEAD" ] || { echo "$0: $STEP needs about $need_mib MiB, not more than the headroom $HEAD MiB: pick a bigger step or a smaller headroom" >&2; exit 2; }

. "$ROOT/tests/lib/check.sh"
real_drill_count
S=${SCRATCH:-$(mktemp -d /var/tmp/lfsbuild-drill-diskfull.XXXXXX)}
mkdir -p "$S"
chmod 755 "$S"
MNT=$S
cleanup() { umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null; rmdir "$MNT" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mapfile -t copy < <(real_drill_parts "$W")
used_mib=$(( $(du -sb --apparent-size "${copy[@]}" | awk '{ s += $1 } END { print s }') / 1048576 + 1 ))
# mount big enough for the copy, copy, then shrink the tmpfs to what the copy takes + HEADROOM
size=$(( used_mib + used_mib / 10 + 64 ))
mount -t tmpfs -o "size=${size}m,mode=0755" lfsbuild-drill-diskfull "$MNT" || { echo "$0: cannot mount a tmpfs on $MNT" >&2; exit 1; }
echo "# copying ${used_mib} MiB of $W into a tmpfs on $MNT"
SW=$MNT/work
mkdir -p "$SW"
cp -a "${copy[@]}" "$SW/" || { echo "$0: the copy into the tmpfs failed" >&2; exit 1; }
rm -f "$SW/state/lock"
# on a work directory where STEP is done already (a full build), the copy forgets it: STEP runs
# again, and --until keeps the steps after it out of the plan
rm -f "$SW/state/stamps/$STEP.stamp"
size=$(( $(df -B1M --output=used "$MNT" | tail -1 | tr -d ' ') + HEAD ))
mount -o remount,size=${size}m "$MNT" || { echo "$0: cannot shrink $MNT to ${size} MiB" >&2; exit 1; }
free_mib() { df -B1M --output=avail "$MNT" | tail -1 | tr -d ' '; }
echo "# $(free_mib) MiB free; $STEP needs about $need_mib MiB"
lfs() { "$LFSBUILD" -C "$SW" --book "$BOOK" --sources "$SOURCES" "$@"; }

# A. the guard
lfs build --until "$STEP" >"$T/a.out" 2>"$T/a.err"; rc=$?
others=$(grep -o 'run   ch[0-9]*/[^ ]*' "$T/a.out" | awk '{print $2}' | grep -vx "$STEP" | head -3 | tr '\n' ' ')
if [ -n "$others" ]; then
	echo "# $W is not up to date before $STEP: lfsbuild would run $others first; build up to it first" >&2
	exit 2
fi
ok "A: the build fails (exit $rc)" test "$rc" = 1
expect_in "A: $STEP is not started; the message names the step, the need and the free space" \
	"lfsbuild: $STEP: not started, the disk is too full: it needs about" "$(cat "$T/a.err")"
expect_in "A: and the file system" "free on $MNT ($SW/build)" "$(cat "$T/a.err")"
grep "not started, the disk" "$T/a.err" | sed 's/^/# /'

# B. the guard off: the disk fills up
LFSBUILD_DISK_CHECK=0 lfs build --until "$STEP" >"$T/b.out" 2>"$T/b.err"; rc=$?
ok "B: with the guard off, $STEP starts and fails (exit $rc)" test "$rc" = 1
expect_in "B: $STEP ran" "start $STEP" "$(cat "$T/b.out")"
expect_in "B: the triage says the disk filled up" "lfsbuild: the disk filled up: " "$(cat "$T/b.err")"
grep "disk filled up" "$T/b.err" | sed 's/^/# /'

# C. more space: the same command resumes
newsize=$(( size + need_mib + 1024 ))
mount -o remount,size=${newsize}m "$MNT" || { echo "$0: cannot remount $MNT" >&2; exit 1; }
echo "# tmpfs remounted with ${newsize} MiB: $(free_mib) MiB free"
lfs build --until "$STEP" >"$T/c.out" 2>"$T/c.err"; rc=$?
ok "C: after the remount, the build resumes and completes (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -30 "$T/c.err" | sed 's/^/#   /'
expect_in "C: $STEP ran again" "done  $STEP" "$(cat "$T/c.out")"
[ "$failed" = 0 ] || { echo "# $failed check(s) failed"; exit 1; }
