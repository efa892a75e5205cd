#!/usr/bin/env bash
# Reliability drill, the real one (docs/RELIABILITY.md): a real chapter 6 step tries to write
# to the host's /usr. A copy of the book has STEP's recipe (default ch6/m4, the first step of
# chapter 6) begin with `echo x > /usr/lfsbuild-drill-PID`; it runs with --until STEP on a copy
# of WORKDIR (root/, state/, the settings) in which chapter 5 is done. Expected: the write is
# denied ("Read-only file system"), the step fails with that in its log and in the triage, and
# the host's /usr has no such file. Only STEP may run: if lfsbuild plans any other step (WORKDIR
# not up to date for this book), the drill stops it and says so. WORKDIR itself is only read.
#
#   tests/drills/slow/real-host-write.sh WORKDIR [STEP]      as root
# Environment: LFSBUILD (./lfsbuild of this checkout), LFSBUILD_BOOK (the book), SOURCES (the
# source cache: WORKDIR/sources), SCRATCH (for the copies: a new /var/tmp/lfsbuild-drill-
# hostwrite.XXXXXX, removed at the end unless KEEP=1).
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
usage() { echo "usage: $0 WORKDIR [STEP]   (as root; see the comment at the top)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
case $1 in -*) usage ;; esac
W=$(realpath -m "$1") STEP=${2:-ch6/m4}
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
BOOK=${LFSBUILD_BOOK:-$ROOT/book}
SOURCES=${SOURCES:-$W/sources}
. "$ROOT/tests/drills/lib.bash"
real_drill_preflight "$W" "$STEP"
grep -q '^stage' "$BOOK/$STEP.recipe" && mode=$(awk -v st="$(awk '$1 == "stage" { print $2; exit }' "$BOOK/$STEP.recipe")" \
	'$1 == "stage" { cur = $2 } $1 == "mode" && cur == st { print $2; exit }' "$BOOK/stages")
[ "${mode:-}" = user ] || { echo "$0: $STEP runs in mode '${mode:-?}', not user (chapters 4-6): pick a step of chapter 5 or 6" >&2; exit 2; }
# chapter 5 done: every ch5 step of the toc has a stamp that says ok
missing=()
for s in $(grep '^ch5/' "$BOOK/toc"); do
	grep -qs '^result ok' "$W/state/stamps/$s.stamp" || missing+=("$s")
done
if [ ${#missing[@]} -gt 0 ] || ! grep -q '^ch5/' "$BOOK/toc"; then
	echo "$0: chapter 5 is not done in $W (not ok: ${missing[*]:-no ch5 in the toc}); build it first: lfsbuild -C $W build --until ch5" >&2
	exit 2
fi

. "$ROOT/tests/lib/check.sh"
real_drill_count
S=${SCRATCH:-$(mktemp -d /var/tmp/lfsbuild-drill-hostwrite.XXXXXX)}
mkdir -p "$S"
chmod 755 "$S"
trap '[ -n "${KEEP:-}" ] || rm -rf "$S"; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
TARGET=/usr/lfsbuild-drill-$$
[ ! -e "$TARGET" ] || { echo "$0: $TARGET exists already" >&2; exit 2; }
# the book, with STEP's %build beginning with the write
cp -a "$BOOK" "$S/book"
awk -v t="$TARGET" '{ print } /^%build$/ && !done { print "echo \"drill: writing to the host: " t "\""; print "echo x > " t; done = 1 }' \
	"$BOOK/$STEP.recipe" >"$S/book/$STEP.recipe"
grep -q "^echo x > $TARGET\$" "$S/book/$STEP.recipe" || { echo "$0: $STEP has no %build line to alter" >&2; exit 2; }
# the work directory
real_drill_copy "$W" "$S/work"
usr_before=$(stat -c '%Y %h' /usr)

"$LFSBUILD" -C "$S/work" --book "$S/book" --sources "$SOURCES" build --until "$STEP" >"$T/out" 2>"$T/err" &
pid=$!
other=""
while kill -0 "$pid" 2>/dev/null; do
	other=$(grep -so 'run   ch[0-9]*/[^ ]*' "$T/out" | awk '{print $2}' | grep -vx "$STEP" | head -1)
	if [ -n "$other" ]; then
		kill -TERM "$pid"
		break
	fi
	sleep 0.2
done
wait "$pid"; rc=$?
[ -n "$other" ] || other=$(grep -so 'run   ch[0-9]*/[^ ]*' "$T/out" | awk '{print $2}' | grep -vx "$STEP" | head -1)
if [ -n "$other" ]; then
	echo "# $W is not up to date for $BOOK before $STEP: lfsbuild planned $other first (stopped)." >&2
	echo "# Build up to $STEP's chapter first (lfsbuild -C $W build --until ch5)." >&2
	exit 2
fi
err=$(cat "$T/err")
log=$S/work/logs/$STEP.log
ok "the build fails (exit $rc)" test "$rc" = 1
ok "$STEP started" grep -q "start $STEP" "$T/out"
ok "its log shows the denied write" grep -q "$TARGET: Read-only file system" "$log"
expect_in "the triage names $STEP" "lfsbuild: step $STEP (" "$err"
expect_in "the triage shows the denied write" "$TARGET: Read-only file system" "$err"
expect_in "and says what it means" "lfsbuild: $STEP tried to write outside \$LFS and its build directory" "$err"
ok "the host's /usr has no $TARGET" test ! -e "$TARGET"
ok "the host's /usr is unchanged (mtime, links)" test "$(stat -c '%Y %h' /usr)" = "$usr_before"
grep -A3 "^# ---- output" "$log" | sed 's/^/# log: /'
[ "$failed" = 0 ] || { echo "# $failed check(s) failed"; exit 1; }
