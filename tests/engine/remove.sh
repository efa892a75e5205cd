# lfsbuild remove on a build with --capture on (book tests/books/remove; tests/engine/du.sh checks
# lfsbuild du on it): the removal of ch1/base: a file a later step rewrote and one it deleted
# (kept, said why), a file changed after the merge by a step with `capture no` (kept), a symlink
# planted where a directory was (not followed: the host directory it points to keeps its file),
# hard links, a symlink, empty directories; a SIGKILL during the removal completed by the next
# build; du after it; the stamp marked removed, `status` saying so, a plain
# build leaving it out and `build STEP` building it again; the refusals (a build holding the
# lock, a step with `capture no`, a step never captured, a list older than its step's build).
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "remove" "needs root (--capture on: an overlay per step)"
	exit 0
fi
remove_book_setup

expect_in "remove --help names --dry-run" "--dry-run" "$(lb remove --help 2>&1)"
expect_in "remove --help says how a removed step comes back" "lfsbuild build STEP" "$(lb remove --help 2>&1)"
fails_with 2 "remove without a step is a usage error" lb remove
fails_with 2 "remove of an unknown step is a usage error" lb remove ch1/nosuch

# ---- the whole book ----
ok "the book builds with --capture on" lb build --capture on

# ---- remove --dry-run changes nothing ----
out=$(lb remove --dry-run ch1/base 2>&1); rc=$?
ok "remove --dry-run succeeds" test "$rc" = 0
expect_in "--dry-run: what would go" "would be removed: 5 files, links and other non-directories" "$out"
expect_in "--dry-run: and that nothing changed" "nothing was changed (--dry-run)" "$out"
ok "--dry-run: the files are still there" test -f "$R/usr/bin/tool" -a -f "$R/etc/conf" -a -d "$R/usr/share/empty"
ok "--dry-run: the stamp still says ok" grep -qx "result ok" "$W/state/stamps/ch1/base.stamp"

# ---- refusals ----
out=$(lb remove ch1/strip 2>&1); rc=$?
ok "remove of a step with capture no fails" test "$rc" = 1
expect_in "... saying why" "ch1/strip ran with \`capture no\`" "$out"
touch "$R/slowflag"
lb_bg build --capture on --from ch1/slow >"$T/slow.out" 2>&1
bpid=$!
for _ in $(seq 300); do grep -qs "^start\|start ch1/slow" "$T/slow.out" && break; sleep 0.1; done
ok "a build holds the lock (ch1/slow runs)" bash -c "! flock -n '$W/state/lock' true"
out=$(lb remove ch1/over 2>&1); rc=$?
ok "remove under a build's lock fails" test "$rc" = 1
expect_in "... saying a build is running, with its pid" "a build is running in $W (lfsbuild pid $bpid)" "$out"
ok "... and removed nothing" test -f "$R/usr/over/x"
kill -TERM "$bpid"; wait "$bpid" 2>/dev/null
rm -f "$R/slowflag"
ok "the build after that one succeeds (ch1/slow again)" lb build --capture on

# ---- remove ch1/base, killed half-way (LFSBUILD_TEST_REMOVE_PAUSE), completed by the next build ----
LFSBUILD_TEST_REMOVE_PAUSE=30 lb_bg remove ch1/base >"$T/rm.out" 2>&1
rpid=$!
for _ in $(seq 300); do grep -qx "result removing" "$W/state/stamps/ch1/base.stamp" 2>/dev/null && grep -qs "^removed" "$W/logs/remove/ch1/base.log" && break; sleep 0.1; done
ok "the removal began: the stamp says removing" grep -qx "result removing" "$W/state/stamps/ch1/base.stamp"
kill -KILL "$rpid"; wait "$rpid" 2>/dev/null
ok "killed half-way: a file of it is still there" test -f "$R/etc/conf" -o -f "$R/usr/bin/tool"
expect_in "status: the removal was interrupted" "ch1/base: removal interrupted" "$(lb status 2>&1)"
out=$(lb build --capture on 2>&1); rc=$?
ok "the next build succeeds" test "$rc" = 0
expect_in "it completes the removal first" "completing the removal of ch1/base, interrupted last time" "$out"
expect_in "kept: the file a later step rewrote, said why" "usr/lib/a (rewritten by ch1/over)" "$out"
expect_in "kept: the file a later step deleted, said why" "usr/share/pkg/doc (deleted by ch1/over)" "$out"
expect_in "kept: the file changed after the merge (capture no), said why" "usr/lib/big (its content differs from the list's sha256)" "$out"
expect_in "kept: the file behind the planted symlink, not followed" "usr/share/pkg/dir/file (a symlink on the way)" "$out"
expect_in "kept directories: one now a symlink" "usr/share/pkg/dir (now a symlink)" "$out"
expect_in "the full list's path" "full list: $W/logs/remove/ch1/base.log" "$out"
expect_in "the build leaves ch1/base out" "skip  ch1/base (removed by lfsbuild remove" "$out"
ok "ch1/base's files are gone (hard links, a symlink, nested files)" \
	test ! -e "$R/usr/bin/tool" -a ! -e "$R/usr/bin/tool2" -a ! -e "$R/usr/lib/liba.so" -a ! -e "$R/etc/conf" -a ! -e "$R/usr/share/pkg/sub/deep/f"
ok "its empty directories are gone" test ! -e "$R/usr/share/pkg/sub" -a ! -e "$R/usr/share/empty" -a ! -e "$R/usr/bin" -a ! -e "$R/etc"
ok "a directory that is not empty stays" test -d "$R/usr/share/pkg" -a -d "$R/usr/lib"
ok "the later step's file stays with its content" grep -qx a2 "$R/usr/lib/a"
ok "the file changed after the merge stays" test "$(stat -c %s "$R/usr/lib/big")" = 65636
ok "the planted symlink stays a symlink" test -L "$R/usr/share/pkg/dir"
ok "the host directory behind it keeps its file" grep -qx same "$T/host/victim/file"
ok "the other steps' files stay" test -f "$R/usr/over/x" -a -f "$R/usr/nocap.bin"
ok "the stamp says removed" grep -qx "result removed" "$W/state/stamps/ch1/base.stamp"
L=$W/logs/remove/ch1/base.log
expect_in "the log lists what was removed" "removed  usr/bin/tool2" "$(cat "$L")"
expect_in "the log lists what was kept and why" "kept     usr/lib/big: its content differs" "$(cat "$L")"
expect_in "the log: a directory another step lists is kept" "kept     usr: listed by ch1/over too" "$(cat "$L")"
expect_in "status lists the removed step" "ch1/base: removed by lfsbuild remove" "$(lb status 2>&1)"
out=$(lb remove ch1/base 2>&1); rc=$?
ok "removing it again succeeds (nothing left to do)" test "$rc" = 0
expect_in "... and removes nothing more" "removed: 0 files" "$out"
out=$(lb build --capture on 2>&1)
expect_in "a plain build still leaves it out" "skip  ch1/base (removed by lfsbuild remove" "$out"
ok "... and does not put its files back" test ! -e "$R/usr/bin/tool"
out=$(lb build --explain ch1/base 2>&1)
expect_in "--explain says it was removed" "ch1/base was removed (lfsbuild remove)" "$out"
out=$(lb du --bytes 2>&1)
want=$(printf '32771\t2\tch1/over\n0\t0\tch1/slow\n75876\t2\tother\n108647\t4\ttotal')
ok "du after the removal: the removed step owns nothing, its kept file counts as other" test "$out" = "$want"
[ "$out" = "$want" ] || printf '#   got:\n%s\n' "$out" | sed 's/^/#   /'
ok "du: the total is still the root's" test "$(regular "$R")" = "4 108647"

# ---- build STEP puts it back; removing a step that deleted a file ----
rm "$R/usr/share/pkg/dir"   # the planted symlink (a rebuild of ch1/base would write through it)
out=$(lb build --capture on ch1/base 2>&1); rc=$?
ok "build ch1/base (named) builds it again" test "$rc" = 0
expect_in "... saying why" "run   ch1/base (removed by lfsbuild remove)" "$out"
ok "... its files are back and its stamp says ok" test -f "$R/usr/bin/tool" -a -f "$R/etc/conf"
ok "... its stamp says ok" grep -qx "result ok" "$W/state/stamps/ch1/base.stamp"
out=$(lb remove ch1/over 2>&1); rc=$?
ok "remove ch1/over succeeds" test "$rc" = 0
expect_in "it says the path it deleted is not brought back" "the step deleted 1 path: a removal does not bring it back" "$out"
expect_in "usr/lib/a is kept: ch1/base, built again, rewrote it later" "usr/lib/a (rewritten by ch1/base)" "$out"
ok "its own file and directory are gone" test ! -e "$R/usr/over"

# ---- refusals: a step never built with --capture on, a list older than the step's build ----
out=$(lb build --capture off --only ch1/base 2>&1)
out=$(lb remove ch1/base 2>&1); rc=$?
ok "remove of a step built again without capture fails" test "$rc" = 1
expect_in "... saying its list is older than its last build" "is older than its last build" "$out"
W2=$T/nocap W_SAVE=$W
W=$W2
mkdir -p "$W2"
ok "a work directory built without capture" lb build --capture off --until ch1/base
out=$(lb remove ch1/base 2>&1); rc=$?
ok "remove of a step never built with --capture on fails" test "$rc" = 1
expect_in "... saying so" "no file list for ch1/base" "$out"
ok "... and removes nothing" test -f "$W2/root/usr/bin/tool"
W=$W_SAVE
