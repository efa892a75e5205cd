# --capture on: each step's writes kept in an overlay's upper tree, its file list, the merge into
# the root (creates, changes, deletions, an opaque directory, hard links, xattrs, a symlink to a
# host file moved and never followed), two steps side by side, a step with `capture no`, the
# root equal to the one built without capture, and a SIGKILL during a merge (the drill).
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "capture" "needs root (an overlay per step)"
	exit 0
fi
# setup WORKDIR: the book with the host files the step links to, and the chroot's tools in $LFS
setup() {
	W=$1
	rm -rf "$W"
	mkdir -p "$W/root"
	for f in /bin/bash /bin/chown /bin/chmod /bin/rm /bin/mkdir $(ldd /bin/bash /bin/chown /bin/chmod /bin/rm /bin/mkdir | grep -o '/[^ ]*'); do
		cp --parents -L "$f" "$W/root/" 2>/dev/null
	done
}
book_setup capture
mkdir -p "$T/host/dir"
echo SECRET >"$T/host/secret"
chmod 0640 "$T/host/secret"
sed -i "s|@SECRET@|$T/host/secret|; s|@SECRETDIR@|$T/host/dir|" "$BOOK/ch1/mod.recipe"
WON=$T/on WOFF=$T/off
setup "$WOFF"
ok "the book builds with capture off" lb build -j2
setup "$WON"
out=$(lb build -j2 --capture on 2>&1); rc=$?
ok "the book builds with --capture on" test "$rc" = 0
R=$W/root
ok "a file of an earlier step changed" grep -qx v2 "$R/etc/conf"
ok "a file of an earlier step deleted (whiteout)" test ! -e "$R/usr/lib/gone"
ok "a directory replaced (opaque): its old entries gone" test ! -e "$R/usr/old/x" -a ! -e "$R/usr/old/y"
ok "... and its new one there" grep -qx z "$R/usr/old/z"
ok "a chmod of an earlier file kept (copy-up of metadata)" test "$(stat -c %a "$R/usr/lib/keep")" = 600
ok "an xattr of the earlier step kept across the copy-up" bash -c "getfattr -n user.base --only-values '$R/usr/lib/keep' | grep -qx kept"
ok "an xattr the step set kept" bash -c "getfattr -n user.mod --only-values '$R/usr/share/a/3' | grep -qx new"
ok "a hard link made by the step to an earlier file kept" test "$R/usr/share/a/1" -ef "$R/usr/share/a/1link"
ok "a hard link within a step kept" test "$R/usr/bin/t1" -ef "$R/usr/bin/t2"
ok "a directory turned into a file" grep -qx now-a-file "$R/usr/dir-to-file"
ok "a file turned into a directory" grep -qx in "$R/usr/file-to-dir/in"
ok "a name with a newline and a tab" test -f "$R/usr/name with
newline	and tab"
ok "no overlay xattr left in the root" bash -c "! getfattr -R -h -d -m '^trusted\.overlay\.' '$R' 2>/dev/null | grep -q overlay"
ok "a symlink to a host file moved as a link" test "$(readlink "$R/usr/secretlink")" = "$T/host/secret"
ok "... the host file untouched (mode, owner, content)" test "$(stat -c '%a %u %s' "$T/host/secret")" = "640 0 7"
ok "a symlink to a host directory moved as a link" test "$(readlink "$R/usr/linkdir")" = "$T/host/dir"
ok "... nothing written into the host directory" test -z "$(ls -A "$T/host/dir")"
ok "the owner the chroot step gave (chown 123:456, mode 4750)" test "$(stat -c '%u %g %a' "$R/usr/owned")" = "123 456 4750"
ok "the chroot step's deletion merged" test ! -e "$R/usr/share/a/19"
ok "both parallel steps' files are there" test -f "$R/usr/par1/10" -a -f "$R/usr/par2/10"
ok "the path both wrote holds the later merge" grep -qx shared "$R/usr/same"
ok "the capture directories are gone after the merges" test -z "$(ls -A "$W/capture")"
L=$W/packages/ch1_mod.files
ok "the file list of ch1/mod" test -f "$L"
expect_in "it names a change with its sha256" "changed	f	0644	4242	4242	3	$(echo v2 | sha256sum | cut -c1-64)	-	etc/conf" "$(cat "$L")"
expect_in "a deletion" "deleted	-	-	-	-	-	-	-	usr/lib/gone" "$(cat "$L")"
expect_in "an opaque directory" "replaced	d	0755	4242	4242	0	-	-	usr/old" "$(cat "$L")"
expect_in "a symlink with its target" "new	l	0777	4242	4242	0	-	$T/host/secret	usr/secretlink" "$(cat "$L")"
expect_in "a name escaped" 'usr/name with\nnewline\tand tab' "$(cat "$L")"
expect_in "the uncaptured step's list says so" "not captured (capture no)" "$(cat "$W/packages/ch2_nocap.files")"
ok "the uncaptured step wrote the root directly" grep -qx direct "$R/nocap.txt"
ok "the root equals the one built without capture (tests/lib/compare-roots.sh)" \
	bash "$ROOT/tests/lib/compare-roots.sh" "$WOFF/root" "$WON/root"
ok "... and so says tests/lib/compare-roots.py (the one for real roots)" \
	python3 "$ROOT/tests/lib/compare-roots.py" "$WOFF/root" "$WON/root"
mkdir -p "$T/cr1/d" "$T/cr2/d" && echo x >"$T/cr1/d/f" && echo x >"$T/cr2/d/f" && chmod 600 "$T/cr2/d/f"
fails "compare-roots.py: a mode that differs is found" python3 "$ROOT/tests/lib/compare-roots.py" "$T/cr1" "$T/cr2"
out=$(lb files ch1/mod)
expect_in "files STEP: what it installed, with sizes" "usr/old/z" "$out"
expect_in "files STEP: what it changed" "etc/conf" "$out"
expect_in "files STEP: what it deleted" "usr/lib/gone" "$out"
expect_in "files STEP of an uncaptured step" "not captured" "$(lb files ch2/nocap 2>&1)"
fails "files of a step without a list fails" lb files ch1/nosuch
ok "files --help" lb files --help
out=$(lb owner /etc/conf /usr/lib/gone 2>&1); rc=$?
ok "owner: exit 0 when every path is named" test "$rc" = 0
expect_in "owner: the step that made a path" "etc/conf: ch1/base new" "$out"
expect_in "owner: and the one that changed it" "etc/conf: ch1/mod changed" "$out"
expect_in "owner: a deletion is named too" "usr/lib/gone: ch1/mod deleted" "$out"
out=$(lb owner /nocap.txt /no/such/path 2>&1); rc=$?
ok "owner: exit 1 when a path is named by no list" test "$rc" = 1
expect_in "owner: a file an uncaptured step made: that step, by when" "/nocap.txt: no step's file list names it; made " "$out"
expect_in "... while ch2/nocap ran" "while ch2/nocap ran, a step without a file list" "$out"
expect_in "owner: a path the root does not have" "/no/such/path: not in the root" "$out"
ln -s /etc "$R/usr/hostetc"   # a link out of the root: resolved inside it, never to the host's /etc
out=$(lb owner /usr/hostetc/hostname 2>&1)
expect_in "owner: a link is resolved inside the root (the root has no etc/hostname)" "/usr/hostetc/hostname: not in the root" "$out"
rm "$R/usr/hostetc"
ok "owner --help" lb owner --help

# The drill: SIGKILL while ch1/many merges (LFSBUILD_TEST_MERGE_PAUSE, a test hook, holds the
# merge between its journal's "begin" and the first operation); the next build completes it.
setup "$T/drill"
LFSBUILD_TEST_MERGE_PAUSE=0 lb build --capture on --until ch1/par2 >/dev/null 2>&1
LFSBUILD_TEST_MERGE_PAUSE=30 lb_bg build --capture on --until ch1/many >"$T/drill.out" 2>&1
pid=$!
J=$W/capture/ch1_many/merge.journal
for _ in $(seq 600); do grep -qx begin "$J" 2>/dev/null && break; sleep 0.1; done
ok "the merge of ch1/many began (its journal says begin)" grep -qx begin "$J"
kill -KILL "$pid"; wait "$pid" 2>/dev/null
ok "killed before it applied anything" test ! -e "$W/root/usr/many"
ok "the stamp of ch1/many still says running" grep -qx "result running" "$W/state/stamps/ch1/many.stamp"
out=$(lb build --capture on 2>&1); rc=$?
ok "the next build succeeds" test "$rc" = 0
expect_in "it says it completes the interrupted merge first" "completing the merge of ch1/many" "$out"
expect_in "... and writes the step's ok stamp from the journal" "ch1/many is merged and its stamp says ok" "$out"
expect_in "ch1/many is not run again: up to date" "skip  ch1/many (up to date)" "$out"
ok "... its stamp says ok" grep -qx "result ok" "$W/state/stamps/ch1/many.stamp"
ok "... it ran once: one line in usr/many-runs" test "$(cat "$W/root/usr/many-runs")" = run
ok "the root equals the one of an uninterrupted build" bash "$ROOT/tests/lib/compare-roots.sh" "$WON/root" "$W/root"
ok "a file list for every step" test "$(ls "$W/packages" | grep -c '\.files$')" = 7
ok "a package archive for every captured step (not ch2/nocap)" test "$(ls "$W/packages" | grep -c '\.tar\.zst$')" = 6
