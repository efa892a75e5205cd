# log, clean, --explain, --keep, --tests, snapshots and restore.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup basic
ok "a build with --tests and --keep" lb build -j2 --tests --keep
ok "the failing %test did not fail the step" grep -q "^result ok" "$W/state/stamps/ch1/alpha.stamp"
ok "the test output went to logs/tests/STEP.log" grep -q "testing alpha in $W/build/ch1_alpha/alpha-1.0" "$W/logs/tests/ch1/alpha.log"
ok "the tests stopped at the first failing command" sh -c "! grep -q 'not reached' '$W/logs/tests/ch1/alpha.log'"
ok "the step's log says the tests failed" grep -q "the tests of ch1/alpha failed (exit 1)" "$W/logs/ch1/alpha.log"
ok "%install ran after %test" test -f "$W/root/usr/alpha/hello.txt"
ok "--keep kept the build directory" test -f "$W/build/ch1_alpha/alpha-1.0/built.txt"

out=$(lb log ch1/alpha)
expect_in "log prints the step's log" "echo built alpha > built.txt" "$out"
fails "log of a step that never ran fails" lb log ch1/nothing
out=$(timeout 10 "$LFSBUILD" -C "$W" log -f ch1/alpha); rc=$?
ok "log -f ends when the step is not running" test "$rc" = 0

out=$(lb build --explain ch1/beta)
expect_in "--explain: the sandbox plan" "sandbox plan:" "$out"
expect_in "--explain: the environment" "SRC_beta=$W/build/ch1_beta/beta-2.1" "$out"
expect_in "--explain: the command" "command (in $W/build/ch1_beta/beta-2.1): /bin/bash -e -o pipefail $W/build/ch1_beta/lfsbuild.sh" "$out"
expect_in "--explain: the script" "test -f \"\$SRC_alpha/hello.txt\"" "$out"
fails "--explain of an unknown step fails" lb build --explain ch1/nothing

mkdir -p "$T/outside" && touch "$T/outside/keep"
ok "clean" lb clean
ok "clean removed build/ and logs/" test ! -e "$W/build" -a ! -e "$W/logs"
ok "clean kept the root and the state" test -d "$W/root/usr" -a -d "$W/state/stamps"
mkdir -p "$W/capture/ch1_x/upper" "$W/packages" && echo begin >"$W/capture/ch1_x/merge.journal" && : >"$W/packages/ch1_x.files"
out=$(lb clean --all 2>&1)
ok "clean --all (the source cache is outside the work dir)" test $? = 0
ok "clean --all removed the captures (a journal there would replay into a fresh root)" test ! -e "$W/capture"
ok "clean --all kept the package archives, and said so" test -f "$W/packages/ch1_x.files"
expect_in "clean --all says it kept them" "kept the package archives and file lists $W/packages" "$out"
rm -rf "$W/packages"
ok "clean --all removed root and state" test ! -e "$W/root" -a ! -e "$W/state"
ok "clean --all left the sources outside the work dir alone" test -f "$SRC/alpha-1.0.tar.gz"
ok "clean --all left other files alone" test -f "$T/outside/keep"
# The source cache inside the work directory: kept by --all (and said), removed with --with-sources.
mkdir -p "$W/sources" && touch "$W/sources/x-1.tar.gz" "$W/lfs.qcow2"
ok "clean --all with the cache inside the work directory" lb --sources "$W/sources" clean --all
out=$(cat "$T/.out")
expect_in "it says it kept the source cache" "kept the source cache $W/sources" "$out"
expect_in "it says what it removed" "removed $W/lfs.qcow2" "$out"
ok "the source cache is still there" test -f "$W/sources/x-1.tar.gz"
ok "the image is gone" test ! -e "$W/lfs.qcow2"
ok "clean --all --with-sources" lb --sources "$W/sources" clean --all --with-sources
ok "the source cache is removed when asked" test ! -e "$W/sources"

if [ "$(id -u)" = 0 ]; then
	book_setup basic
	ok "a build with --snapshots" lb build -j2 --snapshots
	ok "a snapshot per stage" test -f "$W/snapshots/one.tar.zst" -a -f "$W/snapshots/two.tar.zst"
	mknod "$W/root/null" c 1 3 && chown 7:9 "$W/root/usr/prep.txt" && chmod 4751 "$W/root/usr/prep.txt"
	xattr=no
	command -v setfattr >/dev/null && setfattr -n user.lfs -v yes "$W/root/usr/gamma.txt" 2>/dev/null && xattr=yes
	ok "a snapshot after more changes" lb build -j2 --snapshots --from ch2/final
	echo junk >"$W/root/usr/junk"
	ok "restore one" lb restore one
	ok "restore: a file of the later stage is gone" test ! -e "$W/root/final.txt" -a ! -e "$W/root/usr/junk"
	ok "restore: the stage's files are back" test -f "$W/root/usr/gamma.txt"
	ok "restore: the later stage's stamps are invalid" grep -q "^result invalid" "$W/state/stamps/ch2/final.stamp"
	out=$(lb build -j2 2>&1)
	expect_in "restore: the next build reruns the later stage" "run   ch2/final (root restored to the end of stage one)" "$out"
	expect_in "restore: and not the stage restored" "skip  ch1/gamma (up to date)" "$out"
	ok "restore two" lb restore two
	ok "a device node survives" test -c "$W/root/null"
	ok "owners and modes survive" test "$(stat -c '%u:%g %a' "$W/root/usr/prep.txt")" = "7:9 4751"
	if [ $xattr = yes ]; then
		ok "xattrs survive" sh -c "getfattr -n user.lfs '$W/root/usr/gamma.txt' | grep -q yes"
	else
		skip "xattrs survive" "no setfattr or no user xattrs on $T"
	fi
	fails "restore of a stage without a snapshot fails" lb restore three
	ok "a snapshot keeps where its root was" grep -qx "root $W/root" "$W/snapshots/one.tar.zst.origin"
	# The work directory moved: stage one's snapshot holds its path and stage two runs on the host
	# after it, so it is refused; stage two's has no step after it, so it is restored.
	mv "$W" "$W-moved"
	sum_before=$(cd "$W-moved" && find root state -printf '%p %s %T@\n' | sort | md5sum)
	out=$("$LFSBUILD" --book "$BOOK" -C "$W-moved" restore one 2>&1); rc=$?
	ok "restore of a host-stage snapshot at another place is refused" test "$rc" = 1
	expect_in "it names both places" "was taken with the root at $W/root, and this work directory's root is $W-moved/root" "$out"
	expect_in "it names the step that would fail" "so ch2/final and the steps after it would fail here" "$out"
	expect_in "it says what to do" "move it back, or bind-mount it there" "$out"
	ok "the refused restore changed nothing" test "$(cd "$W-moved" && find root state -printf '%p %s %T@\n' | sort | md5sum)" = "$sum_before"
	out=$("$LFSBUILD" --book "$BOOK" -C "$W-moved" restore two 2>&1)
	ok "the last stage's snapshot restores at another place" test $? = 0
	expect_in "and says where it was taken" "the snapshot was taken with the root at $W/root" "$out"
	mv "$W-moved" "$W"
	rm "$W/snapshots/one.tar.zst.origin"
	ok "a snapshot without the record (older lfsbuild) restores as before" lb restore one
else
	skip "snapshots and restore" "needs root"
fi
