# build --tests: logs/tests/summary.txt with a line per step whose tests ran (automake, DejaGnu,
# a log in no known format), the recipe's known-failures (not an input of the stamp), the
# summary of a build that fails, the lines marked stale by a build without --tests, `report`,
# and TESTSUITEFLAGS in the steps' environment.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

# A book of three steps whose %test prints what a test suite would.
make_book() {
	BOOK=$T/book SRC=$T/src W=$T/work
	rm -rf "$BOOK" "$W"
	mkdir -p "$BOOK/ch1" "$SRC" "$W"
	chmod 755 "$T"
	: >"$BOOK/sources"
	cat >"$BOOK/stages" <<-'EOF'
	stage one
	  chapter 1
	  mode    user
	  env     PATH=/usr/bin:/bin
	  prelude umask 022
	EOF
	printf 'ch1/am\nch1/dg\nch1/plain\n' >"$BOOK/toc"
	cat >"$BOOK/ch1/am.recipe" <<-'EOF'
	title   Automake-like
	stage   one

	%build
	mkdir -p $LFS/out && echo "$TESTSUITEFLAGS" > $LFS/out/testsuiteflags
	%test
	echo "PASS: t1"
	echo "FAIL: t2"
	printf '%s\n' "=======" "Testsuite summary for am 1.0" "=======" "# TOTAL: 9" "# PASS:  5" \
	    "# SKIP:  2" "# XFAIL: 1" "# FAIL:  1" "# XPASS: 0" "# ERROR: 0" "======="
	exit 2
	%install
	echo installed > $LFS/out/am
	EOF
	cat >"$BOOK/ch1/dg.recipe" <<-'EOF'
	title   DejaGnu-like
	stage   one
	known-failures 2 foo.exp: two known failures (timeouts)

	%build
	true
	%test
	printf '\t\t=== foo Summary ===\n\n'
	printf '# of expected passes\t\t40\n# of unexpected failures\t2\n# of unsupported tests\t\t3\n'
	EOF
	cat >"$BOOK/ch1/plain.recipe" <<-'EOF'
	title   Plain
	stage   one

	%build
	true
	%test
	echo "nothing a harness would print"
	EOF
}
# field N of the summary line of step $1
col() { awk -v s="$1" -v n="$2" '$1 == s { print $n }' "$W/logs/tests/summary.txt"; }
verdict() { awk -v s="$1" '$1 == s { $1 = $2 = $3 = $4 = $5 = $6 = $7 = ""; sub(/^ +/, ""); print }' "$W/logs/tests/summary.txt"; }

make_book
lb build -j2 --tests >"$T/out" 2>"$T/err"; rc=$?
ok "build --tests succeeds although a suite failed" test "$rc" = 0
S=$W/logs/tests/summary.txt
ok "summary.txt is written" test -f "$S"
expect_in "the end of the build names it" "test summary: 3 test suites: 0 ok, 1 FAILED, 1 expected failures only, 1 no summary found: $S" "$(cat "$T/out")"
ok "no temporary file is left beside it" test "$(ls "$W/logs/tests")" = "$(printf 'ch1\nsummary.txt')"
ok "automake: passed failed xfail skipped known run" test "$(col ch1/am 2) $(col ch1/am 3) $(col ch1/am 4) $(col ch1/am 5) $(col ch1/am 6) $(col ch1/am 7)" = "5 1 1 2 - this"
expect_in "automake: one unexpected failure" "FAILED: 1 unexpected" "$(verdict ch1/am)"
ok "DejaGnu: passed failed skipped known" test "$(col ch1/dg 2) $(col ch1/dg 3) $(col ch1/dg 5) $(col ch1/dg 6)" = "40 2 3 2"
ok "DejaGnu: within the book's known failures" test "$(verdict ch1/dg)" = "expected failures only (the book expects: foo.exp: two known failures (timeouts))"
ok "unknown format: no counts" test "$(col ch1/plain 2) $(col ch1/plain 3)" = "- -"
ok "unknown format: no summary found, and where to look" test "$(verdict ch1/plain)" = "no summary found: see logs/tests/ch1/plain.log"
ok "the total line adds up" test "$(col total 2) $(col total 3) $(col total 4) $(col total 5) $(col total 6)" = "45 3 1 5 2"
ok "the steps are in book order" test "$(grep -v '^#' "$S" | awk '{print $1}' | tr '\n' ' ')" = "ch1/am ch1/dg ch1/plain total "
ok "the test log ends with the suite's exit status" test "$(tail -1 "$W/logs/tests/ch1/am.log")" = "lfsbuild: the tests exited with status 2"
ok "the step's log still says the tests failed" grep -q "the tests of ch1/am failed (exit 2)" "$W/logs/ch1/am.log"
ok "the install after the failed tests ran" test -f "$W/root/out/am"
ok "TESTSUITEFLAGS=-jN reaches the step" test "$(cat "$W/root/out/testsuiteflags")" = "-j2"
expect_in "--explain shows TESTSUITEFLAGS" "TESTSUITEFLAGS=-j2" "$(lb build -j2 --explain ch1/am 2>&1)"
out=$(lb report 2>&1)
expect_in "report includes the summary" "test suites ($S):" "$out"
expect_in "report: the lines of the steps" "ch1/dg" "$out"

# known-failures is not an input of the stamp: changing or adding it reruns nothing.
sed -i 's/^known-failures 2 .*/known-failures 1 foo.exp: one known failure/' "$BOOK/ch1/dg.recipe"
sed -i 's/^stage   one$/&\nknown-failures 1 t2 (the book: a sandbox limit)/' "$BOOK/ch1/am.recipe"
sleep 1
out=$(lb build -j2 --tests 2>&1)
expect_in "a changed known-failures line reruns nothing" "skip  ch1/dg (up to date)" "$out"
expect_in "an added known-failures line reruns nothing" "skip  ch1/am (up to date)" "$out"
expect_in "nothing ran" "0 steps run, 3 up to date" "$out"
ok "the summary follows the new known-failures lines" test "$(col ch1/dg 6) $(col ch1/am 6)" = "1 1"
expect_in "dg: one failure more than the book expects" "FAILED: 1 unexpected" "$(verdict ch1/dg)"
expect_in "am: now as the book expects" "expected failures only" "$(verdict ch1/am)"
ok "lines of an earlier build of the installed steps say 'earlier'" test "$(col ch1/am 7) $(col ch1/dg 7) $(col ch1/plain 7)" = "earlier earlier earlier"

# Without --tests the steps with a %test run again (tests turned off): the summary is kept, its
# lines marked stale (they describe builds that are no longer installed), and not announced.
sleep 1
out=$(lb build -j2 2>&1)
expect_in "a build without --tests reruns the tested steps" "run   ch1/am (tests turned off)" "$out"
ok "it does not announce the summary" bash -c '! grep -q "test summary" <<<"$1"' _ "$out"
ok "the lines stay, marked stale" test "$(col ch1/am 7) $(col ch1/dg 7) $(col ch1/plain 7)" = "stale stale stale"
ok "their counts and verdicts stay" test "$(col ch1/am 2) $(verdict ch1/plain)" = "5 no summary found: see logs/tests/ch1/plain.log"

# A build that fails after a suite ran still writes the summary.
printf '%%install\necho broken install >&2; exit 3\n' >>"$BOOK/ch1/plain.recipe"
lb build -j2 --tests >"$T/out" 2>"$T/err"; rc=$?
ok "the failing build exits 1" test "$rc" = 1
expect_in "it still names the summary" "test summary: 3 test suites" "$(cat "$T/out")"
ok "the failed step's tests are in it, from this build" test "$(col ch1/plain 7)" = "this"
ok "the others ran again with their tests" test "$(col ch1/am 7) $(col ch1/dg 7)" = "this this"

# A work directory without a summary and a build without --tests: none is written.
make_book
lb build -j2 -q >/dev/null 2>&1
ok "no --tests, no summary.txt" test ! -e "$W/logs/tests/summary.txt"
