# Drill: the disk fills up. The work directory is on a 64 MiB tmpfs of its own, 40 MiB of which
# a ballast file takes. ch1/fill says `disk 8M` but writes 30 MiB: it starts, hits "No space
# left on device", fails, and the triage says the disk filled up, how much is free and what the
# step needs. ch1/big says `disk 48M`: the guard does not start it ("needs about 48.0 MiB, N free
# on MOUNT (PATH)", and the command to run again). Once the ballast is gone, the same build
# resumes and completes. A step without a `disk` line needs 256 MiB (the default);
# LFSBUILD_DISK_CHECK=0 turns the guard off. The tmpfs is unmounted at the end, whatever happens.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "disk-full drill" "needs root (mounts a tmpfs)"
	exit 0
fi
book_setup diskfull
# The drill is about the disk of the work directory: the build trees stay on it (with the
# default auto, these small `disk` lines would put them on tmpfs of their own, in memory).
export LFSBUILD_BUILD_TMPFS=off
MNT=$T/mnt
mkdir -p "$MNT"
trap 'umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null; rm -rf "$T"' EXIT
mount -t tmpfs -o size=64m,mode=0755 lfsbuild-drill "$MNT" || { echo "not ok - cannot mount a tmpfs"; exit 1; }
W=$MNT/work
mkdir -p "$W"
dd if=/dev/zero of="$MNT/ballast" bs=1M count=40 status=none
free_mib() { df -B1M --output=avail "$MNT" | tail -1 | tr -d ' '; }
ok "the tmpfs has about 24 MiB free ($(free_mib) MiB)" test "$(free_mib)" -ge 20 -a "$(free_mib)" -le 24

lb build -k -j1 >"$T/out" 2>"$T/err"; rc=$?
err=$(cat "$T/err")
ok "the build fails (exit 1)" test "$rc" = 1
ok "ch1/small (1 MiB) ran" test -f "$W/root/usr/small.txt"
# the guard
expect_in "ch1/big: not started, the step named" "lfsbuild: ch1/big: not started, the disk is too full: it needs about 48.0 MiB, " "$err"
expect_in "ch1/big: the free space, the mount point and the path" " free on $MNT ($W/build)" "$err"
expect_in "ch1/big: where the need comes from" "(its \`disk\` line, $BOOK/ch1/big.recipe:4)" "$err"
expect_in "ch1/big: what to do" "free some space and run \`lfsbuild -C $W --book $BOOK --sources $SRC build -j1 -k\` again" "$err"
ok "ch1/big: nothing of it ran" test ! -e "$W/root/usr/big.txt" -a ! -e "$W/build/ch1_big"
# the step that filled the disk
expect_in "ch1/fill: failed" "lfsbuild: step ch1/fill (" "$err"
expect_in "ch1/fill: the triage says the disk filled up, with the free space" "lfsbuild: the disk filled up: " "$err"
expect_in "ch1/fill: on which file system" " free on $MNT ($W/build)" "$err"
expect_in "ch1/fill: and what it needs" "ch1/fill needs about 8.0 MiB (its \`disk\` line)" "$err"
ok "ch1/last was not run" test ! -e "$W/root/usr/last.txt"
grep -h "disk filled up\|not started, the disk" "$T/err" | sed "s|$T|\$T|g; s/^/# /"

rm "$MNT/ballast"
out=$(lb build -j1 2>&1); rc=$?
ok "after the ballast is removed, the build resumes and completes" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out" | tail -20 | sed 's/^/#   /'
expect_in "it reran ch1/fill" "start ch1/fill" "$out"
expect_in "it skipped ch1/small" "skip  ch1/small (up to date)" "$out"
ok "and every step's work is there" test "$(cat "$W/root/usr/last.txt" | tr '\n' ' ')" = "small fill big "

# the default need of a step without a `disk` line: 256 MiB, more than this tmpfs holds
printf 'ch1/nodisk\n' >>"$BOOK/toc"
printf 'title   No disk line\nstage   one\nafter   ch1/last\n\n%%build\necho nodisk > $LFS/usr/nodisk.txt\n' >"$BOOK/ch1/nodisk.recipe"
lb build -j1 >"$T/out" 2>"$T/err"; rc=$?
ok "a step without a disk line on a 64 MiB disk: not started" test "$rc" = 1 -a ! -e "$W/root/usr/nodisk.txt"
expect_in "the default is said" "it needs about 256.0 MiB, " "$(cat "$T/err")"
expect_in "and where it comes from" "(the default for a step without a \`disk\` line)" "$(cat "$T/err")"
LFSBUILD_DISK_CHECK=0 lb build -j1 >"$T/out" 2>"$T/err"; rc=$?
ok "LFSBUILD_DISK_CHECK=0 turns the guard off" test "$rc" = 0 -a -f "$W/root/usr/nodisk.txt"
