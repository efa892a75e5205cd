# tests/drills/slow/real-kill-stage.sh (the real drill of a SIGKILL in the middle of a stage,
# issue 4) run on a synthetic book of three stages whose middle one has six steps of 2 s: the
# kill lands while steps of stage b run, and the script's own checks must all pass.
. "$(dirname "$0")/../lib/check.sh"

if [ "$(id -u)" != 0 ]; then
	skip "real-kill-stage.sh on a synthetic book" "needs root (restore keeps owners)"
else
	B=$T/book
	mkdir -p "$B/ch1" "$B/ch2" "$B/ch3"
	: >"$B/sources"
	for s in a:1 b:2 c:3; do
		printf 'stage %s\n  chapter %s\n  mode    user\n  env     PATH=/usr/bin:/bin\n  prelude umask 022\n\n' \
			"${s%:*}" "${s#*:}" >>"$B/stages"
	done
	echo ch1/init >"$B/toc"
	printf 'title   Init\nstage   a\n\n%%build\nmkdir -p $LFS/usr\necho init > $LFS/usr/init.txt\n' >"$B/ch1/init.recipe"
	for i in 1 2 3 4 5 6; do
		echo "ch2/w$i" >>"$B/toc"
		printf 'title   W%s\nstage   b\n\n%%build\ntest -f $LFS/usr/init.txt\nsleep 2\necho w > $LFS/usr/w%s.txt\n' \
			"$i" "$i" >"$B/ch2/w$i.recipe"
	done
	echo ch3/end >>"$B/toc"
	printf 'title   End\nstage   c\n\n%%build\nls $LFS/usr > $LFS/end.txt\n' >"$B/ch3/end.recipe"
	chmod -R a+rX "$T"
	ok "the work directory's build, with snapshots" "$LFSBUILD" --book "$B" -C "$T/w" build -j2 --snapshots -q
	export LFSBUILD_BOOK=$B
	out=$("$ROOT/tests/drills/slow/real-kill-stage.sh" "$T/w" b 2>&1); rc=$?
	ok "the drill passes on stage b (exit $rc)" test "$rc" = 0
	[ "$rc" = 0 ] || sed 's/^/#   /' <<<"$out"
	expect_in "it killed while steps of b ran" "ok 1 - the kill landed in the middle of b (steps running: ch2/" "$out"
	expect_in "the killed steps ran again" "(running at the kill) runs again" "$out"
	ok "all its checks passed" test -z "$(grep '^not ok' <<<"$out")"
	ok "its scratch directory is gone" test ! -e "$T/w-killdrill-b"
	ok "the work directory's own stamps are untouched (no build in it since)" \
		test "$(grep -c 'result ok' "$T"/w/state/stamps/ch2/*.stamp | grep -c ':1$')" = 6
	# without the snapshot of stage a, the scratch builds stage a itself first
	ok "a work directory built without snapshots" "$LFSBUILD" --book "$B" -C "$T/w2" build -j2 -q
	out=$("$ROOT/tests/drills/slow/real-kill-stage.sh" "$T/w2" b 2>&1); rc=$?
	ok "the drill passes there too (exit $rc)" test "$rc" = 0
	[ "$rc" = 0 ] || sed 's/^/#   /' <<<"$out"
	expect_in "saying that it builds the stage before first" "no snapshot $T/w2/snapshots/a.tar.zst: building the stages before b" "$out"
	out=$("$ROOT/tests/drills/slow/real-kill-stage.sh" "$T/w" nosuch 2>&1); rc=$?
	ok "a stage that is not in the book: exit 2" test "$rc" = 2
	out=$("$ROOT/tests/drills/slow/real-kill-stage.sh" "$T/w" b 6 2>&1); rc=$?
	ok "AFTER as large as the stage: exit 2" test "$rc" = 2
	expect_in "with a reason" "AFTER must be a number below the 6 steps of b" "$out"
fi
