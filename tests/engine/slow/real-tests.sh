#!/usr/bin/env bash
# `lfsbuild build --tests` on real packages (issue 5, item 2): the test suites of a few chapter 8
# steps run in a copy of a finished build, and the summary (logs/tests/summary.txt) must count
# what their logs say. WORKDIR is only read; the copy (root/, state/, the settings) is made in
# SCRATCH and removed at the end (KEEP=1 keeps it). Each STEP runs alone (`build --tests --only
# STEP`): with --tests the steps before it that have a test suite are out of date too, and
# rebuilding them is not what this is about. The copy gets the book's test user back (chapter
# 7 makes it, the end of chapter 8 removes it; make's and gawk's suites run as it).
# The default steps cover the summary formats of the book's suites: automake (gzip, xz, expat),
# autotest (gdbm), DejaGnu (psmisc), GNU make's perl driver (make), gawk's own (gawk). For the
# automake ones the counts are checked against the "# PASS:" lines of the log itself.
#
#   tests/engine/slow/real-tests.sh WORKDIR [STEP...]      as root; about 10 minutes here
# Environment: LFSBUILD (./lfsbuild of this checkout), LFSBUILD_BOOK (the book), SOURCES (the
# source cache: WORKDIR/sources), SCRATCH (a new /var/tmp/lfsbuild-real-tests.XXXXXX), JOBS (-j).
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
usage() { echo "usage: $0 WORKDIR [STEP...]   (as root; see the comment at the top)" >&2; exit 2; }
[ $# -ge 1 ] || usage
case $1 in -*) usage ;; esac
W=$(realpath -m "$1")
shift
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(ch8/gzip ch8/xz ch8/expat ch8/gdbm ch8/psmisc ch8/make ch8/gawk)
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
BOOK=${LFSBUILD_BOOK:-$ROOT/book}
SOURCES=${SOURCES:-$W/sources}
. "$ROOT/tests/drills/lib.bash"
for s in "${steps[@]}"; do
	real_drill_preflight "$W" "$s"
	grep -q '^%test' "$BOOK/$s.recipe" || { echo "$0: $s has no %test section in $BOOK/$s.recipe" >&2; exit 2; }
	grep -qs '^result ok' "$W/state/stamps/$s.stamp" ||
		{ echo "$0: $s is not built in $W: these suites run in a finished chapter 8 (lfsbuild -C $W build --until ch8)" >&2; exit 2; }
done

. "$ROOT/tests/lib/check.sh"
real_drill_count
S=${SCRATCH:-$(mktemp -d /var/tmp/lfsbuild-real-tests.XXXXXX)}
chmod 755 "$S"
trap '[ "${KEEP:-0}" = 1 ] && echo "# kept $S" || rm -rf "$S"; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
SW=$S/work
echo "# copying $W (root/, state/, the settings) into $SW"
real_drill_copy "$W" "$SW"
R=$SW/root
# the book's test user (chapter 7, "Creating Essential Files and Symlinks"), in the copy only
grep -q '^tester:' "$R/etc/passwd" || echo "tester:x:101:101::/home/tester:/bin/bash" >>"$R/etc/passwd"
grep -q '^tester:' "$R/etc/group" || echo "tester:x:101:" >>"$R/etc/group"
install -d -o 101 -g 101 "$R/home/tester"
L=("$LFSBUILD" --book "$BOOK" -C "$SW" --sources "$SOURCES" -j"${JOBS:-$(nproc)}")

for s in "${steps[@]}"; do
	t0=$(date +%s)
	"${L[@]}" build --tests --only "$s" >"$T/build.out" 2>&1
	rc=$?
	ok "$s: build --tests --only completes (exit $rc, $(( $(date +%s) - t0 )) s)" test "$rc" = 0
	[ "$rc" = 0 ] || tail -20 "$T/build.out" | sed 's/^/#   /'
	log=$SW/logs/tests/$s.log
	ok "$s: its test log exists" test -s "$log"
	expect_in "$s: the log ends with the suite's exit status" "lfsbuild: the tests exited with status" "$(tail -1 "$log" 2>/dev/null)"
	expect_in "$s: the build announces the summary" "test summary: " "$(cat "$T/build.out")"
	row=$(awk -v s="$s" '$1 == s' "$SW/logs/tests/summary.txt" 2>/dev/null)
	echo "# $row"
	ok "$s: a row in summary.txt, its suite ran in this build" grep -qE '^[^ ]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[-0-9]+ +this ' <<<"$row"
	fails "$s: a summary was found in the log" grep -q 'no summary found' <<<"$row"
	passed=$(awk '{ print $2 }' <<<"$row")
	if grep -q '^ALL TESTS PASSED' "$log"; then
		# gawk's suite prints no count of the tests that passed: nothing to count, the verdict says it
		expect_in "$s: no count printed (gawk's ALL TESTS PASSED): verdict ok" " this     ok" "$row"
	else
		ok "$s: it counted passed tests ($passed)" test "${passed:-0}" -gt 0
	fi
	# automake's harness: the log's own "# PASS:" lines (not the copies in test-suite.log headers)
	if grep -q '^# TOTAL:' "$log"; then
		mine=$(awk 'prev ~ /\.log$/ && /^# TOTAL:/ { skip = 1 } /^# TOTAL:/ && !(prev ~ /\.log$/) { skip = 0 }
			/^# PASS:/ && !skip { n += $3 } !/^(=+|-+|)$/ { prev = $0 } END { print n + 0 }' "$log")
		ok "$s: automake's PASS lines say $mine, the summary $passed" test "$mine" = "$passed"
	fi
	rm -f "$SW/logs/tests/summary.txt"
done
echo "# $failed failed"
[ "$failed" = 0 ]
