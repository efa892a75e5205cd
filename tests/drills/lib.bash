# tests/drills/lib.bash: helpers of the reliability drills (docs/RELIABILITY.md), sourced by
# tests/drills/*.sh (after tests/lib/check.sh) and by tests/drills/slow/*.sh. Needs bash >= 4.4.

# proc_carries PID NEEDLE...: does the command line or the environment of process PID contain
# one of the needles? (bash builtins only: no process of ours shows up while we look)
proc_carries() {
	local a=() b=() n
	mapfile -d '' a 2>/dev/null </proc/"$1"/cmdline || return 1
	mapfile -d '' b 2>/dev/null </proc/"$1"/environ
	for n in "${@:2}"; do
		[[ "${a[*]} ${b[*]}" == *"$n"* ]] && return 0
	done
	return 1
}

# proc_sees_root PID REL: is process PID in a mount namespace other than ours in which a mount
# has REL as its root (mountinfo field 4)? That is how a step's sandbox shows: `bind-rw` of
# $LFS (user modes) or the pivot_root into it (chroot), even when nothing in its command line
# or environment names the work directory. REL: the path of $LFS inside its file system.
proc_sees_root() {
	local f
	[ -e /proc/"$1"/ns/mnt ] && ! [ /proc/"$1"/ns/mnt -ef /proc/$$/ns/mnt ] || return 1
	while read -r -a f; do
		[ "${f[3]}" = "$2" ] && return 0
	done 2>/dev/null </proc/"$1"/mountinfo
	return 1
}

# fs_relpath PATH: PATH as seen from the root of its file system (for proc_sees_root).
fs_relpath() {
	local p mnt
	p=$(realpath -m "$1")
	mnt=$(stat -c %m "$(realpath -e "$1" 2>/dev/null || dirname "$p")")
	if [ "$mnt" = / ]; then echo "$p"; else echo "${p#"$mnt"}"; fi
}

# leftovers ROOT NEEDLE...: prints "PID command line" of every process that carries a needle
# in its command line or environment, or whose mount namespace holds ROOT (a work directory's
# root/, see proc_sees_root). ROOT may be "" (no namespace check). This shell and its subshells
# (the same command line as $$) are not counted.
leftovers() {
	local root=$1 rel="" d p self=() a=()
	shift
	[ -z "$root" ] || rel=$(fs_relpath "$root")
	mapfile -d '' self </proc/$$/cmdline
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		mapfile -d '' a 2>/dev/null <"$d"/cmdline || continue
		[ "${a[*]}" = "${self[*]}" ] && continue
		if proc_carries "$p" "$@" || { [ -n "$rel" ] && proc_sees_root "$p" "$rel"; }; then
			echo "$p ${a[*]}"
		fi
	done
}

# wait_no_leftovers SECONDS ROOT NEEDLE...: waits until leftovers prints nothing (SIGKILL's
# end of a pid namespace is asynchronous: a few ms). Prints the seconds it took; 1 if some remain.
wait_no_leftovers() {
	local secs=$1 t0 t
	shift
	t0=$(date +%s%N)
	while :; do
		[ -z "$(leftovers "$@")" ] && break
		t=$(( ($(date +%s%N) - t0) / 1000000 ))
		[ "$t" -lt $((secs * 1000)) ] || { echo "$((t / 1000)).$((t % 1000 / 100))"; return 1; }
		sleep 0.02
	done
	t=$(( ($(date +%s%N) - t0) / 1000000 ))
	printf '%d.%03d\n' $((t / 1000)) $((t % 1000))
}

# mounts: the host's mount table without the fields that change by themselves (none do, but
# the mount ids are kept: a mount that left and came back is a change).
mounts() { cat /proc/self/mountinfo; }

# running_steps WORKDIR: the steps that state/run.json says are running (blank-separated).
running_steps() {
	[ -f "$1/state/run.json" ] || return 0
	grep -o '"id":"[^"]*"[^}]*"status":"running"' "$1/state/run.json" | sed 's/^"id":"\([^"]*\)".*/\1/' | tr '\n' ' '
}

# ---- the real drills (tests/drills/slow/*.sh) on a copy of a real work directory ----

# real_drill_preflight WORKDIR STEP: root, lfsbuild built, a build in WORKDIR, STEP in the book,
# no lfsbuild running there; else a message and exit 2. Uses $0, $LFSBUILD and $BOOK.
real_drill_preflight() {
	[ "$(id -u)" = 0 ] || { echo "$0: run it as root (as a real build runs)" >&2; exit 2; }
	[ -x "$LFSBUILD" ] || { echo "$0: $LFSBUILD is missing: run make first (or set LFSBUILD)" >&2; exit 2; }
	[ -d "$1/state/stamps" ] || { echo "$0: $1 is no work directory with a build in it (no state/stamps)" >&2; exit 2; }
	[ -f "$BOOK/$2.recipe" ] || { echo "$0: $2 is no step of $BOOK (no $BOOK/$2.recipe)" >&2; exit 2; }
	if [ -e "$1/state/lock" ] && ! flock -n "$1/state/lock" true; then
		echo "$0: an lfsbuild is running in $1 (state/lock is held): stop it first" >&2; exit 2
	fi
}

# real_drill_parts WORKDIR: what a copy of WORKDIR takes (root/, state/, the settings), one a
# line: not build/, logs/, snapshots/, sources/, tmp/, the image or a half-written download.
real_drill_parts() {
	local f
	for f in "$1"/* "$1"/.[!.]*; do
		case ${f##*/} in build|logs|snapshots|sources|tmp|'*'|'.[!.]*'|*.qcow2|*.part) continue ;; esac
		[ -e "$f" ] && printf '%s\n' "$f"
	done
}

# real_drill_copy WORKDIR DEST: those parts copied to DEST (made), without the lock.
real_drill_copy() {
	local parts=()
	mapfile -t parts < <(real_drill_parts "$1")
	mkdir -p "$2" && cp -a --reflink=auto "${parts[@]}" "$2/" || { echo "$0: the copy of $1 into $2 failed" >&2; exit 1; }
	rm -f "$2/state/lock"
}

# real_drill_count: after tests/lib/check.sh, count the failed checks in $failed for the exit
# status (`[ "$failed" = 0 ]` at the end).
real_drill_count() {
	failed=0
	_report() { _n=$((_n + 1)); if [ "$1" = 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; failed=$((failed + 1)); fi; }
}
