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
