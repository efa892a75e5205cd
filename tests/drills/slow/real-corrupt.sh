#!/usr/bin/env bash
# Reliability drill, the real one (docs/RELIABILITY.md): a real cached source is corrupted.
# A scratch copy of WORKDIR (root/, state/, the settings) and a scratch source cache (hard links
# to WORKDIR/sources, except STEP's own files, which are copied) are made; STEP (default
# ch8/zstd, whose steps before it must be done in WORKDIR; STEP itself may be done: the copy
# forgets its stamp) then meets its source corrupted twice:
#   A. one byte flipped in the middle of the file (its mtime changes, as any write leaves it):
#      `lfsbuild build --until STEP` refuses before anything runs, naming the file and the
#      checksums; `lfsbuild fetch NAME` fetches it again from its origin (the Debian archive
#      or the upstream URL, as the manifest and the settings say) and the file is good again;
#   B. one byte flipped with size, mtime and inode put back (the cache stamp still vouches for
#      it): STEP fails before it starts, without unpacking it; a plain `lfsbuild fetch` (what
#      `lfsbuild all` runs first) fetches it again, and `lfsbuild build --until STEP` completes.
# WORKDIR and its sources are only read. The scratch directory is removed at the end (KEEP=1
# keeps it).
#
#   tests/drills/slow/real-corrupt.sh WORKDIR [STEP]      as root; needs the source's origin
# Environment: LFSBUILD (./lfsbuild of this checkout), LFSBUILD_BOOK (the book), SCRATCH (a new
# /var/tmp/lfsbuild-drill-corrupt.XXXXXX). Takes a few minutes plus STEP's build time.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
usage() { echo "usage: $0 WORKDIR [STEP]   (as root; see the comment at the top)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
case $1 in -*) usage ;; esac
W=$(realpath -m "$1") STEP=${2:-ch8/zstd}
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
BOOK=${LFSBUILD_BOOK:-$ROOT/book}
. "$ROOT/tests/drills/lib.bash"
real_drill_preflight "$W" "$STEP"
# STEP's first source and the file the cache holds for it (`lfsbuild sources`: NAME VERSION FILE ...)
NAME=$(awk '$1 == "sources" { print $2; exit }' "$BOOK/$STEP.recipe")
[ -n "$NAME" ] || { echo "$0: $STEP has no sources line: pick a step that unpacks a source" >&2; exit 2; }
FILE=$("$LFSBUILD" -C "$W" --book "$BOOK" sources 2>/dev/null | awk -v n="$NAME" 'NR > 1 && $1 == n { print $3; exit }')
[ -n "$FILE" ] && [ -f "$W/sources/$FILE" ] || {
	echo "$0: source '$NAME' of $STEP is not in $W/sources (${FILE:-no file listed by lfsbuild sources}): fetch first" >&2; exit 2; }

. "$ROOT/tests/lib/check.sh"
real_drill_count
S=${SCRATCH:-$(mktemp -d /var/tmp/lfsbuild-drill-corrupt.XXXXXX)}
mkdir -p "$S"
chmod 755 "$S"
trap '[ -n "${KEEP:-}" ] || rm -rf "$S"; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
flip() { # FILE OFFSET: flip the lowest bit of one byte, in place (same inode, same size)
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
sha() { sha256sum <"$1" | cut -c1-64; }

# the scratch source cache: hard links, but the drill's file and its cache files are copies
SRC=$S/sources
mkdir -p "$SRC/.lfsbuild"
find "$W/sources" -maxdepth 1 -type f ! -name "$FILE" -exec ln -t "$SRC" {} +
cp -a "$W/sources/$FILE" "$SRC/"
for f in "$W/sources/.lfsbuild"/*; do
	case ${f##*/} in *.lock) continue ;; esac
	cp -a "$f" "$SRC/.lfsbuild/"
done
good=$(sha "$W/sources/$FILE")
orig_stat=$(stat -c '%s %Y %i' "$W/sources/$FILE")
# the work directory
real_drill_copy "$W" "$S/work"
rm -f "$S/work/state/stamps/$STEP.stamp"
lfs() { "$LFSBUILD" -C "$S/work" --book "$BOOK" --sources "$SRC" "$@"; }
# the copy's stamp of the file (its inode changed) is brought up to date before the drill
lfs fetch "$NAME" >"$T/f0.out" 2>&1 || { sed 's/^/# /' "$T/f0.out"; echo "$0: the scratch cache does not verify" >&2; exit 1; }
C=$SRC/$FILE
size=$(stat -c %s "$C")
echo "# $STEP: source '$NAME', $C ($size bytes)"

# A. a byte flipped in the middle, the mtime changed
flip "$C" $((size / 2))
ok "A: the cached file differs now" test "$(sha "$C")" != "$good"
lfs build --until "$STEP" >"$T/a.out" 2>"$T/a.err"; rc=$?
ok "A: build exits 1" test "$rc" = 1
expect_in "A: names the file and the mismatch" "source '$NAME': the cached $C does not match the manifest (checksum mismatch" "$(cat "$T/a.err")"
expect_in "A: nothing was run" "nothing was run" "$(cat "$T/a.err")"
ok "A: $STEP did not start (no log of it)" test ! -e "$S/work/logs/$STEP.log"
grep "does not match" "$T/a.err" | sed 's/^/# /'
lfs fetch "$NAME" >"$T/a.fetch" 2>&1; rc=$?
ok "A: lfsbuild fetch $NAME exits 0" test "$rc" = 0
expect_in "A: fetch finds the damage" "failed verification (checksum mismatch" "$(cat "$T/a.fetch")"
expect_in "A: and fetches the file again" "fetched $NAME: $FILE from" "$(cat "$T/a.fetch")"
grep "fetched $NAME" "$T/a.fetch" | sed 's/^/# /'
ok "A: the cache holds the good file again" test "$(sha "$C")" = "$good"

# B. a byte flipped behind the stamp's back: size, mtime and inode as the stamp has them
stamp=$SRC/.lfsbuild/$FILE.stamp
mtime=$(sed -n 's/^mtime //p' "$stamp")
flip "$C" $((size / 3))
touch -d "@$mtime" "$C"
ok "B: size, mtime and inode still match the cache stamp" test "$(stat -c '%s %.9Y %i' "$C")" = \
	"$(sed -n 's/^size //p;s/^mtime //p;s/^inode //p' "$stamp" | tr '\n' ' ' | sed 's/ $//')"
lfs build --until "$STEP" >"$T/b.out" 2>"$T/b.err"; rc=$?
ok "B: build exits 1" test "$rc" = 1
expect_in "B: $STEP fails, naming the file" "$STEP: source '$NAME': $C changed since it was verified" "$(cat "$T/b.err")"
expect_in "B: and says it was not unpacked" "so it was not unpacked" "$(cat "$T/b.err")"
ok "B: its build directory holds no unpacked source" test -z "$(ls -A "$S/work/build/${STEP/\//_}" 2>/dev/null)"
grep "changed since it was verified" "$T/b.err" | sed 's/^/# /'
lfs fetch >"$T/b.fetch" 2>&1; rc=$?
ok "B: a plain lfsbuild fetch exits 0" test "$rc" = 0
expect_in "B: and fetches the file again" "fetched $NAME: $FILE from" "$(cat "$T/b.fetch")"
ok "B: the cache holds the good file again" test "$(sha "$C")" = "$good"
lfs build --until "$STEP" >"$T/c.out" 2>"$T/c.err"; rc=$?
ok "B: then build --until $STEP completes (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -30 "$T/c.err" | sed 's/^/#   /'
expect_in "B: $STEP ran" "done  $STEP" "$(cat "$T/c.out")"
ok "B: and only $STEP" test -z "$(grep -o 'run   ch[0-9]*/[^ ]*' "$T/c.out" | awk '{print $2}' | grep -vx "$STEP")"

ok "WORKDIR's cached file is untouched (content, size, mtime, inode)" \
	test "$(sha "$W/sources/$FILE") $(stat -c '%s %Y %i' "$W/sources/$FILE")" = "$good $orig_stat"
[ "$failed" = 0 ] || { echo "# $failed check(s) failed"; exit 1; }
