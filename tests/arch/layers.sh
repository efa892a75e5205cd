# The architecture, checked on the source (docs/architecture.md):
#  - layers: src/AREA/MODULE.{c,h} includes headers ("AREA/MODULE.h") of its own area or of
#    areas below it, never of a higher area nor of another area of the same rank; besides,
#    watch and engine never include disk, and disk never includes engine or watch;
#  - length: no function of src/*/*.c is over 120 lines, counted from its opening "{" to its
#    closing "}" (the code style puts both at column 0).
# Each violation is named FILE:LINE. The last checks plant violations in a copy of src/ and
# expect them found, so that a checker that finds nothing cannot pass unnoticed.
#   bash tests/arch/layers.sh [SRCDIR]     (default: the checkout's src/)
. "$(dirname "$0")/../lib/check.sh"

SRC=${1:-$ROOT/src}
# The areas from bottom to top with their ranks; areas of one rank may not include each other.
RANKS=${LAYERS_RANKS:-"lib:0 config:1 book:2 sources:3 state:4 watch:5 packages:5 engine:6 disk:7 provenance:7 cli:8"}
# Includes forbidden whatever the ranks say (FROM>TO).
FORBIDDEN=${LAYERS_FORBIDDEN:-"watch>disk engine>disk disk>engine disk>watch"}
MAX_LINES=${LAYERS_MAX_LINES:-120}

# check_includes FILE...: prints "FILE:LINE: reason" for each include that breaks the layers;
# fails if there is one. Paths are printed as given.
check_includes() {
	awk -v ranks="$RANKS" -v forbidden="$FORBIDDEN" '
	BEGIN {
		n = split(ranks, r, " ")
		for (i = 1; i <= n; i++) { split(r[i], kv, ":"); rank[kv[1]] = kv[2] + 0 }
		n = split(forbidden, f, " ")
		for (i = 1; i <= n; i++) bad[f[i]] = 1
	}
	FNR == 1 { n = split(FILENAME, parts, "/"); from = parts[n - 1] }
	/^[ \t]*#[ \t]*include[ \t]*"/ {
		match($0, /"[^"]*"/)
		inc = substr($0, RSTART + 1, RLENGTH - 2)
		where = FILENAME ":" FNR ": #include \"" inc "\""
		if (inc !~ /^[a-z_0-9]+\/[a-z_0-9]+\.h$/) { print where ": not written \"AREA/MODULE.h\""; found = 1; next }
		to = inc; sub(/\/.*/, "", to)
		if (!(from in rank)) { print where ": " from " is no area of the layers"; found = 1; next }
		if (!(to in rank)) { print where ": " to " is no area of the layers"; found = 1; next }
		if (to == from) next
		if (rank[to] > rank[from]) {
			print where ": " from " (rank " rank[from] ") includes the higher area " to " (rank " rank[to] ")"; found = 1
		} else if (rank[to] == rank[from]) {
			print where ": " from " includes " to ", an area of the same rank (" rank[to] ")"; found = 1
		} else if ((from ">" to) in bad) {
			print where ": " from " must not include " to; found = 1
		}
	}
	END { exit found }' "$@"
}

# check_lengths FILE...: prints "FILE:LINE: NAME is N lines" for each function over MAX_LINES
# (LINE: where its name is); fails if there is one.
check_lengths() {
	awk -v max="$MAX_LINES" '
	FNR == 1 { body = 0; sig = 0; name = "?" }
	/^[A-Za-z_]/ && !body {
		sig = FNR; name = "?"
		if (match($0, /[A-Za-z_][A-Za-z_0-9]*[ \t]*\(/)) { name = substr($0, RSTART, RLENGTH); sub(/[ \t]*\($/, "", name) }
	}
	/^\{/ && !body { body = 1; start = FNR; at = sig ? sig : FNR; fname = name }
	/^\}/ && body {
		body = 0; len = FNR - start + 1
		if (len > max) { print FILENAME ":" at ": " fname " is " len " lines (at most " max ")"; found = 1 }
	}
	END { exit found }' "$@"
}

areas() { for r in $RANKS; do echo "${r%%:*}"; done; }

# ---- the source ----
cd "$SRC/.." || exit 1
S=$(basename "$SRC")
for a in $(areas); do
	[ -d "$S/$a" ] || { skip "$S/$a: includes" "no such area here"; continue; }
	ok "$S/$a: includes only its own area or those below it" check_includes "$S/$a"/*.[ch]
done
for d in "$S"/*/; do
	d=${d%/}
	areas | grep -qx "${d##*/}" || { ok "$d is an area of the layers" false; continue; }
done
for a in $(areas); do
	ls "$S/$a"/*.c >/dev/null 2>&1 || continue
	ok "$S/$a/*.c: no function over $MAX_LINES lines" check_lengths "$S/$a"/*.c
done

# ---- the checker finds what is planted ----
C=$T/copy
mkdir -p "$C" && cp -r "$SRC" "$C/src"
cd "$C" || exit 1
# an include of a higher area (book -> disk), in the middle of a file
sed -i '3a #include "disk/image.h"' src/book/sysconfig.c
out=$(check_includes src/book/*.[ch]); rc=$?
ok "planted: book including disk/image.h fails" test "$rc" != 0
expect_in "planted: it is named FILE:LINE" 'src/book/sysconfig.c:4: #include "disk/image.h": book (rank 2) includes the higher area disk (rank 7)' "$out"
# lower by rank but forbidden (disk -> engine), and an include not written AREA/MODULE.h
printf '#include "engine/run.h"\n#include "util.h"\n' >>src/disk/gpt.h
out=$(check_includes src/disk/*.[ch]); rc=$?
ok "planted: disk including engine/run.h fails" test "$rc" != 0
n=$(wc -l <src/disk/gpt.h)
expect_in "planted: disk must not include engine" "src/disk/gpt.h:$((n - 1)): #include \"engine/run.h\": disk must not include engine" "$out"
expect_in "planted: an include without its area" "src/disk/gpt.h:$n: #include \"util.h\": not written \"AREA/MODULE.h\"" "$out"
# two areas of one rank may not include each other
out=$(RANKS="lib:0 config:1 book:2 sources:3 state:4 watch:5 engine:5 disk:7 cli:8" check_includes src/engine/*.[ch])
expect_in "planted: an area of the same rank (engine -> watch with both at 5)" "an area of the same rank (5)" "$out"
# a function of 121 lines (and one of 120 that passes)
{
	printf '\nint planted_long(void)\n{\n'
	for i in $(seq 119); do printf '\t(void)%d;\n' "$i"; done
	printf '}\n\nint planted_ok(void)\n{\n'
	for i in $(seq 118); do printf '\t(void)%d;\n' "$i"; done
	printf '}\n'
} >>src/lib/util.c
start=$(grep -n '^int planted_long' src/lib/util.c | cut -d: -f1)
out=$(check_lengths src/lib/*.c); rc=$?
ok "planted: a function of 121 lines fails" test "$rc" != 0
expect_in "planted: it is named FILE:LINE with its length" "src/lib/util.c:$start: planted_long is 121 lines (at most $MAX_LINES)" "$out"
ok "planted: one of 120 lines passes" bash -c '! grep -q planted_ok <<<"$1"' _ "$out"
