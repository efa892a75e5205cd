# bench/lib.sh: sourced by the benchmark scripts.
# bench_write NAME TEXT: put TEXT into docs/BENCHMARKS.md between <!-- bench:NAME:begin --> and
# <!-- bench:NAME:end --> (TEXT may already carry those markers), replacing what was there or
# appending it; nothing else in the file changes. The file is replaced atomically.
# BENCH_DOC=FILE writes into FILE instead (the tests use a copy).
bench_write() {
	local doc
	doc=${BENCH_DOC:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docs/BENCHMARKS.md"}
	[ -f "$doc" ] || printf '# Benchmarks\n\nFigures measured by the scripts under bench/ (`make bench`).\n' >"$doc"
	python3 - "$doc" "$1" "$2" <<'PY'
import os, sys
path, name, body = sys.argv[1:4]
b, e = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
body = body.strip("\n")
if not body.startswith(b):
    body = f"{b}\n{body}\n{e}"
text = open(path).read()
if b in text and e in text:
    text = text[:text.index(b)] + body + text[text.index(e) + len(e):]
else:
    text = text.rstrip("\n") + "\n\n" + body + "\n"
open(path + ".tmp", "w").write(text)
os.rename(path + ".tmp", path)
PY
}

# A scratch work directory made from a real one, as bench/sched.sh and the real drills
# (tests/drills/slow/real-kill-stage.sh) use it; the real one is only read.
# scratch_seed WORKDIR SCRATCH: its state files (not the lock, not run.json: no build ran
# there), root-password and lfsbuild.conf; SCRATCH/state/stamps and SCRATCH/snapshots made.
scratch_seed() {
	local f
	mkdir -p "$2/state/stamps" "$2/snapshots" || return 1
	for f in "$1"/state/*; do
		case ${f##*/} in lock | run.json) continue ;; esac
		[ -f "$f" ] && cp -p "$f" "$2/state/"
	done
	for f in root-password lfsbuild.conf; do
		[ -f "$1/$f" ] && cp -p "$1/$f" "$2/$f"
	done
	return 0
}
# scratch_stamps WORKDIR SCRATCH STEP...: the stamps of those steps (done in WORKDIR).
scratch_stamps() {
	local w=$1 s=$2 id
	shift 2
	for id in "$@"; do
		mkdir -p "$s/state/stamps/${id%/*}"
		cp -p "$w/state/stamps/$id.stamp" "$s/state/stamps/$id.stamp" || return 1
	done
}
# scratch_snapshot WORKDIR SCRATCH STAGE: WORKDIR's snapshot of STAGE in SCRATCH/snapshots,
# a hard link when it can be (nothing to do when it is one already), with its record of where
# the root was (STAGE.tar.zst.origin: `lfsbuild restore` refuses a snapshot of the host stages at
# another place; bench/sched.sh runs lfsbuild at WORKDIR's place).
scratch_snapshot() {
	local f=$1/snapshots/$3.tar.zst
	[ "$f" -ef "$2/snapshots/$3.tar.zst" ] || ln "$f" "$2/snapshots/" 2>/dev/null || cp "$f" "$2/snapshots/" || return 1
	[ ! -f "$f.origin" ] || cp -p "$f.origin" "$2/snapshots/"
}
# scratch_view WORKDIR SCRATCH: sets the array SCRATCH_VIEW to a command prefix that runs a
# command in a private mount namespace where SCRATCH is seen at WORKDIR's place (WORKDIR's own
# files are not touched; the host's mount table does not change): the steps of chapters 4 to 6
# write the root's path into what they build (the cross toolchain's sysroot), so a snapshot of
# them builds on only there, and `lfsbuild restore` refuses it elsewhere. WORKDIR/sources,
# hidden by that mount, is bound at SCRATCH/sources first. The prefix ends in exec: the pid of
# `"${SCRATCH_VIEW[@]}" CMD... &` is CMD's.
scratch_view() {
	local srcbind=
	[ ! -d "$1/sources" ] || srcbind=$1/sources
	# shellcheck disable=SC2016 # $1.. are sh's own
	SCRATCH_VIEW=(unshare -m --propagation private -- sh -c '
		if [ -n "$1" ]; then mkdir -p "$2" && mount --bind "$1" "$2" || exit 1; fi
		mount --rbind "$3" "$4" || exit 1   # --rbind: with the sources mounted inside it
		shift 4
		exec "$@"' scratch-view "$srcbind" "$2/sources" "$2" "$1")
}
