# scripts/check-under-load with a stand-in for `make check` (CHECK=): it clones HEAD, runs the
# check RUNS times with CI=true beside the busy loops, tallies the runs, names the slowest test
# files, fails when a run fails, and leaves no busy loop behind; --resume goes on with a cut
# series (the runs it lacks, the same commit) and refuses one that failed or is of another commit.
. "$(dirname "$0")/../lib/check.sh"
S=$ROOT/scripts/check-under-load
git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1 || { skip "check-under-load" "$ROOT is not a git checkout"; exit 0; }
# the stand-in: two test files' lines as tests/run prints them, the tally, and what it saw
cat >"$T/fake-check" <<'EOF'
echo "ci=$CI loops=$(pgrep -x yes | wc -l) clone=$(test -f scripts/check-under-load && echo yes) deps=$(cat ../deps-ran)"
printf '%-40s %3d passed, %d failed, %d skipped (%d s)\n' tests/a/slow.sh 3 0 0 42 tests/b/quick.sh 1 0 0 2
echo "tests: 4 passed, 0 failed, 0 skipped"
EOF
loops_before=$(pgrep -x yes | wc -l)
# the stand-in for `make deps` in the clone (scripts/install-deps test): it counts its calls
export DEPS='echo x >>../deps-ran'

out=$(CLONE_DIR="$T/c1" LOAD_JOBS=2 CHECK="bash $T/fake-check" "$S" 2 2>&1)
ok "two passing runs: exit 0" test $? = 0
expect_in "each run's tally" "run 2 of 2: exit 0 in " "$out"
expect_in "the tally line of the run" "tests: 4 passed, 0 failed, 0 skipped (log $T/c1/run-2.log)" "$out"
expect_in "the slowest test file first" "        42 s  tests/a/slow.sh" "$out"
expect_in "the summary" "check-under-load: 2 of 2 passed; the 2 busy loop(s) ran throughout: yes" "$out"
expect_in "the check ran in the clone, with CI=true, beside the two loops" "ci=true loops=$((loops_before + 2)) clone=yes" "$(cat "$T/c1/run-1.log")"
ok "no busy loop left behind" test "$(pgrep -x yes | wc -l)" = "$loops_before"
expect_in "make deps ran in the clone before the runs, once" "clone=yes deps=x" "$(cat "$T/c1/run-1.log")"
ok "each finished run recorded" test "$(cat "$T/c1/results" | cut -d' ' -f1,2 | tr '\n' ' ')" = "1 0 2 0 "

out=$(LOAD_JOBS=1 CHECK="bash $T/fake-check" "$S" --resume "$T/c1" 3 2>&1)
ok "--resume: the run the series lacks: exit 0" test $? = 0
expect_in "... said" "2 of 3 run(s) passed before; runs 3 to 3" "$out"
expect_in "... run 3 ran" "run 3 of 3: exit 0 in " "$out"
case $out in *"run 1 of 3"* | *"run 2 of 3"*) _report 1 "... and not the runs recorded" ;; *) _report 0 "... and not the runs recorded" ;; esac
expect_in "... the tally counts the earlier call's runs" "check-under-load: 3 of 3 passed (runs 1 to 2 in an earlier call)" "$out"
out=$(CHECK="bash $T/fake-check" "$S" --resume "$T/c1" 3 2>&1)
expect_in "--resume of a finished series says so" "already has 3 passing run(s)" "$out"
# a run cut by the session's end has no line: it runs again
sed -i '$d' "$T/c1/results"
out=$(LOAD_JOBS=1 CHECK="bash $T/fake-check" "$S" --resume "$T/c1" 3 2>&1)
expect_in "--resume: a cut run runs again" "run 3 of 3: exit 0 in " "$out"
ok "no busy loop left behind after --resume" test "$(pgrep -x yes | wc -l)" = "$loops_before"
git -C "$T/c1/src" -c user.email=t@t -c user.name=t commit -q --allow-empty -m other
out=$(CHECK="bash $T/fake-check" "$S" --resume "$T/c1" 4 2>&1)
ok "--resume of a series of another commit: exit 1" test $? = 1
expect_in "... said, with what to do" "a series tests one commit; start a new one" "$out"
fails "--resume of a directory without a series" "$S" --resume "$T/nothing"

printf 'echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1\n' >"$T/bad-check"
out=$(CLONE_DIR="$T/c2" LOAD_JOBS=1 CHECK="bash $T/bad-check" "$S" 1 2>&1)
ok "a failing run: exit 1" test $? = 1
expect_in "said so" "check-under-load: 0 of 1 passed" "$out"
out=$(CHECK="bash $T/fake-check" "$S" --resume "$T/c2" 3 2>&1)
ok "--resume of a series with a failed run: exit 1" test $? = 1
expect_in "... it is over" "has a failed run (run 1: exit 1; logs $T/c2/run-N.log): it is over; start a new one" "$out"
ok "no busy loop left behind after a failure" test "$(pgrep -x yes | wc -l)" = "$loops_before"
out=$(CLONE_DIR="$T/c3" LOAD_JOBS=1 DEPS='echo no apt here; exit 1' CHECK="bash $T/fake-check" "$S" 1 2>&1)
ok "make deps failing in the clone: exit 1" test $? = 1
expect_in "... said, with its log" "make deps failed in $T/c3/src (log $T/c3/deps.log)" "$out"
ok "... and no run started" test ! -e "$T/c3/run-1.log"
fails_with 2 "RUNS must be a number" "$S" three
fails_with 2 "--resume needs a directory" "$S" --resume
