# A failing step: nothing new starts, running steps finish, the triage is printed; -k goes on
# with what does not depend on the failure.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup fail
lb build -j3 >"$T/out" 2>"$T/err"; rc=$?
ok "a failure exits 1" test "$rc" = 1
err=$(cat "$T/err")
expect_in "triage names the step" "step ch1/bad (Bad) failed: exit status 3" "$err"
expect_in "triage shows the log's tail" "the last words" "$err"
expect_in "triage: the last 30 lines of the log" "line 13 of the bad step" "$err"
ok "triage: not more than 30 lines of the log" sh -c "! grep -q 'line 12 of the bad step' '$T/err'"
expect_in "triage gives the log's path" "full log: $W/logs/ch1/bad.log" "$err"
expect_in "triage gives the resume command" "lfsbuild -C $W --book $BOOK --sources $SRC build -j3" "$err"
ok "running steps were let finish" test -f "$W/root/out/slow" -a -f "$W/root/out/ok1"
ok "nothing new started after the failure" test ! -e "$W/root/out/late"
ok "a dependent of the failure did not run" test ! -e "$W/root/out/afterbad"
ok "the stamp says failed" grep -q "^result failed" "$W/state/stamps/ch1/bad.stamp"
ok "the failed step's build directory is kept" test -d "$W/build/ch1_bad"
ok "run.json says failed" grep -q '"state":"failed"' "$W/state/run.json"
out=$(lb build -j3 2>&1)
expect_in "the next run says why the step runs again" "run   ch1/bad (last run failed (exit 3))" "$out"

book_setup fail
lb build -j3 -k >"$T/out" 2>"$T/err"; rc=$?
ok "-k: still exits 1" test "$rc" = 1
ok "-k: what does not depend on the failure ran" test -f "$W/root/out/late"
ok "-k: the dependent of the failure did not" test ! -e "$W/root/out/afterbad"
expect_in "-k: says what was left out" "1 step was not run because a step before it failed" "$(cat "$T/err")"

# A source that cannot be unpacked (its checksum matches: the file itself is broken)
book_setup basic
head -c 100 "$SRC/alpha-1.0.tar.gz" >"$T/broken" && mv "$T/broken" "$SRC/alpha-1.0.tar.gz"
sum=$(sha256sum "$SRC/alpha-1.0.tar.gz" | cut -d' ' -f1)
sed -i "/alpha-1.0.tar.gz/s/sha256=.*/sha256=$sum/" "$BOOK/sources"
lb build -j2 >"$T/out" 2>"$T/err"; rc=$?
ok "an unpack failure fails the build" test "$rc" = 1
expect_in "it says which source could not be unpacked" "ch1/alpha: cannot unpack source 'alpha'" "$(cat "$T/err")"
expect_in "the progress line says the step could not start" "FAIL  ch1/alpha could not start" "$(cat "$T/out")"
ok "the log says it too" grep -q "cannot unpack source 'alpha'" "$W/logs/ch1/alpha.log"
ok "its stamp says failed" grep -q "^result failed" "$W/state/stamps/ch1/alpha.stamp"

# bash's line numbers in a failing script are the recipe's
book_setup basic
lb build --only ch1/gamma >"$T/out" 2>"$T/err"
line=$(grep -n '^cat ' "$BOOK/ch1/gamma.recipe" | cut -d: -f1)
expect_in "a bash error names the recipe's line ($line)" "lfsbuild.sh: line $line: $W/root/usr/gamma.txt: No such file" "$(cat "$T/err")"
expect_in "--only warns that what comes before is not up to date" "--only ch1/gamma: 3 steps before it are not up to date" "$(cat "$T/err")"

# A command ended by a signal: 128+N, named; SIGPIPE (`| head` under pipefail) gets its hint
book_setup fail
printf 'title   Pipe\nstage   one\n\n%%build\nyes | head -n1\n' >"$BOOK/ch1/ok1.recipe"
lb build --only ch1/ok1 >"$T/out" 2>"$T/err"; rc=$?
ok "a SIGPIPE in a pipeline fails the step under pipefail" test "$rc" = 1
expect_in "the progress line names the signal" "FAIL  ch1/ok1 exit 141 (SIGPIPE) after" "$(cat "$T/out")"
expect_in "the triage names it" "step ch1/ok1 (Pipe) failed: exit status 141 (SIGPIPE)" "$(cat "$T/err")"
expect_in "and says what it means and how to mend the recipe" "wrote into a pipe whose reader had already exited" "$(cat "$T/err")"
expect_in "status names it" "ch1/ok1: exit status 141 (SIGPIPE); log:" "$(lb status 2>&1)"
printf 'title   Pipe\nstage   one\n\n%%build\nexit 3\n' >"$BOOK/ch1/ok1.recipe"
lb build --only ch1/ok1 >"$T/out" 2>"$T/err"
fails "no signal hint for a plain exit status" grep -q 'SIGPIPE' "$T/err"
