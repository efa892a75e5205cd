#!/usr/bin/env bash
# Reliability drill, the real one (docs/RELIABILITY.md): SIGKILL `lfsbuild all` at random moments
# of a real build, resume with `lfsbuild all` after each kill, and at the end `lfsbuild test`.
# After each kill: the host's mount table is as before, and no process is left that names the
# work directory in its command line or environment, or that has its root/ mounted in a mount
# namespace of its own (a step's sandbox, chroot steps included). Takes as long as the build.
#
#   tests/drills/slow/real-kill.sh WORKDIR [OPTION...]    as root; OPTIONs go to every lfsbuild
#                                                          call (e.g. --sources DIR -j2)
# Environment: KILLS (5), MIN_DELAY and MAX_DELAY (seconds after a start: 60 and 1800),
# LFSBUILD (the program: ./lfsbuild of this checkout). Output: TAP lines, and a table of the
# kills in WORKDIR/../$(basename WORKDIR)-kill-drill.tsv.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
usage() { echo "usage: $0 WORKDIR [lfsbuild option...]   (as root; see the comment at the top)" >&2; exit 2; }
[ $# -ge 1 ] || usage
case $1 in -h|--help) usage ;; -*) echo "$0: the first argument is the work directory, not '$1'" >&2; exit 2 ;; esac
W=$(realpath -m "$1"); shift
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
KILLS=${KILLS:-5} MIN_DELAY=${MIN_DELAY:-60} MAX_DELAY=${MAX_DELAY:-1800}
[ "$(id -u)" = 0 ] || { echo "$0: run it as root (the build's chroot steps need root)" >&2; exit 2; }
[ -x "$LFSBUILD" ] || { echo "$0: $LFSBUILD is missing: run make first (or set LFSBUILD)" >&2; exit 2; }
[[ $KILLS =~ ^[0-9]+$ && $MIN_DELAY =~ ^[0-9]+$ && $MAX_DELAY =~ ^[0-9]+$ && $MAX_DELAY -ge $MIN_DELAY ]] ||
	{ echo "$0: KILLS, MIN_DELAY and MAX_DELAY must be whole numbers, MIN_DELAY <= MAX_DELAY" >&2; exit 2; }
if [ -e "$W/state/lock" ] && ! flock -n "$W/state/lock" true; then
	echo "$0: an lfsbuild is running in $W (state/lock is held): stop it first" >&2; exit 2
fi
. "$ROOT/tests/lib/check.sh"
failed=0   # check.sh's _report, counting the failures for the exit status
_report() { _n=$((_n + 1)); if [ "$1" = 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; failed=$((failed + 1)); fi; }
. "$ROOT/tests/drills/lib.bash"
lfs() { "$LFSBUILD" -C "$W" "$@"; }
TSV=$(dirname "$W")/$(basename "$W")-kill-drill.tsv
LOG=$(dirname "$W")/$(basename "$W")-kill-drill.log
# Both files grow across invocations (a drill interrupted by a recipe's failure goes on after the fix).
[ -s "$TSV" ] || printf 'kill\tafter s\tphase\trunning steps\tleft after s\tleftover processes\tmounts\n' >"$TSV"
echo "# $(date -u '+%F %T') real-kill.sh $W $*: KILLS=$KILLS MIN_DELAY=$MIN_DELAY MAX_DELAY=$MAX_DELAY" >>"$LOG"
mounts >"$T/mounts.before"

kills=0 done_early=0
for k in $(seq "$KILLS"); do
	delay=$((MIN_DELAY + (RANDOM * 32768 + RANDOM) % (MAX_DELAY - MIN_DELAY + 1)))
	echo "# run $k: lfsbuild all, SIGKILL after ${delay}s" | tee -a "$LOG"
	"$LFSBUILD" -C "$W" "$@" all >>"$LOG" 2>&1 &
	pid=$!
	t=0
	while [ $t -lt "$delay" ] && kill -0 "$pid" 2>/dev/null; do sleep 1; t=$((t + 1)); done
	if ! kill -0 "$pid" 2>/dev/null || [ "$(ps -o stat= -p "$pid" | cut -c1)" = Z ]; then
		wait "$pid"; rc=$?
		if [ "$rc" = 0 ]; then
			echo "# the build completed before kill $k: only $kills kills landed" | tee -a "$LOG"
			done_early=1
			break
		fi
		ok "run $k ended by itself before the kill: exit $rc (see $LOG)" false
		exit 1
	fi
	phase=$(grep -o 'lfsbuild all: \[[0-9]/[0-9]\] [^(]*' "$LOG" | tail -1 | sed 's/^lfsbuild all: //; s/ *$//')
	running=$(running_steps "$W")
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	kills=$((kills + 1))
	took=$(wait_no_leftovers 60 "$W/root" "$W/")
	left=$?
	procs=$(leftovers "$W/root" "$W/" | tr '\n' ';')
	mounts >"$T/mounts.after"
	mdiff=$(diff "$T/mounts.before" "$T/mounts.after" | grep '^[<>]' | tr '\n' ';')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%T) $k" "$t" "${phase:-?}" "${running:-none}" "$took" "${procs:-none}" \
		"${mdiff:-unchanged}" >>"$TSV"
	echo "# kill $k after ${t}s, in '${phase:-?}', running: ${running:-none}" | tee -a "$LOG"
	ok "kill $k: no process of the build is left (${took}s)" test "$left" = 0
	[ "$left" = 0 ] || echo "$procs" | tr ';' '\n' | sed 's/^/#   left: /'
	ok "kill $k: the host's mount table is unchanged" test -z "$mdiff"
	[ -z "$mdiff" ] || echo "$mdiff" | tr ';' '\n' | sed 's/^/#   /'
done
[ "$done_early" = 1 ] || ok "lfsbuild all was killed $KILLS times" test "$kills" = "$KILLS"
echo "# the last run: lfsbuild all to the end" | tee -a "$LOG"
"$LFSBUILD" -C "$W" "$@" all >>"$LOG" 2>&1
rc=$?
ok "lfsbuild all resumes and completes after the kills (exit $rc; log $LOG)" test "$rc" = 0
ok "lfsbuild test passes on the image" "$LFSBUILD" -C "$W" "$@" test
ok "nothing of the build is left running" test -z "$(leftovers "$W/root" "$W/")"
mounts >"$T/mounts.after"
ok "the host's mount table is as before the drill" diff "$T/mounts.before" "$T/mounts.after"
grep -q 'interrupted last time' "$LOG" && echo "# steps that were killed ran again (\"interrupted last time\" in $LOG)"
echo "# the kills: $TSV"
column -t -s "$(printf '\t')" "$TSV" | sed 's/^/# /'
[ "$failed" = 0 ] || { echo "# $failed check(s) failed"; exit 1; }
