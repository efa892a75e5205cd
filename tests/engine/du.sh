# lfsbuild du on a build with --capture on (book tests/books/remove): the root's regular files by
# the step that wrote each last (a later step's rewrite and deletion taken from the earlier one,
# hard links once, a file of a `capture no` step as "other"), largest first, the total equal to
# the root's (find), also half-way through the build; the human and --bytes forms; a list older
# than its step's last build (built again without capture) left out with a warning.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

if [ "$(id -u)" != 0 ]; then
	skip "du" "needs root (--capture on: an overlay per step)"
	exit 0
fi
remove_book_setup

ok "help du" lb help du
expect_in "du --help names --bytes" "--bytes" "$(lb du --help 2>&1)"
expect_in "du --help says how the last writer is found" "the order of the merges" "$(lb du --help 2>&1)"
fails_with 2 "du takes no operands" lb du ch1/base

# ---- du half-way: only ch1/base built ----
ok "ch1/base builds with --capture on" lb build --capture on --until ch1/base
out=$(lb du --bytes 2>&1)
expect_in "du half-way: ch1/base owns its 7 regular files (hard links once)" "85555	7	ch1/base" "$out"
expect_in "du half-way: nothing else" "0	0	other" "$out"
expect_in "du half-way: the total" "85555	7	total" "$out"
ok "du half-way: the total is the root's (find, each inode once)" test "$(regular "$R")" = "7 85555"

# ---- the whole book, du ----
ok "the book builds with --capture on" lb build --capture on
out=$(lb du --bytes 2>&1)
want=$(printf '85644\t4\tch1/base\n32771\t2\tch1/over\n0\t0\tch1/slow\n10240\t1\tother\n128655\t7\ttotal')
ok "du --bytes: per step by the last writer, largest first, then other and total" test "$out" = "$want"
[ "$out" = "$want" ] || printf '#   got:\n%s\n' "$out" | sed 's/^/#   /'
ok "du: the total is the root's (find, each inode once)" test "$(regular "$R")" = "7 128655"
out=$(lb du 2>&1)
expect_in "du: a header" "SIZE    FILES  STEP" "$out"
expect_in "du: human sizes" "83.6 KiB        4  ch1/base" "$out"
expect_in "du: the line of what no captured step wrote" "10.0 KiB        1  (written by no captured step)" "$out"
ok "du: the largest step first" test "$(echo "$out" | sed -n 2p | awk '{print $NF}')" = ch1/base

# ---- a list older than its step's last build ----
rm "$R/usr/share/pkg/dir"   # the symlink ch1/strip planted (ch1/base would write through it)
ok "ch1/base built again without capture" lb build --capture off --only ch1/base
out=$(lb du --bytes 2>&1)
expect_in "du warns that it left ch1/base's list out: built again without capture" \
	"older than its step's last build left out (ch1/base)" "$out"
ok "... ch1/base has no line" test -z "$(grep -P '\tch1/base$' <<<"$out")"
ok "... its files count as other: other = total - ch1/over" test "$(awk -F'\t' '$3 == "other" {o = $1} $3 == "total" {t = $1}
	$3 == "ch1/over" {v = $1} END {print (o == t - v) ? "yes" : "no"}' <<<"$out")" = yes
ok "... and the total is still the root's" test "$(awk -F'\t' '$3 == "total" {print $2, $1}' <<<"$out")" = "$(regular "$R")"
