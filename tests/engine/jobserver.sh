# The jobserver: two steps run make with 6 jobs each; the compile jobs running at any moment,
# across both steps, never exceed -j, and the makes do use the free slots.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup jobs
ok "two make steps at -j2" lb build -j2
ok "-j2: at most 2 compile jobs at once across the steps" test "$(cat "$W/root/jobs/max")" -le 2
ok "all 12 jobs ran" test "$(wc -l <"$W/root/jobs/done")" = 12
book_setup jobs
ok "two make steps at -j4" lb build -j4
ok "-j4: at most 4 at once, and the makes used more than one slot each ($(cat "$W/root/jobs/max"))" \
	test "$(cat "$W/root/jobs/max")" -le 4 -a "$(cat "$W/root/jobs/max")" -ge 3
book_setup jobs
ok "one make step alone at -j3" lb build -j3 --only ch1/make1
ok "-j3, one step: its make gets the 3 slots" test "$(cat "$W/root/jobs/max")" = 3
