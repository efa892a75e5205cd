# lfsbuild repro (docs/engine.md, "Reproducibility"), on tests/books/repro built with --capture on:
# a step that builds the same bytes (its SOURCE_DATE_EPOCH, the $LFS and build directory it sees)
# is identical (exit 0); a step that writes the clock differs, with the path and what differs (exit
# 1), diffoscope's report and the JSON and summary lines; a step that needs an earlier step's files,
# a chroot step (owners, a setuid mode, a deletion) and one after a `capture no` step (run again in
# the scratch root) are identical; the work directory's root, stamps and packages are unchanged
# byte for byte (and their ctimes); nothing is left mounted, running or in WORKDIR/repro; SIGINT
# and SIGTERM during a rebuild; a rebuild that fails; --keep and clean; refusals: an unknown step,
# `capture no`, a step without an archive, a step after one without an archive (named, with the
# command that mends it).
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "repro" "needs root (an overlay per step)"
	exit 0
fi
book_setup repro
# what the work directory holds of the build: every path of root/, state/ (but the lock, whose
# text names the last command that took it) and packages/ with its type, mode, owner, size, mtime,
# ctime, link target and content
snapshot() {
	(cd "$W" && find root state packages ! -path state/lock -printf '%p %y %m %u:%g %s %T@ %C@ %l\n' | sort
	 cd "$W" && find root state packages -type f ! -path state/lock -print0 | sort -z | xargs -0 sha256sum)
}
no_mounts() { ! grep -qF "$W" /proc/self/mountinfo; }
no_scratch() { [ -z "$(ls -A "$W/repro" 2>/dev/null)" ]; }
no_place() { [ -z "$(ls -A "$W/build" 2>/dev/null)" ]; }   # the user modes' mount points removed

ok "the book builds with --capture on" lb build -j2 --capture on
before=$(snapshot)

out=$(lb repro ch1/base 2>&1); rc=$?
ok "a deterministic step: exit 0" test "$rc" = 0
expect_in "... it says identical" "ch1/base: identical" "$out"
expect_in "... built on the root as it was before it (no archive before the first step)" "0 package archives merged" "$out"
ok "... its rebuild's log in logs/repro/" grep -q -- '---- script ----' "$W/logs/repro/ch1/base.log"
ok "... the rebuild saw the build's \$LFS and build directory (paths.txt identical)" \
	grep -q "^$W/root $W/build/ch1_base/alpha-1.0 " "$W/root/usr/share/doc/paths.txt"
ok "... and SOURCE_DATE_EPOCH from its source" grep -qx 'built 2023-11-14 22:13:20' "$W/root/usr/share/doc/date.txt"
expect_in "... its JSON says identical" '"result":"identical","differing":0' "$(cat "$W/logs/repro/ch1/base.json")"
ok "... ldconfig's aux-cache it wrote with the clock is in no package: not in its file list" \
	sh -c "! grep -q aux-cache '$W/packages/ch1_base.files'"
ok "... nor in its archive" sh -c "! tar -tf '$W'/packages/ch1_base-*.tar.zst | grep -q aux-cache"
ok "... nor merged into the root (ldconfig rebuilds it when it runs)" test ! -e "$W/root/var/cache/ldconfig/aux-cache"
ok "... its directory is" test -d "$W/root/var/cache/ldconfig"
ok "... nor the Info directory usr/share/info/dir it wrote with the clock" \
	sh -c "! grep -q 'usr/share/info/dir' '$W/packages/ch1_base.files' && test ! -e '$W/root/usr/share/info/dir'"

out=$(lb repro ch1/time 2>&1); rc=$?
ok "a step that writes the clock: exit 1" test "$rc" = 1
expect_in "... one file differs" "ch1/time: 1 file differs" "$out"
expect_in "... the path and what differs" "  usr/share/time.txt: content (sha256 " "$out"
case $out in *steady.txt*) _report 1 "... its steady file is not named" ;; *) _report 0 "... its steady file is not named" ;; esac
J=$W/logs/repro/ch1/time.json
expect_in "... logs/repro/STEP.json: the result and the count" '"step":"ch1/time","result":"differs","differing":1' "$(cat "$J")"
expect_in "... and the path with what differs" '"path":"usr/share/time.txt","differs":["content"]' "$(cat "$J")"
ok "... a JSON document (python3 reads it)" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['paths'][0]['first']['sha256'] != d['paths'][0]['rebuild']['sha256']" "$J"
if command -v diffoscope >/dev/null; then
	ok "... diffoscope's report logs/repro/ch1/time.txt" test -s "$W/logs/repro/ch1/time.txt"
	ok "... it names the file" grep -q '^## usr/share/time.txt' "$W/logs/repro/ch1/time.txt"
	ok "... with diffoscope's diff of both copies (the first from the archive)" \
		grep -q -- "--- first/usr/share/time.txt" "$W/logs/repro/ch1/time.txt"
	expect_in "... said" "diffoscope's report: $W/logs/repro/ch1/time.txt" "$out"
else
	expect_in "without diffoscope: said, and why" "diffoscope is not installed (Debian's package diffoscope)" "$out"
	ok "... no report" test ! -e "$W/logs/repro/ch1/time.txt"
fi

out=$(lb repro ch1/dep 2>&1); rc=$?
ok "a step that needs an earlier step's files: identical (exit 0)" test "$rc" = 0
expect_in "... said" "ch1/dep: identical" "$out"
out=$(lb repro ch2/owner 2>&1); rc=$?
ok "a chroot step (owner 123:456, setuid, a deletion): identical" test "$rc" = 0
expect_in "... said" "ch2/owner: identical" "$out"
expect_in "... on the archives of the four steps before it" "4 package archives merged" "$out"
out=$(lb repro ch2/last 2>&1); rc=$?
ok "a step after a \`capture no\` step, which needs its file: identical" test "$rc" = 0
expect_in "... the \`capture no\` step ran again in the scratch root" "running ch2/nocap again in the scratch root" "$out"
out=$(lb repro ch1/base ch1/time 2>&1); rc=$?
ok "two steps, one differs: exit 1" test "$rc" = 1
expect_in "... the tally" "1 of 2 steps identical" "$out"
S=$W/logs/repro/summary.tsv
ok "summary.tsv: one line per step checked, its latest result" \
	test "$(cut -f1-3 "$S" | grep -v '^#' | sort | tr '\t\n' '  ')" = "ch1/base identical 0 ch1/dep identical 0 ch1/time differs 1 ch2/last identical 0 ch2/owner identical 0 "

ok "the root, the stamps and the packages are unchanged, byte for byte" test "$before" = "$(snapshot)"
# a work directory of archives and stamps alone (the root given away, or not copied with them):
# the scratch root's mount point WORKDIR/root is made
mv "$W/root" "$T/root.away"
out=$(lb repro ch2/owner 2>&1); rc=$?
ok "without WORKDIR/root: still checked, identical" test "$rc" = 0
expect_in "... said" "ch2/owner: identical" "$out"
ok "... its mount point left empty" test -z "$(ls -A "$W/root")"
rmdir "$W/root" && mv "$T/root.away" "$W/root"
before=$(snapshot)   # (the move changed the root directory's ctime)
ok "nothing mounted under the work directory" no_mounts
ok "no scratch copy left in WORKDIR/repro" no_scratch
ok "no mount point left in WORKDIR/build" no_place

# ---- SIGINT during a rebuild: the step killed, the scratch removed, 130 ----
rm -f "$W/logs/repro/ch1/slow.log"   # its '---- output' line below is this run's
lb_bg repro -j 7 ch1/slow >"$T/int.out" 2>&1   # ch1/slow sleeps when it has 7 job slots
pid=$!
for _ in $(seq 600); do grep -q -- '---- output' "$W/logs/repro/ch1/slow.log" 2>/dev/null && break; sleep 0.1; done   # bounded: 60 s
sleep 0.3
kill -INT "$pid"
wait "$pid"; rc=$?
ok "SIGINT: exit 130" test "$rc" = 130
expect_in "... said" "interrupted by SIGINT; the scratch root was removed, nothing of the build was changed" "$(cat "$T/int.out")"
ok "... no process of the step left" bash -c "! pgrep -f '$W/build/ch1_sl[o]w' >/dev/null"
ok "... nothing mounted" no_mounts
ok "... no scratch copy left" no_scratch
ok "... no mount point left" no_place
ok "... the build unchanged" test "$before" = "$(snapshot)"
rm -f "$W/logs/repro/ch1/slow.log"
lb_bg repro -j 7 ch1/slow >"$T/term.out" 2>&1
pid=$!
for _ in $(seq 600); do grep -q -- '---- output' "$W/logs/repro/ch1/slow.log" 2>/dev/null && break; sleep 0.1; done   # bounded: 60 s
sleep 0.3
kill -TERM "$pid"
wait "$pid"; rc=$?
ok "SIGTERM: exit 143" test "$rc" = 143
expect_in "... said" "interrupted by SIGTERM" "$(cat "$T/term.out")"
ok "... no process of the step left, nothing mounted, no scratch copy" \
	bash -c "! pgrep -f '$W/build/ch1_sl[o]w' >/dev/null && ! grep -qF '$W' /proc/self/mountinfo && [ -z \"\$(ls -A '$W/repro')\" ]"

# ---- a rebuild that fails ----
fails_with 2 "a rebuild that fails: exit 2" lb repro -j 5 ch1/slow   # ch1/slow fails with 5 job slots
expect_in "... said, with its exit status" "ch1/slow: not checked: the rebuild failed (exit status 3)" "$(cat "$T/.out")"
expect_in "... its log has why" "failing on purpose" "$(cat "$W/logs/repro/ch1/slow.log")"
expect_in "... its JSON says failed" '"step":"ch1/slow","result":"failed"' "$(cat "$W/logs/repro/ch1/slow.json")"
ok "... and so does summary.tsv" grep -q "^ch1/slow	failed	0	" "$S"
ok "... no scratch copy left" no_scratch
ok "... nothing mounted" no_mounts

# ---- --keep, clean ----
out=$(lb repro --keep ch1/dep 2>&1)
ok "--keep keeps the scratch copy: the root before the step" test -f "$W/repro/ch1_dep/root/usr/share/doc/built.txt"
ok "... the first build unpacked" test -f "$W/repro/ch1_dep/first/usr/share/doc/dep.txt"
ok "... and the rebuild's writes" test -f "$W/repro/ch1_dep/capture/ch1_dep/upper/usr/share/doc/dep.txt"
expect_in "... said" "kept $W/repro/ch1_dep" "$out"
ok "... nothing mounted" no_mounts
out=$(lb clean 2>&1)
expect_in "clean removes WORKDIR/repro" "removed $W/repro" "$out"

# ---- refusals ----
fails_with 2 "no step: a usage error" lb repro
fails_with 2 "an unknown step: exit 2" lb repro ch9/nothing
expect_in "... said" "'ch9/nothing' is no step of the book" "$(cat "$T/.out")"
fails_with 2 "a \`capture no\` step: exit 2" lb repro ch2/nocap
expect_in "... said" "ch2/nocap: not checked: its recipe says \`capture no\`" "$(cat "$T/.out")"
lb build --only ch1/dep >/dev/null 2>&1   # built again without --capture on: its list is stale
fails_with 2 "a step whose last build ran without --capture on: exit 2" lb repro ch1/dep
expect_in "... said, with what to do" "ch1/dep: not checked: it has no package archive to compare with: its last build ran without --capture on (\`lfsbuild build --capture on --from ch1/dep\`" "$(cat "$T/.out")"
after=$(snapshot)
fails_with 2 "a step after one without an archive: exit 2" lb repro ch1/base ch2/owner
out=$(cat "$T/.out")
expect_in "... names it" "ch2/owner: not checked: the root before it cannot be made from package archives: 1 step that ran before it has none: ch1/dep (its last build ran without --capture on); \`lfsbuild build --capture on --from ch1/dep\` builds it" "$out"
expect_in "... and nothing is rebuilt" "nothing was rebuilt" "$out"
case $out in *"ch1/base: identical"*) _report 1 "... not even the step that could be" ;; *) _report 0 "... not even the step that could be" ;; esac
ok "... nothing changed" test "$after" = "$(snapshot)"
ok "nothing mounted at the end" no_mounts
