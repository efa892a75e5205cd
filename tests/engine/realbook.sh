# The real book (book/): `lfsbuild graph` prints its steps in an order that respects every
# `after` line of every recipe, and the stage order.
. "$(dirname "$0")/../lib/check.sh"

out=$("$LFSBUILD" --book "$ROOT/book" graph 2>"$T/err"); rc=$?
ok "graph of the real book succeeds" test "$rc" = 0
echo "$out" | cut -f1 >"$T/order"
n=$(wc -l <"$T/order")
ok "graph prints the steps that have a recipe ($n)" test "$n" = "$(ls "$ROOT"/book/ch*/*.recipe | wc -l)"
bad=""
for f in "$ROOT"/book/ch*/*.recipe; do
	id=${f#"$ROOT"/book/}; id=${id%.recipe}
	pos=$(grep -nxF "$id" "$T/order" | cut -d: -f1)
	for dep in $(awk '/^%/ { exit } $1 == "after" { for (i = 2; i <= NF; i++) print $i }' "$f"); do
		dpos=$(grep -nxF "$dep" "$T/order" | cut -d: -f1)
		[ -z "$dpos" ] && continue # a step without a recipe yet
		[ "$dpos" -lt "$pos" ] || bad="$bad $id<$dep"
	done
done
ok "every after line is respected${bad:+:$bad}" test -z "$bad"
chapters=$(sed 's|/.*||; s|ch||' "$T/order" | awk '$1 < prev { print "out of order" } { prev = $1 }')
ok "chapters come in order" test -z "$chapters"
dot=$("$LFSBUILD" --book "$ROOT/book" graph --dot 2>/dev/null)
expect_in "--dot prints a digraph" "digraph lfs {" "$dot"
