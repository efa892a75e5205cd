# Parallelism: independent steps overlap, never more than -j at once. Each step of the book
# "wide" waits after its start until $LFS/peers steps have started (at most 120 s; the step fails
# otherwise), so that overlap is proven by the order of events, not by the time they took: the
# checks hold on a loaded machine. (How fast -j2 is: bench/, not here.)
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

peers() { mkdir -p "$W/root" && echo "$*" >"$W/root/peers"; }   # peers N [SECONDS]
book_setup wide
peers 2
ok "4 steps at -j2, the first two waiting for each other" lb build -j2
ok "never more than 2 at once, and 2 did overlap" test "$(max_overlap "$W/root/trace")" = 2
book_setup wide
peers 3
ok "4 steps at -j3" lb build -j3 -q
ok "never more than 3 at once, and 3 did overlap" test "$(max_overlap "$W/root/trace")" = 3
book_setup wide
ok "4 steps at -j1" lb build -j1 -q
ok "-j1: one at a time" test "$(max_overlap "$W/root/trace")" = 1
book_setup wide
peers 2 3
out=$(lb build -j1 2>&1); rc=$?
ok "-j1 with steps that need a peer: they wait, then fail (so the wait is real)" test "$rc" != 0
expect_in "... saying why" "fewer than 2 steps started within 3 s" "$out"
