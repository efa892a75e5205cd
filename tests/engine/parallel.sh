# Parallelism: independent steps overlap, never more than -j at once.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup wide
t0=$(date +%s%N)
ok "4 steps of 1 s at -j2" lb build -j2
t1=$(date +%s%N)
ok "never more than 2 at once, and 2 did overlap" test "$(max_overlap "$W/root/trace")" = 2
ms=$(( (t1 - t0) / 1000000 ))
ok "-j2 took about 2 s, not 4 (${ms} ms)" test "$ms" -lt 3500
book_setup wide
ok "4 steps at -j3" lb build -j3 -q
ok "never more than 3 at once" test "$(max_overlap "$W/root/trace")" = 3
book_setup wide
ok "4 steps at -j1" lb build -j1 -q
ok "-j1: one at a time" test "$(max_overlap "$W/root/trace")" = 1
